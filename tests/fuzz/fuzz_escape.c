/* fuzz_escape.c - libFuzzer target: the HTML/XML escaper round-trips and leaves nothing active. */
#include "../../fcgi/escape.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What escaping must preserve: the input with XML-forbidden control bytes as U+FFFD. */
static void
expected(struct buf *b, const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') || s[i] == 0x7f)
			buf_adds(b, "\xef\xbf\xbd");
		else
			buf_addc(b, (char)s[i]);
	}
}

static void
check_html(const uint8_t *data, size_t size)
{
	struct buf out = {0}, back = {0}, want = {0};

	esc_html(&out, (const char *)data, size);
	for (size_t i = 0; i < out.len; i++) {
		unsigned char c = (unsigned char)out.p[i];

		if (c == '<' || c == '>' || c == '"' || c == '\'' || (c < 0x20 && c != '\t' &&
								      c != '\n' && c != '\r'))
			__builtin_trap();
	}
	if (esc_unescape(&back, out.p ? out.p : "", out.len) != 0)
		__builtin_trap(); /* every '&' starts one of our entities */
	expected(&want, data, size);
	if (back.len != want.len || (want.len && memcmp(back.p, want.p, want.len) != 0))
		__builtin_trap();
	buf_free(&out);
	buf_free(&back);
	buf_free(&want);
}

static int
hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void
check_url(const uint8_t *data, size_t size)
{
	struct buf out = {0};
	size_t i, o = 0;

	esc_url(&out, (const char *)data, size);
	for (i = 0; i < out.len; o++) {
		char c = out.p[i];

		if (c == '%') {
			if (i + 2 >= out.len)
				__builtin_trap();
			if (hex(out.p[i + 1]) < 0 || hex(out.p[i + 2]) < 0 ||
			    (uint8_t)(hex(out.p[i + 1]) * 16 + hex(out.p[i + 2])) != data[o])
				__builtin_trap();
			i += 3;
		} else {
			if (strchr("-._~", c) == NULL && !(c >= '0' && c <= '9') &&
			    !((c | 32) >= 'a' && (c | 32) <= 'z'))
				__builtin_trap();
			if ((uint8_t)c != data[o])
				__builtin_trap();
			i++;
		}
	}
	if (o != size)
		__builtin_trap();
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	check_html(data, size);
	check_url(data, size);
	return 0;
}
