/* store.c - read-only queries of jokes-fcgi: newest, keyset pages, one joke, FTS5 search. */
#include "store.h"

#include "config.h"
#include "log.h"

#include <string.h>
#include <sys/stat.h>

#define COLS "j.id, j.source, j.source_id, j.text, j.fetched_at, j.category" /* DB_JOKE_COLUMNS */

static const char *const sql[ST_COUNT] = {
	[ST_NEWEST] = "SELECT id, fetched_at FROM jokes ORDER BY id DESC LIMIT 1",
	[ST_BEFORE] = "SELECT " COLS " FROM jokes j WHERE j.id < ?1 ORDER BY j.id DESC LIMIT ?2",
	[ST_SINCE] = "SELECT " COLS " FROM jokes j WHERE j.id > ?1 ORDER BY j.id ASC LIMIT ?2",
	[ST_GET] = "SELECT " COLS " FROM jokes j WHERE j.id = ?1 AND ?2 > 0",
	[ST_SEARCH] = "SELECT " COLS ", highlight(jokes_fts, 0, char(1), char(2))"
		      " FROM jokes_fts JOIN jokes j ON j.id = jokes_fts.rowid"
		      " WHERE jokes_fts MATCH ?3 AND jokes_fts.rowid < ?1"
		      " ORDER BY jokes_fts.rowid DESC LIMIT ?2",
};

void
store_close(struct store *s)
{
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(s->st[i]);
		s->st[i] = NULL;
	}
	db_close(s->db);
	s->db = NULL;
	s->have_newest = 0;
}

static int
prepare_all(struct store *s)
{
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
				       NULL) != SQLITE_OK) {
			log_error("%s: %s", s->path, sqlite3_errmsg(s->db));
			return -1;
		}
	}
	return 0;
}

int
store_ready(struct store *s)
{
	enum db_status status;

	if (s->db != NULL)
		return 1;
	s->db = db_open(s->path, DB_READ, &status);
	if (s->db == NULL)
		return status == DB_MISSING ? 0 : -1;
	if (prepare_all(s) < 0) {
		store_close(s);
		return -1;
	}
	log_debug("%s: opened read-only", s->path);
	return 1;
}

static int
same_stamp(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* stat() of the -wal file (of the database itself when there is none). */
static int
stamp(const struct store *s, struct stat *st)
{
	char wal[CONFIG_PATH_MAX + 8];

	snprintf(wal, sizeof(wal), "%s-wal", s->path);
	if (stat(wal, st) == 0)
		return 0;
	return stat(s->path, st);
}

static long
ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	return (long)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static int query_newest(struct store *s, int64_t *id, char *fetched_at);

int
store_newest(struct store *s, int64_t *id, char *fetched_at)
{
	struct stat now;
	int fresh = stamp(s, &now) == 0;

	if (fresh && s->have_newest && same_stamp(&now, &s->stamp) &&
	    ms_since(&s->read_at) < STORE_RECHECK_MS) {
		*id = s->newest;
		memcpy(fetched_at, s->newest_at, sizeof(s->newest_at));
		return 0;
	}
	/* stamp taken before the query: a commit in between changes it again */
	if (query_newest(s, id, fetched_at) < 0)
		return -1;
	s->have_newest = fresh;
	s->stamp = now;
	s->newest = *id;
	memcpy(s->newest_at, fetched_at, sizeof(s->newest_at));
	clock_gettime(CLOCK_MONOTONIC_COARSE, &s->read_at);
	return 0;
}

static int
query_newest(struct store *s, int64_t *id, char *fetched_at)
{
	sqlite3_stmt *st = s->st[ST_NEWEST];
	int rc = sqlite3_step(st);

	*id = 0;
	fetched_at[0] = '\0';
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 1);

		*id = sqlite3_column_int64(st, 0);
		snprintf(fetched_at, JOKE_TIME_LEN + 1, "%s", t ? (const char *)t : "");
		rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE)
		log_error("newest joke: %s", sqlite3_errmsg(s->db));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Step a bound statement, calling fn (or hit) per row. Count, or -1. */
static int
walk(struct store *s, sqlite3_stmt *st, db_joke_fn fn, store_hit_fn hit, void *arg)
{
	struct joke j;
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int stop;

		db_row_joke(st, &j);
		n++;
		if (hit != NULL) {
			const char *m = (const char *)sqlite3_column_text(st, 6);
			/* markers inside the text itself would be ambiguous: show it plain */
			int clean = strchr(j.text, STORE_MARK_ON) == NULL &&
				    strchr(j.text, STORE_MARK_OFF) == NULL;

			stop = hit(&j, clean ? m : NULL, arg);
		} else {
			stop = fn != NULL ? fn(&j, arg) : 0;
		}
		if (stop) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		log_warn("query: %s", sqlite3_errmsg(s->db));
		n = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return n;
}

static int
walk_range(struct store *s, enum store_stmt which, int64_t bound, int limit, db_joke_fn fn,
	   void *arg)
{
	sqlite3_stmt *st = s->st[which];

	sqlite3_bind_int64(st, 1, bound);
	sqlite3_bind_int(st, 2, limit);
	return walk(s, st, fn, NULL, arg);
}

int
store_before(struct store *s, int64_t before, int limit, db_joke_fn fn, void *arg)
{
	return walk_range(s, ST_BEFORE, before > 0 ? before : INT64_MAX, limit, fn, arg);
}

int
store_since(struct store *s, int64_t since, int limit, db_joke_fn fn, void *arg)
{
	return walk_range(s, ST_SINCE, since, limit, fn, arg);
}

static int
copy_one(const struct joke *j, void *arg)
{
	*(struct joke *)arg = *j;
	return 1;
}

int
store_get(struct store *s, int64_t id, struct joke *out)
{
	int n = walk_range(s, ST_GET, id, 1, copy_one, out);

	return n < 0 ? -1 : n > 0;
}

int
store_fts_query(const char *words, char *out, size_t size)
{
	size_t o = 0;
	int terms = 0;

	for (const char *p = words; *p && terms < STORE_TERMS_MAX;) {
		size_t n = strcspn(p, " \t");

		if (n == 0) {
			p++;
			continue;
		}
		if (o + 2 * n + 4 >= size)
			return -1;
		if (terms > 0)
			out[o++] = ' ';
		out[o++] = '"';
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '"')
				out[o++] = '"';
			out[o++] = p[i];
		}
		out[o++] = '"';
		terms++;
		p += n;
	}
	out[o] = '\0';
	return terms;
}

int
store_search(struct store *s, const char *fts, int64_t before, int limit, store_hit_fn fn,
	     void *arg)
{
	sqlite3_stmt *st = s->st[ST_SEARCH];

	sqlite3_bind_int64(st, 1, before > 0 ? before : INT64_MAX);
	sqlite3_bind_int(st, 2, limit);
	sqlite3_bind_text(st, 3, fts, -1, SQLITE_STATIC);
	return walk(s, st, NULL, fn, arg);
}
