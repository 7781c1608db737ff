/* store.h - jokes-fcgi's read-only view of jokes.db, with statements prepared once. */
#ifndef JOKES_FCGI_STORE_H
#define JOKES_FCGI_STORE_H

#include "category.h"
#include "db.h"
#include "joke.h"

#include <sqlite3.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#define STORE_TERMS_MAX 16	/* search words used; more are ignored */
#define STORE_MARK_ON '\x01'	/* highlight markers in search hits */
#define STORE_MARK_OFF '\x02'

enum store_stmt {
	ST_NEWEST, ST_BEFORE, ST_SINCE, ST_GET, ST_SEARCH, ST_COUNTS,
	ST_CATS_SEARCH,	/* search, hits kept when their category is in the slots */
	ST_COUNT
};

enum store_dir { STORE_OLDER, STORE_NEWER };

#define STORE_RECHECK_MS 1000 /* newest id re-read at least this often */

struct store {
	const char *path;
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	/* a keyset walk of jokes_category(category, id, ...), one cursor per category of a filter */
	sqlite3_stmt *walk[2][CATEGORY_COUNT];
	/* the newest joke as last read, and the stamp of the -wal file then */
	int64_t newest;
	char newest_at[JOKE_TIME_LEN + 1];
	struct stat stamp;
	struct timespec read_at;
	int have_newest;
	/* jokes per category (lib/category.h order), read with the newest id */
	long counts[CATEGORY_COUNT];
	unsigned long counts_sum;	/* a checksum of counts, for validators */
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

/*
 * Newest id and its fetched_at (0 and "" when empty). 0, or -1.
 * Every commit of the writer goes through the -wal file, so while its size, mtime and
 * inode are unchanged the last answer is reused without a query (one stat() instead of
 * a read transaction's locks). As file times are coarse, the answer is read again at
 * least every STORE_RECHECK_MS in any case. The counts per category (s->counts, from the
 * category_counts table, never a count over jokes) are read together with the newest id.
 */
int store_newest(struct store *s, int64_t *id, char *fetched_at);
/*
 * Like db_jokes_before / db_jokes_since / db_joke_get, with cached statements. cats is a
 * mask of lib/category.h: only jokes of those categories (0 or CATEGORY_ALL: all).
 */
int store_before(struct store *s, int64_t before, unsigned cats, int limit, db_joke_fn fn,
		 void *arg);
int store_since(struct store *s, int64_t since, unsigned cats, int limit, db_joke_fn fn,
		void *arg);
int store_get(struct store *s, int64_t id, struct joke *out);

/*
 * Build an FTS5 query from user words: each whitespace-separated word becomes a
 * quoted string (quotes doubled), so no FTS5 operator syntax survives; words are
 * ANDed. Returns the number of words used (0: nothing to search), -1 if too long.
 */
int store_fts_query(const char *words, char *out, size_t size);

/* Hits of an FTS query with id < before (0: all) in categories cats (as above), newest
 * first. Count, or -1. */
int store_search(struct store *s, const char *fts, int64_t before, unsigned cats, int limit,
		 store_hit_fn fn, void *arg);

#endif
