/* origin.c - Origin header against Host and the allowed list (see origin.h). */
#include "origin.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

/* The host[:port] part of "scheme://host[:port]", NULL when not of that shape. */
static const char *origin_hostport(const char *origin)
{
	const char *p = strstr(origin, "://");

	if (!p || p == origin)
		return NULL;
	p += 3;
	if (!*p || strchr(p, '/'))
		return NULL;
	return p;
}

static int same(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && !strncasecmp(a, b, alen);
}

/* 1 when one comma-separated item of list equals origin or its hostport. */
static int listed(const char *list, const char *origin, const char *hostport)
{
	const char *p = list;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *s = p;

		while (n && isspace((unsigned char)*s))
			s++, n--;
		while (n && isspace((unsigned char)s[n - 1]))
			n--;
		if (n == 1 && *s == '*')
			return 1;
		if (n && (same(s, n, origin) || (hostport && same(s, n, hostport))))
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

enum origin_verdict origin_check(const char *origin, const char *host, const char *allowed,
				 int allow_missing)
{
	const char *hostport;

	if (!origin || !*origin)
		return allow_missing ? ORIGIN_OK : ORIGIN_MISSING;
	hostport = origin_hostport(origin);
	if (hostport && host && *host && !strcasecmp(hostport, host))
		return ORIGIN_OK;
	if (allowed && listed(allowed, origin, hostport))
		return ORIGIN_OK;
	return ORIGIN_MISMATCH;
}
