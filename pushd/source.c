/* source.c - the SQLite joke source (see source.h). */
#include "source.h"

#include "db.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

void source_init(struct source *s, const char *db_path)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "%s", db_path);
}

void source_close(struct source *s)
{
	db_close(s->db);
	s->db = NULL;
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
	int rc = source_ready(s);

	*more = 0;
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
