/* notify_in.h - the parent's notify listener: connections from jokes-fetch, one JSON record a
 * line, each line checked (lib/joke.h) before it wakes the workers.
 */
#ifndef PUSHD_NOTIFY_IN_H
#define PUSHD_NOTIFY_IN_H

#include "linebuf.h"
#include "listener.h"
#include "stats.h"

#include <time.h>

#define NOTIFY_CONNS 64

struct notify_conn {
	int fd; /* -1: free */
	time_t last;
	struct linebuf lb;
};

struct notify_in {
	struct listener l;
	struct notify_conn c[NOTIFY_CONNS];
	struct stats *stats;
	void (*on_joke)(void *ctx); /* a valid record came in */
	void *ctx;
};

/* On listening socket fd; on_joke(ctx) for every valid line, counted in st. */
void notify_in_init(struct notify_in *n, int fd, struct stats *st, void (*on_joke)(void *ctx),
		    void *ctx);

/* listener_accept's take(): a free slot for fd, or -1 (logged) when all are busy. */
int notify_in_take(void *n, int fd);

/* Read what connection i has; a connection that ends inside a line drops it (counted). */
void notify_in_read(struct notify_in *n, int i);

/* Close the connections idle for longer than a few seconds. */
void notify_in_expire(struct notify_in *n, time_t now);

/* Close every descriptor (the listener too): in a worker after fork. */
void notify_in_close_all(struct notify_in *n);

#endif
