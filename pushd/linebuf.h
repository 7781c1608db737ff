/* linebuf.h - split a byte stream into lines with a hard cap per line.
 *
 * Used for notify connections: RX arrives in chunks, lines may be split or
 * several may come together. A line longer than the cap is reported once as
 * too long and its bytes are discarded up to the next newline, so memory per
 * connection never exceeds the cap.
 */
#ifndef PUSHD_LINEBUF_H
#define PUSHD_LINEBUF_H

#include <stddef.h>

struct linebuf {
	char *buf;	/* allocated on first use, cap bytes */
	size_t len;	/* bytes of the unfinished line */
	size_t cap;	/* most bytes of one line, newline included */
	int discarding; /* inside a line that was already reported too long */
};

/* line: the bytes without '\n' (NULL and len 0 when too_long); return non-zero to stop. */
typedef int (*linebuf_fn)(void *arg, const char *line, size_t len, int too_long);

void linebuf_init(struct linebuf *lb, size_t cap);
void linebuf_free(struct linebuf *lb);

/* Feed n bytes. Returns 0, -1 on allocation failure, or what fn returned when it stopped. */
int linebuf_feed(struct linebuf *lb, const char *data, size_t n, linebuf_fn fn, void *arg);

/* 1 when bytes of an unfinished line are pending. */
int linebuf_pending(const struct linebuf *lb);

#endif
