/* stats.h - counters shared by the parent and its workers (one anonymous shared
 * mapping made before fork), and their Prometheus text rendering.
 *
 * Each worker writes only its own slot; the parent reads all of them for one
 * scrape. Values are updated with relaxed atomics: a scrape may be a moment old.
 */
#ifndef PUSHD_STATS_H
#define PUSHD_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define STATS_WORKERS_MAX 64

/* a slot of its own cache lines: workers on other cores do not contend for it */
struct __attribute__((aligned(128))) stats_worker {
	int64_t pid;
	int64_t clients;	   /* gauge: established WebSocket clients */
	int64_t sse_clients;	   /* gauge: event streams being served */
	int64_t filtered;	   /* gauge: clients of either kind with a ?category= filter */
	int64_t newest_id;	   /* gauge */
	int64_t newest_at;	   /* unix time the newest joke held was fetched (0: none yet) */
	int64_t published;	   /* jokes taken into the ring */
	int64_t sent;		   /* messages written to clients */
	int64_t bytes_sent;	   /* payload bytes written */
	int64_t culled;		   /* slow clients closed */
	int64_t refused_limit;	   /* 503: max clients or shutting down */
	int64_t refused_origin;	   /* 403: Origin mismatch or missing */
	int64_t refused_category;  /* 400: a refused ?category= */
	int64_t replays;	   /* connections with ?since= served from the ring */
	int64_t gaps;		   /* gap messages sent */
	int64_t too_big;	   /* clients closed for a too large frame */
	int64_t db_errors;	   /* failed database reads */
	int64_t db_reads;	   /* database reads (notify or poll) */
	/* pushd_source = redis (source_redis.c) */
	int64_t redis_up;	   /* gauge: this worker's connection answers */
	int64_t redis_last_id;	   /* gauge: id of the last joke taken from the stream */
	int64_t redis_last_at;	   /* unix time it was taken */
	int64_t redis_reconnects;  /* connection attempts after a loss */
	int64_t redis_skipped;	   /* stream entries refused (not a valid record) */
};

struct stats {
	int64_t clients_total;	   /* established clients over all workers (the max_clients check) */
	int64_t notifies;	   /* valid notify lines */
	int64_t notify_rejected;   /* bad notify lines (not JSON, too long, wrong shape, no newline) */
	int64_t notify_limited;	   /* notify lines skipped: over a peer's lines per second */
	int64_t worker_restarts;
	int64_t workers;
	int64_t started;	   /* unix time */
	int64_t source_redis;	   /* 1: pushd_source = redis (the redis metrics are rendered) */
	struct stats_worker w[STATS_WORKERS_MAX];
};

/* The shared mapping, zeroed; NULL on failure. */
struct stats *stats_create(void);

static inline void stats_add(int64_t *v, int64_t d)
{
	__atomic_fetch_add(v, d, __ATOMIC_RELAXED);
}
static inline int64_t stats_get(const int64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}
static inline void stats_set(int64_t *v, int64_t x)
{
	__atomic_store_n(v, x, __ATOMIC_RELAXED);
}

/*
 * 1 when every running worker's Redis connection answers (or the source is not Redis), 0
 * when one does not: /healthz says so in its body.
 */
int stats_redis_up(const struct stats *s, int nworkers);

/* Prometheus text of the whole daemon into buf. Returns the length, or -1 if it does not fit. */
int stats_render(const struct stats *s, int nworkers, char *buf, size_t size);

#endif
