/* source_redis.c - the Redis joke source: hiredis async on the worker's loop (see source_redis.h). */
#include "source_redis.h"

#include "log.h"
#include "redis_uv.h"
#include "stream_entry.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BLOCK_MS 10000	   /* XREAD BLOCK: an idle stream answers nil this often */
#define ANSWER_MS 5000	   /* any other command, and the connect, are answered within this */
#define BACKOFF_MIN_MS 100 /* first retry after a loss; doubled per failure up to the max */
#define BACKOFF_MAX_MS 5000
#define READ_COUNT_MAX 1000 /* entries one XREAD may bring */

enum rstate { RS_IDLE, RS_CONNECTING, RS_READY, RS_STOPPED };

struct source_redis {
	struct redis_url url;
	char stream[REDIS_STREAM_MAX + 1];
	int index;
	struct stats_worker *st;
	uv_loop_t *loop;
	struct ring *ring;
	void (*hook)(void *arg, enum source_event ev, int64_t since, int64_t oldest);
	void *arg;
	redisAsyncContext *ac; /* NULL when not connected; callbacks of an older one are ignored */
	uv_timer_t timer;      /* the backoff wait, or the deadline of the outstanding command */
	int timer_made;
	enum rstate state;
	int reading;	 /* a warm-up or XREAD is outstanding */
	int warmed;	 /* the ring was warmed from the stream (or holds jokes) */
	int up;		 /* a command was answered on this connection */
	struct stream_id last; /* the last entry ID read, good or bad */
	int have_last;
	int pushed; /* appended since the last poll */
	long room;  /* entries the ring may still take (the last poll's limit less what came) */
	long deadline_ms; /* of the last command sent: armed once the connection is made */
	int backoff_ms;
	int down_said;
	time_t down_since;
};

static void connect_now(struct source_redis *s);

/* Worker 0 speaks for all: the others say the same at debug level. */
__attribute__((format(printf, 3, 4))) static void say(const struct source_redis *s, int level,
						      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s->index != 0)
		level = LOG_LEVEL_DEBUG;
	if (level == LOG_LEVEL_ERROR)
		log_error("redis: %s", msg);
	else if (level == LOG_LEVEL_WARN)
		log_warn("redis: %s", msg);
	else if (level == LOG_LEVEL_INFO)
		log_info("redis: %s", msg);
	else
		log_debug("worker %d: redis: %s", s->index, msg);
}

struct source_redis *source_redis_new(const struct config *cfg, int index, struct stats_worker *st)
{
	struct source_redis *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->url = cfg->redis;
	snprintf(s->stream, sizeof(s->stream), "%s", cfg->redis_stream);
	s->index = index;
	s->st = st;
	s->backoff_ms = BACKOFF_MIN_MS;
	return s;
}

/* --- connection state ----------------------------------------------------------- */

static void on_timer(uv_timer_t *t);

static void timer_set(struct source_redis *s, long ms)
{
	uv_timer_start(&s->timer, on_timer, (uint64_t)ms, 0);
}

/* Forget the connection: its pending callbacks see another ac and do nothing. */
static void drop(struct source_redis *s)
{
	redisAsyncContext *ac = s->ac;

	s->ac = NULL;
	s->reading = 0;
	s->up = 0;
	stats_set(&s->st->redis_up, 0);
	if (ac)
		redisAsyncFree(ac); /* deferred by hiredis when called from its callback */
}

/* The connection failed (why): log it if the outage is new, retry after the backoff. */
static void lost(struct source_redis *s, int level, const char *why)
{
	long ms;

	drop(s);
	if (s->state == RS_STOPPED)
		return;
	if (!s->down_said) {
		s->down_said = 1;
		s->down_since = time(NULL);
		say(s, level, "%s; serving from the ring, retrying with backoff", why);
	} else {
		say(s, LOG_LEVEL_DEBUG, "%s", why);
	}
	s->state = RS_IDLE;
	/* jitter: between half and all of the backoff, so nodes do not retry in step */
	ms = s->backoff_ms / 2 + (long)(rand() % (s->backoff_ms / 2 + 1));
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
	timer_set(s, ms);
}

/* A command was answered: the connection works. */
static void came_up(struct source_redis *s)
{
	if (s->up)
		return;
	s->up = 1;
	s->backoff_ms = BACKOFF_MIN_MS;
	stats_set(&s->st->redis_up, 1);
	if (s->down_said)
		say(s, LOG_LEVEL_INFO, "reachable again after %lld s",
		    (long long)(time(NULL) - s->down_since));
	s->down_said = 0;
}

static void on_timer(uv_timer_t *t)
{
	struct source_redis *s = t->data;

	if (s->state == RS_IDLE) {
		stats_add(&s->st->redis_reconnects, 1);
		connect_now(s);
	} else if (s->state == RS_CONNECTING || s->state == RS_READY) {
		lost(s, LOG_LEVEL_WARN, "no answer in time; reconnecting");
	}
}

/* An error answer or none (NULL: the connection is going): 1 after handling it. */
static int failed(struct source_redis *s, redisAsyncContext *ac, const redisReply *r, const char *cmd)
{
	char why[300];

	if (ac != s->ac)
		return 1; /* an older connection, already dropped */
	if (!r) {
		lost(s, LOG_LEVEL_WARN, ac->errstr[0] ? ac->errstr : "connection lost");
		return 1;
	}
	if (r->type != REDIS_REPLY_ERROR)
		return 0;
	if (!strncmp(r->str, "WRONGPASS", 9) || !strncmp(r->str, "NOAUTH", 6) ||
	    strstr(r->str, "without any password configured"))
		snprintf(why, sizeof(why), "%s refused: %.200s (check the password in redis_url)", cmd,
			 r->str);
	else
		snprintf(why, sizeof(why), "%s: %.200s", cmd, r->str);
	lost(s, LOG_LEVEL_ERROR, why);
	return 1;
}

/* --- commands -------------------------------------------------------------------- */

static void on_warm(redisAsyncContext *ac, void *reply, void *priv);
static void on_read(redisAsyncContext *ac, void *reply, void *priv);

static void command(struct source_redis *s, redisCallbackFn *fn, int argc, const char **argv,
		    long deadline_ms)
{
	size_t lens[8];

	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (redisAsyncCommandArgv(s->ac, fn, s, argc, argv, lens) != REDIS_OK) {
		lost(s, LOG_LEVEL_WARN, "cannot send a command");
		return;
	}
	s->deadline_ms = deadline_ms;
	if (s->state == RS_READY)
		timer_set(s, deadline_ms);
}

/* The newest ring_size + 1 entries: one more tells whether older ones exist. */
static void ask_warm(struct source_redis *s)
{
	char count[24];
	const char *argv[] = {"XREVRANGE", s->stream, "+", "-", "COUNT", count};

	snprintf(count, sizeof(count), "%zu", s->ring->replay + 1);
	s->reading = 1;
	command(s, on_warm, 6, argv, ANSWER_MS);
}

/* XREAD BLOCK after the last ID read; before the warm-up ("$"), only a wake-up. */
static void ask_read(struct source_redis *s)
{
	char count[24], block[24], from[STREAM_ID_MAX + 1];
	const char *argv[] = {"XREAD", "COUNT", count, "BLOCK", block, "STREAMS", s->stream, from};
	long n = s->room < READ_COUNT_MAX ? s->room : READ_COUNT_MAX;

	if (s->warmed && n <= 0) {
		s->reading = 0;
		uv_timer_stop(&s->timer); /* idle until the next poll gives room */
		return;
	}
	snprintf(count, sizeof(count), "%ld", s->warmed ? n : 1);
	snprintf(block, sizeof(block), "%d", BLOCK_MS);
	if (s->warmed && s->have_last)
		snprintf(from, sizeof(from), "%llu-%llu", (unsigned long long)s->last.ms,
			 (unsigned long long)s->last.seq);
	else if (s->warmed)
		snprintf(from, sizeof(from), "0-0");
	else
		snprintf(from, sizeof(from), "$");
	s->reading = 1;
	command(s, on_read, 8, argv, BLOCK_MS + ANSWER_MS);
}

/* What to read next on a working connection. */
static void ask_next(struct source_redis *s)
{
	if (!s->warmed && s->ring->newest_id)
		s->warmed = 1; /* the ring holds jokes (the connection was lost after the warm-up) */
	if (s->warmed)
		ask_read(s);
	else
		ask_warm(s);
}

static void on_auth(redisAsyncContext *ac, void *reply, void *priv)
{
	struct source_redis *s = priv;

	if (failed(s, ac, reply, "AUTH"))
		return;
	came_up(s);
}

static void on_select(redisAsyncContext *ac, void *reply, void *priv)
{
	(void)failed(priv, ac, reply, "SELECT");
}

/* --- entries ---------------------------------------------------------------------- */

/*
 * One entry: remember its ID (resume after it, even when it is refused), append its joke.
 * 1 appended, 0 not (older, or refused: logged and counted).
 */
static int take(struct source_redis *s, const redisReply *e)
{
	char err[128];
	struct joke j;
	struct stream_id id;
	int have_id = !stream_entry_reply_id(e, &id);
	const char *shown = have_id ? e->element[0]->str : "?";

	if (have_id && (!s->have_last || id.ms > s->last.ms ||
			(id.ms == s->last.ms && id.seq > s->last.seq))) {
		s->last = id;
		s->have_last = 1;
	}
	if (stream_entry_from_reply(e, &j, err, sizeof(err))) {
		stats_add(&s->st->redis_skipped, 1);
		say(s, LOG_LEVEL_WARN, "entry %.48s skipped: %s", shown, err);
		return 0;
	}
	switch (ring_push(s->ring, &j)) {
	case 1:
		stats_set(&s->st->redis_last_id, j.id);
		stats_set(&s->st->redis_last_at, (int64_t)time(NULL));
		s->pushed++;
		return 1;
	case 0:
		return 0;
	default:
		say(s, LOG_LEVEL_WARN, "out of memory for entry %.48s", shown);
		return 0;
	}
}

static void on_warm(redisAsyncContext *ac, void *reply, void *priv)
{
	struct source_redis *s = priv;
	const redisReply *r = reply;
	size_t n, cap = s->ring->replay + 1;
	int added = 0;

	if (failed(s, ac, r, "XREVRANGE"))
		return;
	if (r->type != REDIS_REPLY_ARRAY) {
		lost(s, LOG_LEVEL_ERROR, "XREVRANGE: not an array");
		return;
	}
	came_up(s);
	s->reading = 0;
	n = r->elements;
	if (!n) { /* an empty stream: wait for its first entry, then warm */
		ask_read(s);
		return;
	}
	/* newest first: the one beyond the replay window only says older ones exist */
	if (n == cap) {
		struct stream_id old;

		if (!stream_entry_reply_id(r->element[n - 1], &old))
			ring_note_lost(s->ring, (int64_t)(old.ms > INT64_MAX ? INT64_MAX : old.ms));
		n--;
	}
	for (size_t i = n; i-- > 0;)
		added += take(s, r->element[i]);
	s->warmed = 1;
	say(s, LOG_LEVEL_DEBUG, "warmed the ring with %d joke(s), newest %lld", added,
	    (long long)s->ring->newest_id);
	if (added) {
		s->hook(s->arg, SOURCE_WARMED, 0, 0);
		s->hook(s->arg, SOURCE_NEW, 0, 0);
	}
	ask_read(s);
}

/*
 * Entry IDs are the jokes' ids, one after the other: a first entry past the last ID read + 1
 * means the ones between were trimmed (MAXLEN) before this node read them, as after an outage
 * longer than fetch_redis_maxlen jokes. They are noted as lost (a ?since= before them gets the
 * gap message) and the clients are told before the next jokes reach them (SOURCE_HOLE).
 */
static void check_hole(struct source_redis *s, const redisReply *e)
{
	int64_t newest = s->ring->newest_id;
	struct stream_id id;

	/* after the last entry read, good or bad: a skipped entry is no hole */
	if (!newest || !s->have_last || stream_entry_reply_id(e, &id) || id.ms <= s->last.ms + 1 ||
	    id.ms > INT64_MAX)
		return;
	say(s, LOG_LEVEL_WARN, "jokes %llu to %llu were trimmed from the stream before they were "
	    "read (is fetch_redis_maxlen shorter than the outage?); clients get the gap message",
	    (unsigned long long)s->last.ms + 1, (unsigned long long)id.ms - 1);
	ring_note_lost(s->ring, (int64_t)id.ms - 1);
	s->hook(s->arg, SOURCE_HOLE, newest, (int64_t)id.ms);
}

static void on_read(redisAsyncContext *ac, void *reply, void *priv)
{
	struct source_redis *s = priv;
	const redisReply *r = reply;
	int added = 0;

	if (failed(s, ac, r, "XREAD"))
		return;
	came_up(s);
	s->reading = 0;
	if (!s->warmed) { /* the first entry of an empty stream (or the wait timed out) */
		ask_next(s);
		return;
	}
	/* nil: BLOCK timed out; else [[stream, [entry, ...]]] */
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2 &&
	    r->element[0]->element[1]->type == REDIS_REPLY_ARRAY) {
		const redisReply *entries = r->element[0]->element[1];

		if (entries->elements)
			check_hole(s, entries->element[0]);
		for (size_t i = 0; i < entries->elements; i++)
			added += take(s, entries->element[i]);
	} else if (r->type != REDIS_REPLY_NIL) {
		lost(s, LOG_LEVEL_ERROR, "XREAD: an answer of an unexpected shape");
		return;
	}
	s->room -= added;
	if (added)
		s->hook(s->arg, SOURCE_NEW, 0, 0);
	ask_read(s);
}

/* --- connecting ------------------------------------------------------------------- */

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct source_redis *s = ac->data;

	if (ac != s->ac)
		return;
	if (status != REDIS_OK) {
		char why[300];

		snprintf(why, sizeof(why), "cannot connect: %.200s", ac->errstr);
		s->ac = NULL; /* hiredis frees it after this callback */
		lost(s, LOG_LEVEL_WARN, why);
		return;
	}
	redisEnableKeepAlive((redisContext *)&ac->c);
	s->state = RS_READY;
	timer_set(s, s->deadline_ms); /* the queued commands went out now */
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct source_redis *s = ac->data;

	(void)status;
	if (ac != s->ac)
		return;
	s->ac = NULL; /* freed by hiredis after this callback */
	lost(s, LOG_LEVEL_WARN, ac->errstr[0] ? ac->errstr : "connection closed");
}

static void connect_now(struct source_redis *s)
{
	redisAsyncContext *ac = s->url.is_unix ? redisAsyncConnectUnix(s->url.path)
					       : redisAsyncConnect(s->url.host, s->url.port);

	if (!ac) {
		lost(s, LOG_LEVEL_WARN, "cannot connect: out of memory");
		return;
	}
	if (ac->err) {
		char why[300];

		snprintf(why, sizeof(why), "cannot connect: %.200s", ac->errstr);
		redisAsyncFree(ac);
		lost(s, LOG_LEVEL_WARN, why);
		return;
	}
	ac->data = s;
	if (redis_uv_attach(ac, s->loop)) {
		redisAsyncFree(ac);
		lost(s, LOG_LEVEL_WARN, "cannot watch the connection");
		return;
	}
	s->ac = ac;
	s->state = RS_CONNECTING;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	/* hiredis queues the commands until the connection is made: one round trip in all */
	if (s->url.password[0]) {
		const char *argv[] = {"AUTH", s->url.password};
		command(s, on_auth, 2, argv, ANSWER_MS);
	}
	if (s->ac && s->url.db) {
		char db[16];
		const char *argv[] = {"SELECT", db};

		snprintf(db, sizeof(db), "%d", s->url.db);
		command(s, on_select, 2, argv, ANSWER_MS);
	}
	if (s->ac)
		ask_next(s);
	if (s->ac)
		timer_set(s, ANSWER_MS); /* for the connect */
}

/* --- the seam --------------------------------------------------------------------- */

int source_redis_start(struct source_redis *s, uv_loop_t *loop, struct ring *r,
		       void (*hook)(void *arg, enum source_event ev, int64_t since, int64_t oldest), void *arg)
{
	s->loop = loop;
	s->ring = r;
	s->hook = hook;
	s->arg = arg;
	if (uv_timer_init(loop, &s->timer)) {
		log_error("worker %d: redis: cannot make a timer", s->index);
		return -1;
	}
	s->timer.data = s;
	s->timer_made = 1;
	srand((unsigned)(time(NULL) ^ (s->index * 7919) ^ (long)uv_os_getpid()));
	connect_now(s);
	return 0;
}

int source_redis_poll(struct source_redis *s, int limit)
{
	int n;

	if (!s)
		return -1;
	n = s->pushed;
	s->pushed = 0;
	s->room = limit;
	if (s->state == RS_READY && s->ac && !s->reading && s->warmed && limit > 0)
		ask_read(s);
	return n;
}

void source_redis_stop(struct source_redis *s)
{
	if (!s || s->state == RS_STOPPED)
		return;
	s->state = RS_STOPPED;
	drop(s);
	if (s->timer_made)
		uv_close((uv_handle_t *)&s->timer, NULL);
}

void source_redis_free(struct source_redis *s)
{
	free(s);
}
