/* listener.h - a listening socket of the parent (notify, metrics): one accept loop, and a rest
 * after a failure such as EMFILE, which leaves the listener readable and would make poll()
 * return at once forever.
 */
#ifndef PUSHD_LISTENER_H
#define PUSHD_LISTENER_H

#include <stdint.h>

struct listener {
	int fd;		  /* -1: none */
	const char *name; /* "notify", "metrics": in the log */
	int64_t until;	  /* monotonic ms; not polled before then */
	int64_t said;	  /* when the last failure was logged (0: never) */
};

/* Monotonic milliseconds. */
int64_t listener_now_ms(void);

/*
 * Accept every waiting connection (non-blocking, close-on-exec) and hand each to take(ctx,
 * fd), which keeps it (0) or refuses it (-1: it is closed). After a real accept() failure the
 * listener rests LISTENER_PAUSE_MS, logged once a minute at most.
 */
void listener_accept(struct listener *l, int (*take)(void *ctx, int fd), void *ctx);

/* The descriptor to poll, or -1 while it rests; *timeout (ms) shrinks to its wake-up. */
int listener_poll_fd(const struct listener *l, int64_t now, int *timeout);

#endif
