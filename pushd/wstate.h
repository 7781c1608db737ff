/* wstate.h - the state of one jokes-pushd worker, shared by its parts: the
 * client list and broadcast (clients.c), the WebSocket protocol (proto.c), the
 * event stream (sse.c), the listener (accept.c), the event loop and timers (loop.c) and the process
 * itself (worker.c). Nothing outside a worker includes it.
 */
#ifndef PUSHD_WSTATE_H
#define PUSHD_WSTATE_H

#include "ring.h"
#include "slow.h"
#include "source.h"
#include "worker.h"

#include <libwebsockets.h>
#include <time.h>
#include <uv.h>

/*
 * One client, WebSocket or event stream (lws's per-session data of either
 * protocol). Memory per client matters
 * (tens of thousands per worker): 88 bytes, one 96-byte malloc chunk.
 */
struct pss {
	struct pss *prev, *next; /* the worker's client list (culling and shutdown walk it) */
	struct lws *wsi;
	uint64_t seq;		 /* next ring entry to send */
	uint64_t max_lag;	 /* entries it may fall behind before it is culled */
	int64_t since;
	int64_t gap_oldest;
	lws_usec_t alive_at;	 /* established or last pong (or, sse, last heartbeat); with
				    ping_out, when our ping went out */
	struct slow_mark mark;	 /* the current slowness window (slow.h) */
	int16_t close_code;	 /* non-zero: close with this code at the next write (-1: drop) */
	unsigned has_since : 1, gap_pending : 1, counted : 1, established : 1;
	unsigned ping_due : 1;	 /* send a ping at the next write */
	unsigned ping_out : 1;	 /* our ping is unanswered */
	unsigned ping_late : 1;	 /* and was past its time at the last keepalive walk */
	unsigned sse : 1;	 /* an event stream (sse.c): events and comments, no pings */
	/* the categories it takes (?category=; CATEGORY_ALL: unfiltered), in the same word */
	unsigned mask : CATEGORY_COUNT;
	int fd; /* its socket (clients.c writes a joke's frame to it itself) */
};

struct worker {
	const struct worker_args *a;
	struct config *cfg;
	struct stats_worker *st;
	uv_loop_t loop; /* the worker's; lws runs on it (loop.c) */
	int loop_made;
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct ring ring;
	struct source src;
	struct pss *clients, *clients_tail; /* first and last to come */
	uint64_t min_seq; /* oldest ring entry a served client still needs (last scan) */
	int watching;	  /* some client is behind: scan again soon */
	int64_t nclients; /* both kinds */
	int64_t trim_peak; /* most clients since the heap was last given back (loop.c) */
	int spare_fd; /* kept free to shed connections when out of descriptors */
	lws_retry_bo_t retry;
	lws_sorted_usec_list_t poll_sul, again_sul, stop_sul, keepalive_sul;
	int stopping, done;
	time_t emfile_said;
};

/* The worker a connection belongs to. */
struct worker *worker_of(struct lws *wsi);

/* The parent's command socket is readable: read and obey (worker.h). */
void worker_relay_rx(struct worker *w, int fd);

#endif
