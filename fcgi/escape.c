/* escape.c - the one HTML/XML text escaper, its inverse, and query-value URL encoding. */
#include "escape.h"

#include <string.h>

static const char *
entity(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		break;
	}
	if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
		return "\xef\xbf\xbd"; /* U+FFFD: XML 1.0 has no way to carry these */
	return NULL;
}

void
esc_html(struct buf *b, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		const char *e = entity((unsigned char)s[i]);

		if (e == NULL)
			continue;
		buf_add(b, s + start, i - start);
		buf_adds(b, e);
		start = i + 1;
	}
	buf_add(b, s + start, n - start);
}

void
esc_htmls(struct buf *b, const char *s)
{
	esc_html(b, s, strlen(s));
}

int
esc_unescape(struct buf *out, const char *s, size_t n)
{
	static const struct {
		const char *name;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
	size_t i = 0, k;

	while (i < n) {
		if (s[i] != '&') {
			buf_addc(out, s[i++]);
			continue;
		}
		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
			size_t len = strlen(ents[k].name);

			if (n - i >= len && memcmp(s + i, ents[k].name, len) == 0) {
				buf_addc(out, ents[k].c);
				i += len;
				break;
			}
		}
		if (k == sizeof(ents) / sizeof(ents[0]))
			return -1;
	}
	return 0;
}

void
esc_url(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			buf_addc(b, (char)c);
		} else {
			char enc[3] = {'%', hex[c >> 4], hex[c & 15]};

			buf_add(b, enc, 3);
		}
	}
}
