/* metrics_http.h - the parent's small HTTP server for GET /healthz and GET /metrics: a few
 * short connections, one request each, answered and closed.
 */
#ifndef PUSHD_METRICS_HTTP_H
#define PUSHD_METRICS_HTTP_H

#include "listener.h"
#include "stats.h"

#include <time.h>

#define METRICS_CONNS 16
#define METRICS_REQ_MAX 2048

struct metrics_conn {
	int fd; /* -1: free */
	time_t since;
	size_t len;
	char req[METRICS_REQ_MAX];
};

struct metrics_http {
	struct listener l;
	struct metrics_conn c[METRICS_CONNS];
};

/* On listening socket fd (-1: metrics off); every connection slot free. */
void metrics_http_init(struct metrics_http *m, int fd);

/* listener_accept's take(): a free slot for fd, or -1 when all are busy. */
int metrics_http_take(void *m, int fd);

/*
 * Read from connection i; a whole request is answered: /healthz 200 "ok" when healthy (with
 * the Redis source and a worker's connection down: 200 with a body that says so), else 503; /metrics the counters of nworkers workers; 404, 405 or 431 for anything else.
 */
void metrics_http_read(struct metrics_http *m, int i, int healthy, const struct stats *st,
		       int nworkers);

/* Close the connections older than their few seconds. */
void metrics_http_expire(struct metrics_http *m, time_t now);

/* Close every descriptor (the listener too): in a worker after fork. */
void metrics_http_close_all(struct metrics_http *m);

#endif
