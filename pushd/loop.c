/* loop.c - a worker's event loop: lws on the worker's own libuv loop, and its timers. */
#include "loop.h"

#include "clients.h"
#include "log.h"
#include "proto.h"

#include <malloc.h>
#include <string.h>

#define STOP_GRACE_US (3 * LWS_US_PER_SEC)
#define POLL_AGAIN_US (100 * LWS_US_PER_MS)
#define SLOW_RESCAN_US (500 * LWS_US_PER_MS) /* half the slow-client grace (clients.c) */
#define KEEPALIVE_TICK_MAX_US (5 * LWS_US_PER_SEC)
#define CLOSE_ROUNDS_MAX 1000 /* loop iterations lws gets to close its handles at exit */

static void lws_log_emit(int level, const char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		log_warn("lws: %.*s", (int)n, line);
	else
		log_debug("lws: %.*s", (int)n, line);
}

void loop_log_init(int level)
{
	lws_set_log_level(level >= LOG_LEVEL_DEBUG ? LLL_ERR | LLL_WARN : LLL_ERR, lws_log_emit);
}

static void count_handle(uv_handle_t *h, void *arg)
{
	(void)h;
	(*(int *)arg)++;
}

/* Handles on loop (libuv's internal ones are not counted). */
static int loop_handles(uv_loop_t *loop)
{
	int n = 0;

	uv_walk(loop, count_handle, &n);
	return n;
}

/*
 * A context on loop. lws on libuv puts its idle and timer handles on a
 * foreign loop as it is created; without them lws fell back to poll().
 * NULL after one log line.
 */
static struct lws_context *context_on(uv_loop_t *loop, struct lws_context_creation_info *info)
{
	void *loops[] = {loop};
	struct lws_context *ctx;
	int before = loop_handles(loop);

	info->options |= LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_LIBUV;
	info->foreign_loops = loops; /* only read while the context is created */
	ctx = lws_create_context(info);
	info->foreign_loops = NULL;
	if (!ctx) {
		log_error("cannot run libwebsockets on libuv: no context "
			  "(is libwebsockets-evlib-uv installed?)");
		return NULL;
	}
	if (loop_handles(loop) == before) {
		log_error("libwebsockets does not run on libuv: its plugin "
			  "libwebsockets-evlib_uv.so did not load (is libwebsockets-evlib-uv installed?)");
		lws_context_destroy(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * lws_context_destroy() on a foreign loop closes every connection and lws's
 * own handles with uv_close(), which completes in the loop; a second call,
 * once they are closed, frees the context (the sequence of lws's
 * minimal-http-server-eventlib-foreign). -1 when handles were left open:
 * the context is then left too (its memory holds them), and the process ends.
 */
static int teardown(struct lws_context *ctx, uv_loop_t *loop)
{
	int rounds = 0;

	if (ctx) {
		lws_context_destroy(ctx);
		while (uv_run(loop, UV_RUN_NOWAIT) && ++rounds < CLOSE_ROUNDS_MAX)
			;
		if (!loop_handles(loop))
			lws_context_destroy(ctx);
	}
	if (uv_loop_close(loop)) {
		log_warn("%d libuv handle(s) still open at exit", loop_handles(loop));
		return -1;
	}
	return 0;
}

int loop_check(void)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;
	uv_loop_t loop;
	int rc;

	if (uv_loop_init(&loop)) {
		log_error("cannot make a libuv loop");
		return -1;
	}
	memset(&info, 0, sizeof(info));
	/* one line says it: not lws's two about the plugin it could not open */
	lws_set_log_level(0, lws_log_emit);
	ctx = context_on(&loop, &info);
	rc = teardown(ctx, &loop) || !ctx ? -1 : 0;
	loop_log_init(log_get_level());
	return rc;
}

int loop_open(struct worker *w)
{
	struct lws_context_creation_info info;
	lws_sock_file_fd_type fd;

	if (uv_loop_init(&w->loop)) {
		log_error("worker %d: cannot make a libuv loop", w->a->index);
		return -1;
	}
	w->loop_made = 1;
	memset(&info, 0, sizeof(info));
	info.user = w;
	info.timeout_secs = (unsigned int)w->cfg->pushd_handshake_secs;
	info.timeout_secs_ah_idle = info.timeout_secs;
	w->ctx = context_on(&w->loop, &info);
	if (!w->ctx)
		return -1;
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	info.vhost_name = "pushd";
	info.protocols = proto_protocols;
	info.pvo = &proto_pvo;
	info.keepalive_timeout = 5;
	info.retry_and_idle_policy = &w->retry; /* zero: no lws validity timers (keepalive_tick) */
	w->vh = lws_create_vhost(w->ctx, &info);
	fd.filefd = w->a->listen_fd;
	if (!w->vh ||
	    !lws_adopt_descriptor_vhost(w->vh, LWS_ADOPT_RAW_FILE_DESC, fd, PROTO_RAW, NULL)) {
		log_error("worker %d: cannot listen through libwebsockets", w->a->index);
		return -1;
	}
	fd.filefd = w->a->relay_fd;
	if (!lws_adopt_descriptor_vhost(w->vh, LWS_ADOPT_RAW_FILE_DESC, fd, PROTO_RAW, NULL)) {
		log_error("worker %d: cannot watch the parent's socket", w->a->index);
		return -1;
	}
	log_debug("worker %d: libwebsockets on libuv %s", w->a->index, uv_version_string());
	return 0;
}

int loop_close(struct worker *w)
{
	int rc;

	if (!w->loop_made)
		return 0;
	rc = teardown(w->ctx, &w->loop);
	w->ctx = NULL;
	w->loop_made = 0;
	return rc;
}

/* --- timers ---------------------------------------------------------------------
 * lws's timers (sul) on libuv are one uv timer, set to the earliest of them:
 * a tick wakes the loop for itself alone, whatever the number of connections.
 * lws re-arms that uv timer after its own callbacks only, so the worker's
 * timers are lws's too (not uv timers of their own): a timeout that a tick
 * sets (a keepalive drop) then takes effect on time.
 */

static void poll_again(lws_sorted_usec_list_t *sul);

/*
 * Take new jokes from the source, but never more than the ring can hold
 * without dropping one a connected client has not sent yet: the database (or
 * the Redis stream) is the buffer, and the rest is read again shortly.
 */
void loop_refill(struct worker *w)
{
	uint64_t used = w->ring.head - w->min_seq;
	long room = (long)(w->ring.cap - (used < w->ring.cap ? used : w->ring.cap));
	long batch = w->cfg->pushd_max_backlog < room ? w->cfg->pushd_max_backlog : room;
	int more = 1, n = 0;

	if (batch > 0) {
		n = source_poll(&w->src, &w->ring, (int)batch, &more);
		if (w->src.kind != CONFIG_SOURCE_REDIS) /* the Redis source read the stream already */
			stats_add(&w->st->db_reads, 1);
	}
	if (n < 0) {
		stats_add(&w->st->db_errors, 1);
		return;
	}
	if (n) {
		stats_add(&w->st->published, n);
		stats_set(&w->st->newest_id, w->ring.newest_id);
		stats_set(&w->st->newest_at, w->ring.newest_at);
		log_debug("worker %d: %d new joke(s), newest %lld", w->a->index, n,
			  (long long)w->ring.newest_id);
	}
	/*
	 * Nothing new, and every client had all jokes at the last scan (or is
	 * being sent the rest in WRITEABLE): no client to visit, so a wake-up
	 * that brings nothing (a repeated notify, the periodic poll) costs one
	 * read, not a walk of every client.
	 */
	if (n || w->watching || w->min_seq != w->ring.head)
		clients_scan(w);
	if (more)
		lws_sul_schedule(w->ctx, 0, &w->again_sul, poll_again, POLL_AGAIN_US);
	else if (w->watching)
		lws_sul_schedule(w->ctx, 0, &w->again_sul, poll_again, SLOW_RESCAN_US);
}

static void poll_again(lws_sorted_usec_list_t *sul)
{
	loop_refill(lws_container_of(sul, struct worker, again_sul));
}

static void poll_timer(lws_sorted_usec_list_t *sul)
{
	struct worker *w = lws_container_of(sul, struct worker, poll_sul);

	loop_refill(w);
	lws_sul_schedule(w->ctx, 0, &w->poll_sul, poll_timer,
			 (lws_usec_t)w->cfg->pushd_poll_secs * LWS_US_PER_SEC);
}

/*
 * Keepalive is pushd's own, not lws's: lws 4.1.6 keeps one "validity" timer
 * per connection in a sorted linked list and re-inserts it on every pong and
 * every new connection, walking the list: O(clients) each, O(clients^2) per
 * ping round or connect storm (seconds of CPU per worker at 15 000 clients).
 * A zero hang-up time turns lws's timers off; this tick walks the client list
 * instead (O(clients), not O(descriptors)), pings the idle ones and drops
 * those that did not answer. It runs every fifth of the shorter of the two
 * times (at most every 5 s), so a ping or a drop is at most that late.
 */
static lws_usec_t keepalive_period(const struct config *cfg)
{
	long s = cfg->pushd_ping_secs < cfg->pushd_ping_timeout_secs ? cfg->pushd_ping_secs
								       : cfg->pushd_ping_timeout_secs;
	lws_usec_t us = (lws_usec_t)s * LWS_US_PER_SEC / 5;

	return us < KEEPALIVE_TICK_MAX_US ? us : KEEPALIVE_TICK_MAX_US;
}

/*
 * glibc keeps the heap a burst of connections grew (measured: +3 MB after 2 000 clients came
 * and went, for good): once at least half of the most clients since the last time are gone,
 * and a few hundred, give the free pages back. A walk of malloc's free lists, milliseconds
 * at most, and only after such a drop.
 */
static void heap_trim(struct worker *w)
{
	if (w->trim_peak - w->nclients >= 256 && w->nclients <= w->trim_peak / 2) {
		malloc_trim(0);
		w->trim_peak = w->nclients;
	}
}

static void keepalive_tick(lws_sorted_usec_list_t *sul)
{
	struct worker *w = lws_container_of(sul, struct worker, keepalive_sul);

	clients_keepalive(w);
	heap_trim(w);
	lws_sul_schedule(w->ctx, 0, &w->keepalive_sul, keepalive_tick, keepalive_period(w->cfg));
}

void loop_keepalive_reset(struct worker *w)
{
	lws_sul_schedule(w->ctx, 0, &w->keepalive_sul, keepalive_tick, keepalive_period(w->cfg));
}

static void stop_timer(lws_sorted_usec_list_t *sul)
{
	loop_finish(lws_container_of(sul, struct worker, stop_sul));
}

void loop_stop_later(struct worker *w)
{
	lws_sul_schedule(w->ctx, 0, &w->stop_sul, stop_timer, STOP_GRACE_US);
}

void loop_finish(struct worker *w)
{
	if (w->done)
		return;
	w->done = 1;
	uv_stop(&w->loop);
}

void loop_run(struct worker *w)
{
	loop_refill(w); /* warm the ring */
	lws_sul_schedule(w->ctx, 0, &w->poll_sul, poll_timer,
			 (lws_usec_t)w->cfg->pushd_poll_secs * LWS_US_PER_SEC);
	loop_keepalive_reset(w);
	while (!w->done)
		if (!uv_run(&w->loop, UV_RUN_DEFAULT))
			break; /* nothing left to watch: cannot happen while lws listens */
}
