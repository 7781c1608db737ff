/* linebuf.c - capped line splitter (see linebuf.h). */
#include "linebuf.h"

#include <stdlib.h>
#include <string.h>

void linebuf_init(struct linebuf *lb, size_t cap)
{
	memset(lb, 0, sizeof(*lb));
	lb->cap = cap;
}

void linebuf_free(struct linebuf *lb)
{
	if (!lb)
		return;
	free(lb->buf);
	lb->buf = NULL;
	lb->len = 0;
	lb->discarding = 0;
}

int linebuf_pending(const struct linebuf *lb)
{
	return lb->len > 0 || lb->discarding;
}

/* Bytes data[0..n) that contain no newline: keep or discard them. */
static int take_partial(struct linebuf *lb, const char *data, size_t n, linebuf_fn fn, void *arg)
{
	if (lb->discarding)
		return 0;
	/* the newline still has to fit: a line holds at most cap - 1 bytes */
	if (lb->len + n > lb->cap - 1) {
		lb->len = 0;
		lb->discarding = 1;
		return fn(arg, NULL, 0, 1);
	}
	if (!lb->buf && !(lb->buf = malloc(lb->cap)))
		return -1;
	memcpy(lb->buf + lb->len, data, n);
	lb->len += n;
	return 0;
}

int linebuf_feed(struct linebuf *lb, const char *data, size_t n, linebuf_fn fn, void *arg)
{
	while (n) {
		const char *nl = memchr(data, '\n', n);
		size_t part = nl ? (size_t)(nl - data) : n;
		int rc = take_partial(lb, data, part, fn, arg);

		if (rc)
			return rc;
		if (!nl)
			return 0;
		if (lb->discarding) {
			lb->discarding = 0;
		} else {
			rc = fn(arg, lb->len ? lb->buf : "", lb->len, 0);
			lb->len = 0;
			if (rc)
				return rc;
		}
		data = nl + 1;
		n -= part + 1;
	}
	return 0;
}
