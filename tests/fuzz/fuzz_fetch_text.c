/* fuzz_fetch_text.c - libFuzzer target: UTF-8 repair and text cleaning of jokes-fetch. */
#include "../../cron/text.h"
#include "joke.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[JOKE_TEXT_MAX + 1], err[64], *fixed;
	size_t n;
	int len;

	if (size > 64 * 1024)
		return 0;
	fixed = malloc(3 * size + 1);
	if (fixed == NULL)
		return 0;
	n = text_repair_utf8((const char *)data, size, fixed);
	for (size_t i = 0; i < n; i++) /* only NULs may make it invalid */
		if (fixed[i] == '\0')
			fixed[i] = ' ';
	if (!utf8_valid(fixed, n))
		__builtin_trap();
	len = text_clean(fixed, n, out, sizeof(out), err, sizeof(err));
	if (len >= 0 && ((size_t)len != strlen(out) || len == 0 || !utf8_valid(out, (size_t)len)))
		__builtin_trap();
	free(fixed);
	return 0;
}
