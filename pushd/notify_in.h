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
/*
 * A notify is a wake-up, and jokes-fetch sends one line a run: a peer is read at most
 * NOTIFY_BYTES_PER_SEC a second (then not polled until the next second, so a flooding member
 * of the socket's group cannot make the parent spin), and at most NOTIFY_LINES_PER_SEC of
 * its lines a second are checked; the rest are counted and skipped. Each read that brought
 * a valid line wakes the workers once.
 */
#define NOTIFY_BYTES_PER_SEC 65536
#define NOTIFY_LINES_PER_SEC 100

struct notify_conn {
	int fd; /* -1: free */
	time_t last;
	time_t sec;	/* the second the budgets below are for */
	size_t bytes;	/* read in that second */
	int lines;	/* checked in that second */
	struct linebuf lb;
};

struct notify_in {
	struct listener l;
	struct notify_conn c[NOTIFY_CONNS];
	struct notify_conn *reading; /* the connection whose bytes line() sees */
	int woke;		     /* a valid line in this read */
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

/* The descriptor to poll for connection i, or -1 (free, or over its byte budget this second). */
int notify_in_poll_fd(const struct notify_in *n, int i, time_t now);

/* Close the connections idle for longer than a few seconds. */
void notify_in_expire(struct notify_in *n, time_t now);

/* Close every descriptor (the listener too): in a worker after fork. */
void notify_in_close_all(struct notify_in *n);

#endif
