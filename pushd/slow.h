/* slow.h - when is a WebSocket client too slow to keep?
 *
 * Judged over windows of a grace period while a client is more than its
 * backlog behind the newest joke. It is slow when it took nothing during a
 * whole window, or when it holds back new jokes for the others: the ring has
 * no room left because of it, and other clients are more than a backlog
 * ahead of it. Clients that are all behind together (a burst that takes
 * longer than a window to fan out) are waiting for their turn, not slow.
 */
#ifndef PUSHD_SLOW_H
#define PUSHD_SLOW_H

#include <stdint.h>

struct slow_mark {
	int64_t at;   /* start of the current window, microseconds (0: not behind) */
	uint64_t seq; /* the client's sequence number then */
};

struct slow_view {
	uint64_t head;	  /* sequence number of the next joke into the ring */
	uint64_t tail;	  /* oldest sequence number the ring still holds */
	uint64_t lead;	  /* furthest any live client has got */
	uint64_t cap;	  /* ring capacity */
	uint64_t backlog; /* pushd_max_backlog */
	int64_t now, grace;
};

/* 1: close the client whose next entry is seq and who may lag by max_lag. */
int slow_judge(struct slow_mark *m, uint64_t seq, uint64_t max_lag, const struct slow_view *v);

#endif
