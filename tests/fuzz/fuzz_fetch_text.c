/* fuzz_fetch_text.c - libFuzzer target: UTF-8 check and text cleaning of jokes-fetch. */
#include "../../cron/text.h"
#include "joke.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 when s holds a noncharacter (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF); s is valid UTF-8. */
static int
has_nonchar(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq_len((const char *)s + i, len - i);
		uint32_t cp = n == 1 ? s[i] : s[i] & (0x7f >> n);
		for (size_t k = 1; k < n; k++)
			cp = (cp << 6) | (s[i + k] & 0x3f);
		if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
			return 1;
		i += n;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[JOKE_TEXT_MAX + 1], err[64];
	size_t bad;
	int len;

	if (size > 64 * 1024)
		return 0;
	bad = text_utf8_error((const char *)data, size);
	if (bad > size || (bad == size && memchr(data, '\0', size) == NULL &&
			   !utf8_valid((const char *)data, size)))
		__builtin_trap();
	if (bad < size) /* refused before cleaning, as the parsers do */
		return 0;
	len = text_clean((const char *)data, size, out, sizeof(out), err, sizeof(err));
	if (len >= 0 && ((size_t)len != strlen(out) || len == 0 || !utf8_valid(out, (size_t)len) ||
			 has_nonchar((const unsigned char *)out, (size_t)len)))
		__builtin_trap();
	return 0;
}
