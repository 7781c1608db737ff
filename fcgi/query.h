/* query.h - the query string of a jokes-fcgi request, parsed against a whitelist of keys. */
#ifndef JOKES_FCGI_QUERY_H
#define JOKES_FCGI_QUERY_H

#include "category.h"

#include <stddef.h>
#include <stdint.h>

#define QUERY_MAX 2048		/* longest raw query string accepted */
#define QUERY_Q_MAX 200		/* longest search text, in bytes after decoding */
#define QUERY_ID_MAX 999999999999999999LL /* 18 digits: ids beyond are refused */
#define QUERY_LIMIT_MAX 100

struct query {
	int64_t before;		/* 0: not given */
	int64_t since;		/* 0..QUERY_ID_MAX when has_since */
	int has_since;
	long limit;		/* 0: not given, else 1..QUERY_LIMIT_MAX */
	int has_q;		/* q was given (possibly only spaces) */
	char q[QUERY_Q_MAX + 1]; /* decoded, valid UTF-8 without control characters */
	unsigned categories;	/* bits of lib/category.h; 0: not given (every category) */
	char category[CATEGORY_LIST_MAX + 1]; /* the list normalised: "programming,dad" */
	char why[192];		/* room for a reason that names the known categories */
};

/*
 * Parse qs (NULL or "" is an empty query). Accepted keys: before, since, limit
 * (decimal digits only, before 1..QUERY_ID_MAX, since 0..QUERY_ID_MAX (0: from
 * the first joke), limit 1..QUERY_LIMIT_MAX)
 * q (percent-encoded, '+' is a space, UTF-8) and category (percent-encoded, then
 * category_parse_list: 1..8 known names, case folded; a refusal names the known
 * categories). Other keys are ignored, as
 * campaign tags on shared links must not break a page. A known key given twice,
 * an empty or malformed value, before together with since, or a query string
 * longer than QUERY_MAX is refused. Returns 0, or -1 with a short reason
 * (plain text, safe to show once escaped; static or in out->why) in *why.
 */
int query_parse(const char *qs, struct query *out, const char **why);

/*
 * Parse an id: 1..18 decimal digits, no sign or leading zero, value > 0.
 * Returns 0, or -1.
 */
int query_id(const char *s, size_t n, int64_t *out);

#endif
