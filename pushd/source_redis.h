/* source_redis.h - the Redis joke source: one hiredis async connection per worker, on the
 * worker's libuv loop (hiredis's adapters/libuv.h), reading the stream redis_stream.
 *
 * On (re)connect: AUTH and SELECT when redis_url asks for them; while the ring is empty, a
 * warm-up from the newest pushd_ring_size entries (XREVRANGE; an empty stream is waited for
 * with XREAD ... $ and then warmed from); then XREAD BLOCK from the last entry ID read, at
 * most as many entries as the ring has room for (source_poll's limit). A lost connection,
 * an error answer (a wrong password among them) or a command unanswered past its deadline:
 * the connection is dropped and made again after a backoff with jitter, resuming from that
 * ID, so nothing is lost or repeated. Entries that are not a valid record (lib/stream_entry.h)
 * are logged and skipped. Outages are logged once when they start and once when they end
 * (by worker 0; the others at debug level).
 */
#ifndef PUSHD_SOURCE_REDIS_H
#define PUSHD_SOURCE_REDIS_H

#include "source.h"

/* A source for worker index of cfg (redis_url, redis_stream); NULL when memory is short. */
struct source_redis *source_redis_new(const struct config *cfg, int index, struct stats_worker *st);

/* Connect on loop (the first attempt at once); see source_start. 0, or -1 after a log line. */
int source_redis_start(struct source_redis *s, uv_loop_t *loop, struct ring *r,
		       void (*hook)(void *arg, enum source_event ev, int64_t since, int64_t oldest), void *arg);

/* Jokes appended since the last call; the stream may now bring at most limit more. */
int source_redis_poll(struct source_redis *s, int limit);

/* Drop the connection and the timer (closed as the loop runs on). NULL-safe, idempotent. */
void source_redis_stop(struct source_redis *s);

/* Free s once the loop has closed its handles. NULL-safe. */
void source_redis_free(struct source_redis *s);

#endif
