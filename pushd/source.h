/* source.h - where the ring gets its jokes: the "joke source" seam.
 *
 * Two implementations, chosen by pushd_source:
 * - sqlite (default): the database read read-only, rows with an id greater than the newest
 *   the ring holds; a notify or the slow poll timer only says "look now" (source.c).
 * - redis: the Redis stream redis_stream, read on the worker's own loop with hiredis's
 *   async API: warm-up from the newest entries, then a blocking XREAD from the last ID
 *   taken (source_redis.c). No database file is opened.
 * The worker calls the same functions whichever it is: init, start on the loop, poll
 * (from loop_refill, inside an lws callback), stop before the loop closes, close.
 */
#ifndef PUSHD_SOURCE_H
#define PUSHD_SOURCE_H

#include "config.h"
#include "ring.h"
#include "stats.h"

#include <sqlite3.h>
#include <uv.h>

struct source_redis; /* source_redis.h */

/* What a source tells its worker between two polls (source_start's hook). */
enum source_event {
	SOURCE_NEW,	/* jokes were appended to the ring: poll and send them */
	SOURCE_WARMED,	/* the first jokes went into an empty ring: seat the clients again */
	SOURCE_HOLE,	/* the next jokes are not the ones after the ring's newest (since): those
			 * up to oldest - 1 were trimmed from the stream before they were read */
};

struct source {
	int kind; /* enum config_source */
	/* sqlite */
	char path[256];
	sqlite3 *db;	  /* NULL until the database exists */
	int missing_said; /* "database missing" logged once */
	/* redis */
	struct source_redis *redis;
};

/* The source cfg names, for worker index (its counters in st). Nothing is opened yet. */
void source_init(struct source *s, const struct config *cfg, int index, struct stats_worker *st);

/*
 * Start what runs on loop (redis: the connection; sqlite: nothing), appending to r.
 * hook(arg, event, since, oldest) is called from the loop, outside lws's callbacks, when
 * jokes came in (see enum source_event; since and oldest for SOURCE_HOLE only). 0, or -1 after one log line.
 */
int source_start(struct source *s, uv_loop_t *loop, struct ring *r,
		 void (*hook)(void *arg, enum source_event ev, int64_t since, int64_t oldest), void *arg);

/*
 * Append every joke newer than r->newest_id to r. When the ring is empty this
 * is the warm-up: only the newest r->replay jokes are taken and the older ones
 * are noted as lost (a client asking for them gets a gap message).
 * At most limit jokes are appended per call (*more is set when there may be
 * more), so one read never pushes connected clients past their backlog.
 * Returns the number appended, or -1 on a database error (logged; the
 * connection is reopened on the next call).
 * redis: returns what the stream brought since the last call, and asks for at most
 * limit more (none when limit is 0: the next poll asks).
 */
int source_poll(struct source *s, struct ring *r, int limit, int *more);

/* Close what runs on the loop (its handles close as the loop runs on). NULL-safe, idempotent. */
void source_stop(struct source *s);

void source_close(struct source *s);

#endif
