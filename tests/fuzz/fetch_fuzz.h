/* fetch_fuzz.h - the checks every jokes-fetch source-parser fuzz target makes on a parsed joke. */
#ifndef JOKES_FETCH_FUZZ_H
#define JOKES_FETCH_FUZZ_H

#include "../../cron/source.h"
#include "joke.h"

#include <stdint.h>
#include <string.h>

/* Run one parser on data; a joke it accepts must satisfy the text contract, or we trap. */
static inline int
fetch_fuzz_one(source_parse_fn parse, const char *name, const uint8_t *data, size_t size)
{
	struct joke j;
	char err[128];
	size_t len;

	if (size > 256 * 1024) /* the fetcher never reads more than fetch_max_body (<= 1 MiB) */
		return 0;
	int rc = parse((const char *)data, size, &j, err, sizeof(err));

	if (rc < 0)
		return 0;
	if (rc != SOURCE_OK && rc != SOURCE_EXPLICIT)
		__builtin_trap();
	if (!category_valid(j.category)) /* never a name outside the vocabulary */
		__builtin_trap();
	len = strlen(j.text);
	if (len == 0 || len > JOKE_TEXT_MAX || !utf8_valid(j.text, len) || strcmp(j.source, name))
		__builtin_trap();
	if (j.text[0] == ' ' || j.text[0] == '\n' || j.text[len - 1] == ' ' || j.text[len - 1] == '\n')
		__builtin_trap();
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)j.text[i] < 0x20 && j.text[i] != '\n') || j.text[i] == 0x7f)
			__builtin_trap();
	if (strstr(j.text, "\xef\xbf\xbe") || strstr(j.text, "\xef\xbf\xbf")) /* U+FFFE, U+FFFF */
		__builtin_trap();
	len = strlen(j.source_id);
	if (len == 0 || len > JOKE_SOURCE_ID_MAX)
		__builtin_trap();
	return 0;
}

#endif
