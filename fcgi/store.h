/* store.h - jokes-fcgi's read-only view of jokes.db, with statements prepared once. */
#ifndef JOKES_FCGI_STORE_H
#define JOKES_FCGI_STORE_H

#include "db.h"
#include "joke.h"

#include <sqlite3.h>
#include <stdint.h>

#define STORE_TERMS_MAX 16	/* search words used; more are ignored */
#define STORE_MARK_ON '\x01'	/* highlight markers in search hits */
#define STORE_MARK_OFF '\x02'

enum store_stmt { ST_NEWEST, ST_BEFORE, ST_SINCE, ST_GET, ST_SEARCH, ST_COUNT };

struct store {
	const char *path;
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
};

/* A search hit: the joke and its text with markers around matches (NULL: show plain). */
typedef int (*store_hit_fn)(const struct joke *j, const char *marked, void *arg);

/*
 * Make sure the database is open (read-only). Returns 1 when open, 0 when it
 * does not exist yet (callers show an empty history), -1 on any other error (logged).
 * Cheap to call on every request.
 */
int store_ready(struct store *s);
void store_close(struct store *s);

/* Newest id and its fetched_at (0 and "" when empty). 0, or -1. */
int store_newest(struct store *s, int64_t *id, char *fetched_at);
/* Like db_jokes_before / db_jokes_since / db_joke_get, with cached statements. */
int store_before(struct store *s, int64_t before, int limit, db_joke_fn fn, void *arg);
int store_since(struct store *s, int64_t since, int limit, db_joke_fn fn, void *arg);
int store_get(struct store *s, int64_t id, struct joke *out);

/*
 * Build an FTS5 query from user words: each whitespace-separated word becomes a
 * quoted string (quotes doubled), so no FTS5 operator syntax survives; words are
 * ANDed. Returns the number of words used (0: nothing to search), -1 if too long.
 */
int store_fts_query(const char *words, char *out, size_t size);

/* Hits of an FTS query with id < before (0: all), newest first. Count, or -1. */
int store_search(struct store *s, const char *fts, int64_t before, int limit, store_hit_fn fn,
		 void *arg);

#endif
