/* db.h - the SQLite database: schema, migrations and the queries two programs share.
 *
 * The fetcher is the only writer (db_open with DB_WRITE runs the migrations).
 * jokes-pushd and jokes-fcgi open read-only and refuse a schema newer than they know;
 * one older than DB_SCHEMA_READ_MIN is DB_MISSING to them (logged) until the next fetch
 * migrates it. Between the two they read it as it is: the versions since add no column.
 */
#ifndef JOKES_DB_H
#define JOKES_DB_H

#include "joke.h"

#include <sqlite3.h>
#include <stdint.h>

#define DB_SCHEMA_VERSION 3
#define DB_SCHEMA_READ_MIN 2 /* the oldest schema a reader reads: 2 has every column it names */
#define DB_BUSY_TIMEOUT_MS 5000

enum db_mode { DB_READ = 0, DB_WRITE = 1 };

/* Result of db_open, so callers can choose an exit code. */
enum db_status {
	DB_OK = 0,
	DB_MISSING,	/* no database file yet (DB_READ only) */
	DB_DENIED,	/* permission denied or read-only file system */
	DB_BUSY,	/* locked past the busy timeout */
	DB_TOO_NEW,	/* schema newer than this program knows */
	DB_ERROR,	/* anything else (logged) */
};

/*
 * Open path. DB_WRITE creates the file, sets WAL, persistent WAL files and
 * group-readable mode, and migrates forward. DB_READ opens read-only and never
 * creates anything. Returns the handle, or NULL with *status set and one line
 * logged. Close with db_close (NULL allowed).
 */
sqlite3 *db_open(const char *path, enum db_mode mode, enum db_status *status);
void db_close(sqlite3 *db);

/* sysexits code for a status: 0, 77 denied, 75 busy, 65 too new, 74 otherwise. */
int db_status_exit(enum db_status status);

/*
 * Store j in one transaction (j->fetched_at filled if empty). Returns 1 and sets
 * j->id when stored, 0 when the same source + source_id is already stored, -1 on
 * error (logged; nothing stored). *status, if not NULL, tells busy from other errors.
 */
int db_insert_joke(sqlite3 *db, struct joke *j, enum db_status *status);

/*
 * Merge the full-text index into one b-tree ("optimize") and truncate the WAL it
 * went through. Searches read one b-tree per segment, so a compact index makes
 * them about twice as fast; at 1 000 000 jokes this takes about a second.
 * 0, or -1 logged.
 */
int db_fts_optimize(sqlite3 *db);

/* 1 when a joke of another source (or any source if source is NULL) has the same text key. */
int db_text_seen(sqlite3 *db, const char *text, const char *except_source);

typedef int (*db_joke_fn)(const struct joke *j, void *arg); /* non-zero stops the walk */

/* Jokes with id > since, ascending, at most limit. Returns the count, or -1. */
int db_jokes_since(sqlite3 *db, int64_t since, int limit, db_joke_fn fn, void *arg);

/* Jokes with id < before (before <= 0: from the newest), descending, at most limit. */
int db_jokes_before(sqlite3 *db, int64_t before, int limit, db_joke_fn fn, void *arg);

/* One joke: 1 found, 0 not found, -1 error. */
int db_joke_get(sqlite3 *db, int64_t id, struct joke *out);

/* Newest id into *id (0 when empty). 0, or -1 on error. */
int db_newest_id(sqlite3 *db, int64_t *id);

/* The columns db_row_joke reads, in its order, for "SELECT " DB_JOKE_COLUMNS " FROM jokes …".
 * The index jokes_category covers them (schema 3): a column added here needs a migration that
 * adds it there too, or every row of a filtered page is a seek again (test_fcgi checks). */
#define DB_JOKE_COLUMNS "id, source, source_id, text, fetched_at, category"

/* Fill a struct joke from the columns DB_JOKE_COLUMNS of stmt (an unknown category: the default).
 */
void db_row_joke(sqlite3_stmt *stmt, struct joke *j);

#endif
