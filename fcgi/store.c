/* store.c - read-only queries of jokes-fcgi: newest, keyset pages, one joke, FTS5 search. */
#include "store.h"

#include "config.h"
#include "log.h"

#include <string.h>
#include <sys/stat.h>

#define COLS "j.id, j.source, j.source_id, j.text, j.fetched_at, j.category" /* DB_JOKE_COLUMNS */

/*
 * A filtered list walks the index jokes_category(category, id, ...): one cursor per category,
 * each a range of the index in id order, merged here by id. A page then costs LIMIT steps
 * (plus one per extra category) whatever the categories' share and however deep the page,
 * with no sort. Measured against one statement (a UNION ALL of eight LIMITed arms, NULL
 * for unused ones, merged by SQLite, which sorts each arm's rows in a temp b-tree): the
 * same for one category, the page of two categories 3.5x slower than the unfiltered page
 * (wrk, 100 000 jokes) where this merge is within 1.3x. The index covers every column
 * of COLS (schema 3), so a row is read from the index alone, as the unfiltered page reads
 * it from the table: no seek into the table per row (that seek was 1.2x the unfiltered
 * page's CPU over 1 000 000 jokes, 1.03x without it).
 */
static const char *const walk_sql[2] = {
	[STORE_OLDER] = "SELECT " COLS " FROM jokes j WHERE j.category = ?3 AND j.id < ?1"
			" ORDER BY j.id DESC LIMIT ?2",
	[STORE_NEWER] = "SELECT " COLS " FROM jokes j WHERE j.category = ?3 AND j.id > ?1"
			" ORDER BY j.id ASC LIMIT ?2",
};

#define SEARCH_FROM                                                                       \
	"SELECT " COLS ", highlight(jokes_fts, 0, char(1), char(2))"                      \
	" FROM jokes_fts JOIN jokes j ON j.id = jokes_fts.rowid"                          \
	" WHERE jokes_fts MATCH ?3 AND jokes_fts.rowid < ?1"

static const char *const sql[ST_COUNT] = {
	[ST_NEWEST] = "SELECT id, fetched_at FROM jokes ORDER BY id DESC LIMIT 1",
	[ST_BEFORE] = "SELECT " COLS " FROM jokes j WHERE j.id < ?1 ORDER BY j.id DESC LIMIT ?2",
	[ST_SINCE] = "SELECT " COLS " FROM jokes j WHERE j.id > ?1 ORDER BY j.id ASC LIMIT ?2",
	[ST_GET] = "SELECT " COLS " FROM jokes j WHERE j.id = ?1 AND ?2 > 0",
	[ST_SEARCH] = SEARCH_FROM " ORDER BY jokes_fts.rowid DESC LIMIT ?2",
	[ST_COUNTS] = "SELECT category, n FROM category_counts",
	[ST_CATS_SEARCH] = SEARCH_FROM " AND j.category IN (?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
				       " ORDER BY jokes_fts.rowid DESC LIMIT ?2",
};

void
store_close(struct store *s)
{
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(s->st[i]);
		s->st[i] = NULL;
	}
	for (int d = 0; d < 2; d++) {
		for (int i = 0; i < CATEGORY_COUNT; i++) {
			sqlite3_finalize(s->walk[d][i]);
			s->walk[d][i] = NULL;
		}
	}
	db_close(s->db);
	s->db = NULL;
	s->have_newest = 0;
}

static int
prepare(struct store *s, const char *text, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v3(s->db, text, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
		log_error("%s: %s", s->path, sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

static int
prepare_all(struct store *s)
{
	for (int i = 0; i < ST_COUNT; i++)
		if (prepare(s, sql[i], &s->st[i]) < 0)
			return -1;
	for (int d = 0; d < 2; d++)
		for (int i = 0; i < CATEGORY_COUNT; i++)
			if (prepare(s, walk_sql[d], &s->walk[d][i]) < 0)
				return -1;
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

/* s->counts and s->counts_sum from category_counts (8 rows). 0, or -1. */
static int
query_counts(struct store *s)
{
	sqlite3_stmt *st = s->st[ST_COUNTS];
	int rc;

	memset(s->counts, 0, sizeof(s->counts));
	s->counts_sum = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		int i = name != NULL ? category_index(name, strlen(name)) : -1;

		if (i >= 0)
			s->counts[i] = (long)sqlite3_column_int64(st, 1);
	}
	for (int i = 0; i < CATEGORY_COUNT; i++)
		s->counts_sum = s->counts_sum * 1000003u + (unsigned long)s->counts[i];
	if (rc != SQLITE_DONE)
		log_error("category counts: %s", sqlite3_errmsg(s->db));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
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
	if (rc != SQLITE_DONE)
		return -1;
	return query_counts(s);
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

/* The names of cats into the slots from first on, one each; the rest stay NULL. */
static void
bind_categories(sqlite3_stmt *st, int first, unsigned cats)
{
	for (int i = 0, slot = first; i < CATEGORY_COUNT; i++)
		if (cats & (1u << i))
			sqlite3_bind_text(st, slot++, category_name(i), -1, SQLITE_STATIC);
}

/* A mask that leaves some category out (0 and CATEGORY_ALL filter nothing)? */
static int
filtering(unsigned cats)
{
	cats &= CATEGORY_ALL;
	return cats != 0 && cats != CATEGORY_ALL;
}

static int
walk_plain(struct store *s, enum store_stmt which, int64_t bound, int limit, db_joke_fn fn,
	   void *arg)
{
	sqlite3_stmt *st = s->st[which];

	sqlite3_bind_int64(st, 1, bound);
	sqlite3_bind_int(st, 2, limit);
	return walk(s, st, fn, NULL, arg);
}

/* Start one cursor per category of cats; the live ones (a first row) into cur. Their count,
 * or -1. */
static int
merge_start(struct store *s, enum store_dir dir, int64_t bound, unsigned cats, int limit,
	    sqlite3_stmt **cur)
{
	int k = 0, used = 0;

	for (int i = 0; i < CATEGORY_COUNT; i++) {
		sqlite3_stmt *st;
		int rc;

		if (!(cats & (1u << i)))
			continue;
		st = s->walk[dir][used++];
		sqlite3_bind_int64(st, 1, bound);
		sqlite3_bind_int(st, 2, limit);
		sqlite3_bind_text(st, 3, category_name(i), -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			cur[k++] = st;
		else if (rc != SQLITE_DONE)
			return -1;
	}
	return k;
}

/* The cursor whose current id comes next in dir. */
static int
merge_pick(sqlite3_stmt *const *cur, int k, enum store_dir dir)
{
	int best = 0;

	for (int i = 1; i < k; i++) {
		int64_t a = sqlite3_column_int64(cur[i], 0), b = sqlite3_column_int64(cur[best], 0);

		if (dir == STORE_OLDER ? a > b : a < b)
			best = i;
	}
	return best;
}

/* A filtered keyset page: the cursors of merge_start merged by id. Count, or -1. */
static int
walk_merge(struct store *s, enum store_dir dir, int64_t bound, unsigned cats, int limit,
	   db_joke_fn fn, void *arg)
{
	sqlite3_stmt *cur[CATEGORY_COUNT];
	struct joke j;
	int n = 0, rc = SQLITE_DONE;
	int k = merge_start(s, dir, bound, cats, limit, cur);

	if (k < 0)
		rc = SQLITE_ERROR;
	while (k > 0 && n < limit) {
		int b = merge_pick(cur, k, dir);

		db_row_joke(cur[b], &j);
		n++;
		if (fn != NULL && fn(&j, arg))
			break;
		rc = sqlite3_step(cur[b]);
		if (rc == SQLITE_ROW)
			continue;
		if (rc != SQLITE_DONE)
			break;
		cur[b] = cur[--k];
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warn("query: %s", sqlite3_errmsg(s->db));
		n = -1;
	}
	for (int i = 0, used = __builtin_popcount(cats); i < used; i++) {
		sqlite3_reset(s->walk[dir][i]);
		sqlite3_clear_bindings(s->walk[dir][i]);
	}
	return n;
}

int
store_before(struct store *s, int64_t before, unsigned cats, int limit, db_joke_fn fn,
	     void *arg)
{
	int64_t bound = before > 0 ? before : INT64_MAX;

	if (!filtering(cats))
		return walk_plain(s, ST_BEFORE, bound, limit, fn, arg);
	return walk_merge(s, STORE_OLDER, bound, cats & CATEGORY_ALL, limit, fn, arg);
}

int
store_since(struct store *s, int64_t since, unsigned cats, int limit, db_joke_fn fn, void *arg)
{
	if (!filtering(cats))
		return walk_plain(s, ST_SINCE, since, limit, fn, arg);
	return walk_merge(s, STORE_NEWER, since, cats & CATEGORY_ALL, limit, fn, arg);
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
	int n = walk_plain(s, ST_GET, id, 1, copy_one, out);

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
store_search(struct store *s, const char *fts, int64_t before, unsigned cats, int limit,
	     store_hit_fn fn, void *arg)
{
	int filtered = filtering(cats);
	sqlite3_stmt *st = s->st[filtered ? ST_CATS_SEARCH : ST_SEARCH];

	sqlite3_bind_int64(st, 1, before > 0 ? before : INT64_MAX);
	sqlite3_bind_int(st, 2, limit);
	sqlite3_bind_text(st, 3, fts, -1, SQLITE_STATIC);
	if (filtered)
		bind_categories(st, 4, cats);
	return walk(s, st, NULL, fn, arg);
}
