/* stats.c - shared counters and their Prometheus rendering (see stats.h). */
#include "stats.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

struct stats *stats_create(void)
{
	void *p = mmap(NULL, sizeof(struct stats), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, sizeof(struct stats));
	return p;
}

struct out {
	char *buf;
	size_t size, len;
	int full;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len)
		o->full = 1;
	else
		o->len += (size_t)n;
}

static void metric(struct out *o, const char *name, const char *type, const char *help, int64_t v)
{
	put(o, "# HELP jokes_pushd_%s %s\n# TYPE jokes_pushd_%s %s\njokes_pushd_%s %lld\n", name,
	    help, name, type, name, (long long)v);
}

/* Sum (or max) of one stats_worker field over the live worker slots. */
static int64_t over(const struct stats *s, int n, size_t off, int want_max)
{
	int64_t acc = 0;

	for (int i = 0; i < n; i++) {
		int64_t v = stats_get((const int64_t *)((const char *)&s->w[i] + off));
		if (want_max)
			acc = v > acc ? v : acc;
		else
			acc += v;
	}
	return acc;
}

#define SUM(f) over(s, n, offsetof(struct stats_worker, f), 0)
#define MAX(f) over(s, n, offsetof(struct stats_worker, f), 1)

int stats_redis_up(const struct stats *s, int n)
{
	if (!stats_get(&s->source_redis))
		return 1;
	for (int i = 0; i < n; i++)
		if (stats_get(&s->w[i].pid) && !stats_get(&s->w[i].redis_up))
			return 0;
	return 1;
}

/* The Redis source's metrics (stats.h); rendered only when it is the source. */
static void render_redis(struct out *o, const struct stats *s, int n)
{
	int64_t at = MAX(redis_last_at), now = (int64_t)time(NULL);

	if (!at)
		at = stats_get(&s->started);
	metric(o, "redis_up", "gauge",
	       "1 when every worker's Redis connection answers, 0 when one does not.",
	       stats_redis_up(s, n));
	metric(o, "redis_last_id", "gauge", "Id of the last joke taken from the stream.",
	       MAX(redis_last_id));
	metric(o, "redis_seconds_since_entry", "gauge",
	       "Seconds since the last joke was taken from the stream (or since the start).",
	       now > at ? now - at : 0);
	metric(o, "redis_reconnects_total", "counter", "Connection attempts to Redis after a loss.",
	       SUM(redis_reconnects));
	metric(o, "redis_entries_skipped_total", "counter",
	       "Stream entries refused (not a valid record), per worker.", SUM(redis_skipped));
}

int stats_render(const struct stats *s, int n, char *buf, size_t size)
{
	struct out o = {buf, size, 0, 0};

	metric(&o, "workers", "gauge", "Worker processes configured.", n);
	metric(&o, "worker_restarts_total", "counter", "Workers restarted after dying.",
	       stats_get(&s->worker_restarts));
	metric(&o, "clients", "gauge", "WebSocket clients connected.", SUM(clients));
	metric(&o, "sse_clients", "gauge", "Event-stream (SSE) clients connected.", SUM(sse_clients));
	metric(&o, "filtered_clients", "gauge",
	       "Clients of either kind taking only some categories (?category=).", SUM(filtered));
	metric(&o, "newest_joke_id", "gauge", "Newest joke id held.", MAX(newest_id));
	if (MAX(newest_at) > 0) /* a stalled fetcher, a dead cron line: this grows */
		metric(&o, "newest_joke_age_seconds", "gauge",
		       "Seconds since the newest joke held was fetched (its fetched_at).",
		       (int64_t)time(NULL) - MAX(newest_at));
	metric(&o, "jokes_published_total", "counter", "Jokes taken from the joke source (database or Redis stream) for broadcast.",
	       MAX(published));
	metric(&o, "messages_sent_total", "counter",
	       "WebSocket messages and events sent to clients.", SUM(sent));
	metric(&o, "bytes_sent_total", "counter", "Payload bytes sent to clients.", SUM(bytes_sent));
	metric(&o, "clients_culled_total", "counter", "Slow clients closed.", SUM(culled));
	put(&o, "# HELP jokes_pushd_clients_refused_total Upgrades and event streams refused.\n"
		"# TYPE jokes_pushd_clients_refused_total counter\n"
		"jokes_pushd_clients_refused_total{reason=\"limit\"} %lld\n"
		"jokes_pushd_clients_refused_total{reason=\"origin\"} %lld\n"
		"jokes_pushd_clients_refused_total{reason=\"category\"} %lld\n",
	    (long long)SUM(refused_limit), (long long)SUM(refused_origin),
	    (long long)SUM(refused_category));
	metric(&o, "clients_too_big_total", "counter", "Clients closed for a too large frame.",
	       SUM(too_big));
	metric(&o, "replay_hits_total", "counter",
	       "Connections with ?since= or Last-Event-ID served from the ring.",
	       SUM(replays));
	metric(&o, "replay_gaps_total", "counter", "Gap messages sent.", SUM(gaps));
	metric(&o, "notifies_received_total", "counter", "Valid notify lines.", stats_get(&s->notifies));
	metric(&o, "notifies_rejected_total", "counter", "Notify lines refused.",
	       stats_get(&s->notify_rejected));
	metric(&o, "notifies_limited_total", "counter",
	       "Notify lines skipped unread: over a peer's lines per second.",
	       stats_get(&s->notify_limited));
	metric(&o, "db_reads_total", "counter", "Database reads.", SUM(db_reads));
	metric(&o, "db_errors_total", "counter", "Failed database reads.", SUM(db_errors));
	if (stats_get(&s->source_redis))
		render_redis(&o, s, n);
	metric(&o, "start_time_seconds", "gauge", "Start time, unix seconds.", stats_get(&s->started));
	return o.full ? -1 : (int)o.len;
}
