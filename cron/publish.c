/* publish.c - add the stored jokes the Redis stream lacks; say once when Redis goes and comes. */
#include "publish.h"

#include "db.h"
#include "joke.h"
#include "log.h"
#include "redis_conn.h"
#include "state.h"
#include "stream_entry.h"

#include <hiredis.h>
#include <stdio.h>
#include <string.h>

/* Redis's answer to an XADD whose ID is not above the stream's last: not our error. */
#define XADD_NOT_NEWER "ERR The ID specified in XADD is equal or smaller"

struct publish {
	const struct config *cfg;
	redisContext *c;
	enum redis_conn_status status;
	char err[256];
	int added;
};

/* The answer to XREVRANGE ... COUNT 1: 0 when empty, 1 with *id set, -1 when not an entry. */
static int
reply_last_id(const redisReply *r, struct stream_id *id)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements > 1)
		return -1;
	if (r->elements == 0)
		return 0;
	return stream_entry_reply_id(r->element[0], id) < 0 ? -1 : 1;
}

/* The joke id of the stream's last entry (0 when empty) into *last; 0, or -1 with p->err. */
static int
stream_last(struct publish *p, int64_t *last)
{
	const char *argv[6] = {"XREVRANGE", p->cfg->redis_stream, "+", "-", "COUNT", "1"};
	struct stream_id id = {0, 0};
	size_t lens[6];
	redisReply *r;
	int found;

	for (int i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	r = redis_conn_command(p->c, 6, argv, lens, &p->status, p->err, sizeof(p->err));
	if (r == NULL)
		return -1;
	found = reply_last_id(r, &id);
	freeReplyObject(r);
	if (found < 0) {
		snprintf(p->err, sizeof(p->err), "XREVRANGE: an answer that is not a stream entry");
		p->status = REDIS_CONN_REFUSED;
		return -1;
	}
	*last = id.ms > INT64_MAX ? INT64_MAX : (int64_t)id.ms;
	return 0;
}

/* XADD one joke; an ID already there (not above the last) is fine. 0, or 1 to stop. */
static int
add_one(const struct joke *j, void *arg)
{
	struct publish *p = arg;
	char id[STREAM_ID_MAX + 1], maxlen[24], rec[NOTIFY_LINE_MAX];
	const char *argv[8] = {"XADD", p->cfg->redis_stream, "MAXLEN", "~", maxlen, id,
			       STREAM_FIELD, rec};
	size_t lens[8];
	redisReply *r;
	int n = joke_dump(j, rec, sizeof(rec));

	if (n < 0 || stream_entry_id(j->id, id, sizeof(id)) < 0) {
		log_error("joke %lld: too large for a stream entry; not published", (long long)j->id);
		return 0;
	}
	snprintf(maxlen, sizeof(maxlen), "%ld", p->cfg->fetch_redis_maxlen);
	for (int i = 0; i < 7; i++)
		lens[i] = strlen(argv[i]);
	lens[7] = (size_t)n;
	r = redis_conn_command(p->c, 8, argv, lens, &p->status, p->err, sizeof(p->err));
	if (r != NULL) {
		freeReplyObject(r);
		p->added++;
		return 0;
	}
	if (p->status == REDIS_CONN_REFUSED && strstr(p->err, XADD_NOT_NEWER) != NULL) {
		p->status = REDIS_CONN_OK;
		return 0;
	}
	return 1;
}

/* The id after which the newest maxlen jokes above last begin (last when fewer). -1: error. */
static int64_t
backfill_start(sqlite3 *db, int64_t last, long maxlen)
{
	static const char sql[] = "SELECT id FROM jokes WHERE id > ? ORDER BY id DESC LIMIT 1 OFFSET ?";
	sqlite3_stmt *stmt;
	int64_t start = last;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(stmt, 1, last);
	sqlite3_bind_int64(stmt, 2, maxlen);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		start = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? start : -1;
}

/* Connect, find the stream's last entry, add what is above it. 0, or -1 with p->err. */
static int
sync_stream(struct publish *p, sqlite3 *db)
{
	int64_t last, start;

	p->c = redis_conn_open(&p->cfg->redis, (int)p->cfg->fetch_redis_timeout_ms, &p->status,
			       p->err, sizeof(p->err));
	if (p->c == NULL || stream_last(p, &last) < 0)
		return -1;
	start = backfill_start(db, last, p->cfg->fetch_redis_maxlen);
	if (start < 0) {
		log_error("%s: reading the jokes to publish: %s", p->cfg->db_path, sqlite3_errmsg(db));
		return 0; /* a database matter, not Redis's */
	}
	if (db_jokes_since(db, start, (int)p->cfg->fetch_redis_maxlen, add_one, p) < 0 &&
	    p->status == REDIS_CONN_OK)
		log_error("%s: reading the jokes to publish: %s", p->cfg->db_path, sqlite3_errmsg(db));
	return p->status == REDIS_CONN_OK ? 0 : -1;
}

int
publish_run(const struct config *cfg, sqlite3 *db)
{
	struct publish p = {.cfg = cfg, .status = REDIS_CONN_OK};
	struct source_state st;
	char where[CONFIG_URL_MAX];
	int failed, was_down;

	if (!cfg->redis.set)
		return 0;
	failed = sync_stream(&p, db) < 0;
	redis_conn_close(p.c);
	redis_url_redact(cfg->redis_url, where, sizeof(where));
	if (state_get(db, PUBLISH_STATE_ROW, &st) < 0)
		return failed ? -1 : p.added;
	was_down = st.failures > 0;
	if (failed && !was_down && p.status == REDIS_CONN_REFUSED)
		log_error("redis %s: %s; jokes are stored and go to the stream once this is fixed "
			  "(said once)", where, p.err);
	else if (failed && !was_down)
		log_warn("redis %s: %s; jokes are stored and go to the stream when it answers "
			 "(said once)", where, p.err);
	else if (failed)
		log_info("redis %s: %s (%d runs so far)", where, p.err, st.failures + 1);
	else if (was_down)
		log_warn("redis %s: answers again after %d failed run%s; %d jokes added to stream %s",
			 where, st.failures, st.failures == 1 ? "" : "s", p.added, cfg->redis_stream);
	if (failed || was_down) {
		st.failures = failed ? st.failures + 1 : 0;
		if (state_put(db, PUBLISH_STATE_ROW, &st, NULL) < 0)
			log_warn("saving the Redis outage state: %s", sqlite3_errmsg(db));
	}
	if (!failed && p.added > 0)
		log_debug("redis %s: %d jokes added to stream %s", where, p.added, cfg->redis_stream);
	return failed ? -1 : p.added;
}
