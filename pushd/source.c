/* source.c - the joke source seam and its SQLite implementation (see source.h). */
#include "source.h"

#include "db.h"
#include "log.h"
#include "source_redis.h"

#include <stdlib.h>
#include <string.h>

void source_init(struct source *s, const struct config *cfg, int index, struct stats_worker *st)
{
	memset(s, 0, sizeof(*s));
	s->kind = cfg->pushd_source;
	if (s->kind == CONFIG_SOURCE_REDIS)
		s->redis = source_redis_new(cfg, index, st);
	else
		snprintf(s->path, sizeof(s->path), "%s", cfg->db_path);
}

int source_start(struct source *s, uv_loop_t *loop, struct ring *r,
		 void (*hook)(void *arg, enum source_event ev, int64_t since, int64_t oldest), void *arg)
{
	if (s->kind != CONFIG_SOURCE_REDIS)
		return 0;
	if (!s->redis) {
		log_error("redis: out of memory");
		return -1;
	}
	return source_redis_start(s->redis, loop, r, hook, arg);
}

void source_stop(struct source *s)
{
	source_redis_stop(s->redis);
}

void source_close(struct source *s)
{
	db_close(s->db);
	s->db = NULL;
	source_redis_free(s->redis);
	s->redis = NULL;
}

/* Open lazily: the database may not exist yet when pushd starts. */
static int source_ready(struct source *s)
{
	enum db_status st;

	if (s->db)
		return 1;
	s->db = db_open(s->path, DB_READ, &st);
	if (s->db) {
		s->missing_said = 0;
		return 1;
	}
	if (st == DB_MISSING) {
		if (!s->missing_said)
			log_info("%s: no database yet; waiting for the first joke", s->path);
		s->missing_said = 1;
		return 0;
	}
	return -1;
}

struct collect {
	struct joke *j;
	int n, cap;
};

static int collect_one(const struct joke *j, void *arg)
{
	struct collect *c = arg;

	if (c->n < c->cap)
		c->j[c->n++] = *j;
	return 0;
}

/* Newest r->replay jokes into the empty ring, older ones noted as lost. */
static int source_warm(struct source *s, struct ring *r)
{
	struct collect c = {NULL, 0, (int)r->replay + 1};
	int added = 0;

	c.j = malloc((size_t)c.cap * sizeof(*c.j));
	if (!c.j)
		return -1;
	if (db_jokes_before(s->db, 0, c.cap, collect_one, &c) < 0) {
		free(c.j);
		return -1;
	}
	if (c.n == c.cap)
		ring_note_lost(r, c.j[--c.n].id);
	for (int i = c.n - 1; i >= 0; i--)
		if (ring_push(r, &c.j[i]) > 0)
			added++;
	free(c.j);
	return added;
}

struct push_ctx {
	struct ring *r;
	int added, failed;
};

static int push_one(const struct joke *j, void *arg)
{
	struct push_ctx *p = arg;
	int rc = ring_push(p->r, j);

	if (rc < 0) {
		p->failed = 1;
		return 1;
	}
	p->added += rc;
	return 0;
}

int source_poll(struct source *s, struct ring *r, int limit, int *more)
{
	struct push_ctx p = {r, 0, 0};
	int rc;

	*more = 0;
	if (s->kind == CONFIG_SOURCE_REDIS)
		return source_redis_poll(s->redis, limit);
	rc = source_ready(s);
	if (rc <= 0)
		return rc;
	if (!r->newest_id) {
		rc = source_warm(s, r);
		if (rc >= 0)
			return rc;
		goto fail;
	}
	rc = db_jokes_since(s->db, r->newest_id, limit, push_one, &p);
	if (rc >= 0 && !p.failed) {
		*more = rc == limit;
		return p.added;
	}
fail:
	log_warn("%s: reading new jokes failed; will reopen", s->path);
	source_close(s);
	return -1;
}
