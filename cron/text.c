/* text.c - UTF-8 checks, HTML entity decoding and control-character stripping of joke text. */
#include "text.h"

#include "joke.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t
text_utf8_error(const char *in, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq_len(in + i, len - i);
		if (n == 0)
			return i;
		i += n;
	}
	return len;
}

/*
 * Length of the noncharacter (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF) at s, a valid sequence
 * of n bytes; 0 for any other character. U+FFFE and U+FFFF are not XML 1.0 characters
 * (the Atom feed would not be well-formed); the others are not meant for interchange.
 */
static size_t
nonchar_len(const unsigned char *s, size_t n)
{
	if (n == 3 && s[0] == 0xef && s[1] == 0xb7 && s[2] >= 0x90 && s[2] <= 0xaf)
		return 3; /* U+FDD0..U+FDEF */
	if (n == 3 && s[0] == 0xef && s[1] == 0xbf && s[2] >= 0xbe)
		return 3; /* U+FFFE, U+FFFF */
	if (n == 4 && (s[1] & 0x0f) == 0x0f && s[2] == 0xbf && s[3] >= 0xbe)
		return 4; /* U+1FFFE .. U+10FFFF: the low 16 bits are FFFE or FFFF */
	return 0;
}

/* UTF-8 encoding of cp into out (4 bytes room); returns the length, 0 if cp is not a scalar. */
static size_t
put_utf8(uint32_t cp, char *out)
{
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A numeric entity body ("#39" or "#x27", without & and ;) as a code point, or 0. */
static uint32_t
numeric_entity(const char *s, size_t n)
{
	uint32_t cp = 0;
	int hex = n > 1 && (s[1] == 'x' || s[1] == 'X');
	size_t i = hex ? 2 : 1;

	if (n <= i || n - i > 7)
		return 0;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (hex && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (hex && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return 0;
		cp = cp * (hex ? 16 : 10) + d;
	}
	return cp;
}

/* Decode the entity at s ('&' first, avail bytes); writes to out, returns bytes consumed or 0. */
static size_t
entity(const char *s, size_t avail, char *out, size_t *outlen)
{
	static const struct {
		const char *name, *text;
	} named[] = {{"amp", "&"},  {"lt", "<"},     {"gt", ">"},
		     {"quot", "\""}, {"apos", "'"},  {"nbsp", "\xc2\xa0"}};
	const char *semi;
	size_t n;

	semi = memchr(s + 1, ';', avail - 1 < 12 ? avail - 1 : 12);
	if (semi == NULL)
		return 0;
	n = (size_t)(semi - (s + 1));
	if (n > 1 && s[1] == '#') {
		*outlen = put_utf8(numeric_entity(s + 1, n), out);
		return *outlen ? n + 2 : 0;
	}
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (strlen(named[i].name) == n && memcmp(named[i].name, s + 1, n) == 0) {
			*outlen = strlen(named[i].text);
			memcpy(out, named[i].text, *outlen);
			return n + 2;
		}
	return 0;
}

/* Step 1: entities decoded once. out holds len + 1 bytes (decoding never grows the text). */
static size_t
decode_entities(const char *in, size_t len, char *out)
{
	size_t i = 0, o = 0;

	while (i < len) {
		size_t used = 0, outlen = 0;
		if (in[i] == '&')
			used = entity(in + i, len - i, out + o, &outlen);
		if (used > 0) {
			o += outlen;
			i += used;
		} else
			out[o++] = in[i++];
	}
	out[o] = '\0';
	return o;
}

/* Append c to out, folding spaces at line ends and blank lines; *o is the length so far. */
static void
put_clean(char *out, size_t *o, char c)
{
	if (c == '\n') {
		while (*o > 0 && out[*o - 1] == ' ')
			(*o)--;
		if (*o == 0 || out[*o - 1] == '\n')
			return;
	}
	out[(*o)++] = c;
}

/* Step 2 and 3 into out (len + 1 bytes); in is valid UTF-8 (NUL allowed); returns the length. */
static size_t
strip_controls(const char *in, size_t len, char *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		size_t skip = c >= 0xef ? nonchar_len(s + i, utf8_seq_len(in + i, len - i)) : 0;
		if (skip > 0) {
			i += skip - 1; /* a noncharacter */
			continue;
		}
		if (c == '\t')
			put_clean(out, &o, ' ');
		else if (c == '\r') {
			if (i + 1 >= len || s[i + 1] != '\n')
				put_clean(out, &o, '\n');
		} else if (c == '\n' || (c >= 0x20 && c != 0x7f)) {
			if (c == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f) {
				i++; /* a C1 control */
				continue;
			}
			put_clean(out, &o, (char)c);
		}
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\n'))
		o--;
	out[o] = '\0';
	return o;
}

static int
refuse(char *err, size_t errsize, const char *why)
{
	snprintf(err, errsize, "%s", why);
	return -1;
}

int
text_clean(const char *in, size_t len, char *out, size_t size, char *err, size_t errsize)
{
	char *a, *b;
	size_t n, start = 0;
	int rc;

	a = malloc(len + 1);
	b = malloc(len + 1);
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return refuse(err, errsize, "out of memory");
	}
	n = decode_entities(in, len, a);
	n = strip_controls(a, n, b);
	while (start < n && (b[start] == ' ' || b[start] == '\n'))
		start++;
	n -= start;
	if (n == 0)
		rc = refuse(err, errsize, "empty text");
	else if (n >= size)
		rc = refuse(err, errsize, "text longer than the cap");
	else if (!utf8_valid(b + start, n))
		rc = refuse(err, errsize, "text is not valid UTF-8");
	else {
		memcpy(out, b + start, n);
		out[n] = '\0';
		rc = (int)n;
	}
	free(a);
	free(b);
	return rc;
}
