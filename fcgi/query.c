/* query.c - whitelist parser of the query string: bounded numbers, decoded UTF-8 search text. */
#include "query.h"

#include "joke.h"

#include <stdio.h>
#include <string.h>

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) into out (size bytes, NUL-terminated). Returns the length or -1. */
static long
decode(const char *s, size_t n, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (o + 1 >= size)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
}

int
query_id(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;

	if (n == 0 || n > 18 || s[0] == '0')
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* The search text: valid UTF-8, no control characters. */
static int
text_ok(const char *s, long n)
{
	if (!utf8_valid(s, (size_t)n))
		return 0;
	for (long i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
set_number(const char *v, size_t n, int64_t max, int64_t *out, const char **why)
{
	char dec[32];
	long len = decode(v, n, dec, sizeof(dec));
	int64_t x;

	if (len <= 0 || query_id(dec, (size_t)len, &x) < 0 || x > max) {
		*why = "a number parameter is empty, not plain digits, zero, or too large";
		return -1;
	}
	*out = x;
	return 0;
}

static int
set_q(struct query *q, const char *v, size_t n, const char **why)
{
	long len = decode(v, n, q->q, sizeof(q->q));

	if (len < 0) {
		*why = "q is longer than 200 bytes or badly percent-encoded";
		return -1;
	}
	if (!text_ok(q->q, len)) {
		*why = "q is not valid UTF-8 text";
		return -1;
	}
	q->has_q = 1;
	return 0;
}

/* category: decoded, then lib/category.c's list parser; every refusal names the known. */
static int
set_category(struct query *q, const char *v, size_t n, const char **why)
{
	char dec[CATEGORY_LIST_MAX + 1], err[112]; /* "%s (known: %s)" of it fits q->why */
	long len = decode(v, n, dec, sizeof(dec));

	*why = q->why;
	if (len < 0) {
		snprintf(q->why, sizeof(q->why),
			 "category is longer than %d bytes or badly percent-encoded (known: %s)",
			 CATEGORY_LIST_MAX, category_known());
		return -1;
	}
	if (category_parse_list(dec, (size_t)len, &q->categories, err, sizeof(err)) < 0) {
		if (strstr(err, "known:") != NULL)
			snprintf(q->why, sizeof(q->why), "%s", err);
		else
			snprintf(q->why, sizeof(q->why), "%s (known: %s)", err, category_known());
		return -1;
	}
	category_format_list(q->categories, q->category, sizeof(q->category));
	return 0;
}

/* One key=value pair; seen is a bit set of the keys met so far. */
static int
pair(struct query *q, const char *k, size_t kn, const char *v, size_t vn, unsigned *seen,
     const char **why)
{
	static const char *const names[] = {"before", "since", "limit", "q", "category"};
	const unsigned count = sizeof(names) / sizeof(names[0]);
	int64_t limit = 0;
	unsigned i;

	for (i = 0; i < count; i++)
		if (strlen(names[i]) == kn && memcmp(k, names[i], kn) == 0)
			break;
	if (i == count)
		return 0;
	if (*seen & (1u << i)) {
		*why = "a parameter is given twice";
		if (i == 4) {
			snprintf(q->why, sizeof(q->why), "category is given twice (known: %s)",
				 category_known());
			*why = q->why;
		}
		return -1;
	}
	*seen |= 1u << i;
	switch (i) {
	case 0:
		return set_number(v, vn, QUERY_ID_MAX, &q->before, why);
	case 1:
		q->has_since = 1;
		if (vn == 1 && v[0] == '0')
			return 0; /* since=0: everything from the first joke */
		return set_number(v, vn, QUERY_ID_MAX, &q->since, why);
	case 2:
		if (set_number(v, vn, QUERY_LIMIT_MAX, &limit, why) < 0) {
			*why = "limit must be a number from 1 to 100";
			return -1;
		}
		q->limit = (long)limit;
		return 0;
	case 3:
		return set_q(q, v, vn, why);
	default:
		return set_category(q, v, vn, why);
	}
}

int
query_parse(const char *qs, struct query *out, const char **why)
{
	unsigned seen = 0;
	size_t len;

	memset(out, 0, sizeof(*out));
	*why = "";
	if (qs == NULL)
		return 0;
	len = strlen(qs);
	if (len > QUERY_MAX) {
		*why = "query string too long";
		return -1;
	}
	for (const char *p = qs; p < qs + len;) {
		const char *amp = memchr(p, '&', (size_t)(qs + len - p));
		const char *end = amp ? amp : qs + len;
		const char *eq = memchr(p, '=', (size_t)(end - p));
		const char *v = eq ? eq + 1 : end;

		if (end > p && pair(out, p, (size_t)((eq ? eq : end) - p), v, (size_t)(end - v),
				    &seen, why) < 0)
			return -1;
		p = end + 1;
	}
	if (out->before && out->has_since) {
		*why = "before and since cannot be combined";
		return -1;
	}
	return 0;
}
