/* buf.h - a growable byte buffer with a hard size cap, for building one response. */
#ifndef JOKES_FCGI_BUF_H
#define JOKES_FCGI_BUF_H

#include <stddef.h>

#define BUF_MAX (8u * 1024 * 1024) /* no response is larger; past it the buffer fails */

struct buf {
	char *p;     /* NUL-terminated while not failed; NULL before the first write */
	size_t len;
	size_t cap;
	int failed;  /* set when an allocation or the cap failed; writes then do nothing */
};

void buf_add(struct buf *b, const char *s, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_addc(struct buf *b, char c);
/* Empty the buffer but keep its memory. */
void buf_reset(struct buf *b);
/* Release the memory (NULL allowed) and zero the struct. */
void buf_free(struct buf *b);

#endif
