/* db.c - schema, forward migrations and shared queries of jokes.db (SQLite, WAL). */
#include "db.h"

#include "log.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

/* migrations[i] takes the schema from version i to i + 1. Append only. */
static const char *const migrations[] = {
	"CREATE TABLE jokes ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  source TEXT NOT NULL,"
	"  source_id TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  text_key TEXT NOT NULL,"
	"  fetched_at TEXT NOT NULL,"
	"  UNIQUE (source, source_id));"
	"CREATE INDEX jokes_text_key ON jokes(text_key);"
	"CREATE VIRTUAL TABLE jokes_fts USING fts5(text, content='jokes', content_rowid='id',"
	"  tokenize='unicode61 remove_diacritics 2');"
	"CREATE TRIGGER jokes_ai AFTER INSERT ON jokes BEGIN"
	"  INSERT INTO jokes_fts(rowid, text) VALUES (new.id, new.text); END;"
	"CREATE TRIGGER jokes_ad AFTER DELETE ON jokes BEGIN"
	"  INSERT INTO jokes_fts(jokes_fts, rowid, text) VALUES ('delete', old.id, old.text); END;"
	"CREATE TRIGGER jokes_au AFTER UPDATE ON jokes BEGIN"
	"  INSERT INTO jokes_fts(jokes_fts, rowid, text) VALUES ('delete', old.id, old.text);"
	"  INSERT INTO jokes_fts(rowid, text) VALUES (new.id, new.text); END;"
	"CREATE TABLE source_state ("
	"  source TEXT PRIMARY KEY,"
	"  rest_until INTEGER NOT NULL DEFAULT 0,"
	"  failures INTEGER NOT NULL DEFAULT 0);",

	/*
	 * 2: one category per joke (lib/category.h). Rows of a source with one kind of
	 * joke get it, the rest "misc"; the bundled collection's rows are given theirs by
	 * jokes-fetch, which finds the '@bundled-categories' row and removes it when done.
	 * The index is (category, id): keyset paging within a category reads it in order.
	 * Counts per category live in a small table the triggers keep in the writer's
	 * transaction. jokes_au re-indexes only when the text changes: an UPDATE of
	 * category alone must not rewrite (and un-merge) the search index.
	 */
	"ALTER TABLE jokes ADD COLUMN category TEXT NOT NULL DEFAULT 'misc';"
	"DROP TRIGGER jokes_au;"
	"CREATE TRIGGER jokes_au AFTER UPDATE OF text ON jokes BEGIN"
	"  INSERT INTO jokes_fts(jokes_fts, rowid, text) VALUES ('delete', old.id, old.text);"
	"  INSERT INTO jokes_fts(rowid, text) VALUES (new.id, new.text); END;"
	"UPDATE jokes SET category = CASE source WHEN 'icanhazdadjoke' THEN 'dad' ELSE 'chuck' END"
	"  WHERE source IN ('icanhazdadjoke', 'chucknorris');"
	"CREATE INDEX jokes_category ON jokes(category, id);"
	"CREATE TABLE category_counts (category TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO category_counts SELECT category, count(*) FROM jokes GROUP BY category;"
	"CREATE TRIGGER jokes_ai_category AFTER INSERT ON jokes BEGIN"
	"  INSERT INTO category_counts VALUES (new.category, 1)"
	"  ON CONFLICT (category) DO UPDATE SET n = n + 1; END;"
	"CREATE TRIGGER jokes_ad_category AFTER DELETE ON jokes BEGIN"
	"  UPDATE category_counts SET n = n - 1 WHERE category = old.category; END;"
	"CREATE TRIGGER jokes_au_category AFTER UPDATE OF category ON jokes"
	"  WHEN new.category IS NOT old.category BEGIN"
	"  UPDATE category_counts SET n = n - 1 WHERE category = old.category;"
	"  INSERT INTO category_counts VALUES (new.category, 1)"
	"  ON CONFLICT (category) DO UPDATE SET n = n + 1; END;"
	"INSERT OR IGNORE INTO source_state (source) SELECT '@bundled-categories'"
	"  WHERE EXISTS (SELECT 1 FROM jokes WHERE source = 'bundled');",

	/*
	 * 3: jokes_category covers what a page shows of a joke. With (category, id) alone,
	 * every row of a filtered page was a seek from the index into the table, where the
	 * unfiltered page reads the table in order: 1.2-1.3x its CPU over 1 000 000 jokes.
	 * Covering, a filtered page is one range of this index and never reads the table
	 * (1.04-1.07x), for a second copy of each text: +27 % on the file at a million jokes
	 * of 64 bytes. The index is built in the migration's transaction (3 s at a million
	 * here). Readers need nothing new: the same statements, the planner takes the index.
	 */
	"DROP INDEX jokes_category;"
	"CREATE INDEX jokes_category ON jokes(category, id, source, source_id, text, fetched_at);",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(NMIGRATIONS == DB_SCHEMA_VERSION, "one migration per schema version");

static enum db_status
status_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
		return DB_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DB_BUSY;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return DB_DENIED;
	case SQLITE_CANTOPEN:
		return errno == EACCES || errno == EROFS || errno == EPERM ? DB_DENIED : DB_ERROR;
	default:
		return DB_ERROR;
	}
}

int
db_status_exit(enum db_status status)
{
	switch (status) {
	case DB_OK:
		return 0;
	case DB_DENIED:
		return EX_NOPERM;
	case DB_BUSY:
		return EX_TEMPFAIL;
	case DB_TOO_NEW:
		return EX_DATAERR;
	case DB_MISSING:
		return EX_NOINPUT;
	case DB_ERROR:
		break;
	}
	return EX_IOERR;
}

static int
user_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static int
migrate(sqlite3 *db, const char *path)
{
	char sql[64];
	int version = 0, rc;

	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = user_version(db, &version);
	if (rc == SQLITE_OK && version > DB_SCHEMA_VERSION) {
		log_error("%s: schema version %d is newer than this program's %d", path, version,
			  DB_SCHEMA_VERSION);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	for (; rc == SQLITE_OK && version < DB_SCHEMA_VERSION; version++)
		rc = sqlite3_exec(db, migrations[version], NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", DB_SCHEMA_VERSION);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static sqlite3 *
open_write(const char *path, enum db_status *status)
{
	sqlite3 *db = NULL;
	struct stat st;
	int created = stat(path, &st) < 0, persist = 1, rc;
	mode_t old = umask(0137); /* 0640 from the start, whatever umask the caller has */

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
		/* Readers of another user must find -wal and -shm after the writer exits. */
		sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
		rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL",
				  NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK && created)
		(void)chmod(path, 0640); /* SQLite makes it 0644; -wal and -shm take the database's mode */
	umask(old);
	if (rc == SQLITE_OK)
		rc = migrate(db, path);
	if (rc == -1) {
		*status = DB_TOO_NEW;
		goto fail;
	}
	if (rc != SQLITE_OK) {
		*status = status_of(rc);
		if (*status == DB_OK)
			*status = DB_ERROR;
		log_error("%s: cannot open for writing: %s", path,
			  db && sqlite3_errcode(db) != SQLITE_OK ? sqlite3_errmsg(db)
								 : sqlite3_errstr(rc));
		goto fail;
	}
	*status = DB_OK;
	return db;
fail:
	sqlite3_close(db);
	return NULL;
}

static sqlite3 *
open_read(const char *path, enum db_status *status)
{
	sqlite3 *db = NULL;
	int version = 0, rc;

	if (access(path, F_OK) < 0 && errno == ENOENT) {
		*status = DB_MISSING;
		return NULL;
	}
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
		rc = user_version(db, &version);
	}
	if (rc != SQLITE_OK) {
		*status = status_of(rc);
		if (*status == DB_OK)
			*status = DB_ERROR;
		log_error("%s: cannot open read-only: %s", path,
			  db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	if (version < DB_SCHEMA_READ_MIN) {
		/* created but not yet migrated (0), or an older schema the next fetch migrates */
		if (version > 0)
			log_warn(
			    "%s: schema version %d is older than this program reads (%d): waiting for"
			    " jokes-fetch to migrate it",
			    path, version, DB_SCHEMA_READ_MIN);
		*status = DB_MISSING;
		sqlite3_close(db);
		return NULL;
	}
	if (version > DB_SCHEMA_VERSION) {
		log_error("%s: schema version %d is newer than this program's %d: upgrade jokes",
			  path, version, DB_SCHEMA_VERSION);
		*status = DB_TOO_NEW;
		sqlite3_close(db);
		return NULL;
	}
	*status = DB_OK;
	return db;
}

sqlite3 *
db_open(const char *path, enum db_mode mode, enum db_status *status)
{
	enum db_status ignored;

	if (status == NULL)
		status = &ignored;
	return mode == DB_WRITE ? open_write(path, status) : open_read(path, status);
}

void
db_close(sqlite3 *db)
{
	sqlite3_close_v2(db);
}

void
db_row_joke(sqlite3_stmt *st, struct joke *j)
{
	const unsigned char *s;

	memset(j, 0, sizeof(*j));
	j->id = sqlite3_column_int64(st, 0);
#define COPY(field, col)                                                                           \
	s = sqlite3_column_text(st, col);                                                          \
	snprintf(j->field, sizeof(j->field), "%s", s ? (const char *)s : "")
	COPY(source, 1);
	COPY(source_id, 2);
	COPY(text, 3);
	COPY(fetched_at, 4);
	COPY(category, 5);
#undef COPY
	if (!category_valid(j->category)) /* a newer vocabulary's name */
		snprintf(j->category, sizeof(j->category), "%s", CATEGORY_DEFAULT);
}

int
db_insert_joke(sqlite3 *db, struct joke *j, enum db_status *status)
{
	static const char sql[] =
	    "INSERT OR IGNORE INTO jokes (source, source_id, text, text_key, fetched_at, category)"
	    " VALUES (?, ?, ?, ?, ?, ?)";
	char key[JOKE_TEXT_MAX + 1];
	sqlite3_stmt *st = NULL;
	int rc, stored = -1;

	if (j->fetched_at[0] == '\0')
		joke_time_now(j->fetched_at);
	if (!category_valid(j->category))
		snprintf(j->category, sizeof(j->category), "%s", CATEGORY_DEFAULT);
	joke_text_key(j->text, key, sizeof(key));
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, j->source, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, j->source_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, j->text, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, j->fetched_at, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, j->category, -1, SQLITE_STATIC);
		rc = sqlite3_step(st); /* one statement: its own transaction, triggers included */
	}
	if (rc == SQLITE_DONE) {
		stored = sqlite3_changes(db) > 0;
		if (stored)
			j->id = sqlite3_last_insert_rowid(db);
		rc = SQLITE_OK;
	} else
		log_error("storing a joke: %s", sqlite3_errmsg(db));
	if (status != NULL)
		*status = status_of(rc);
	sqlite3_finalize(st);
	return stored;
}

int
db_text_seen(sqlite3 *db, const char *text, const char *except_source)
{
	static const char sql[] = "SELECT 1 FROM jokes WHERE text_key = ? AND source IS NOT ?";
	char key[JOKE_TEXT_MAX + 1];
	sqlite3_stmt *st;
	int seen = 0;

	joke_text_key(text, key, sizeof(key));
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (except_source != NULL)
		sqlite3_bind_text(st, 2, except_source, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	seen = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return seen;
}

static int
walk(sqlite3 *db, const char *sql, int64_t bound, int limit, db_joke_fn fn, void *arg)
{
	sqlite3_stmt *st;
	struct joke j;
	int rc, n = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("query: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, bound);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_row_joke(st, &j);
		n++;
		if (fn(&j, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		log_error("query: %s", sqlite3_errmsg(db));
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

int
db_jokes_since(sqlite3 *db, int64_t since, int limit, db_joke_fn fn, void *arg)
{
	return walk(db,
	            "SELECT " DB_JOKE_COLUMNS " FROM jokes"
		    " WHERE id > ? ORDER BY id ASC LIMIT ?",
		    since, limit, fn, arg);
}

int
db_jokes_before(sqlite3 *db, int64_t before, int limit, db_joke_fn fn, void *arg)
{
	return walk(db,
	            "SELECT " DB_JOKE_COLUMNS " FROM jokes"
		    " WHERE id < ? ORDER BY id DESC LIMIT ?",
		    before > 0 ? before : INT64_MAX, limit, fn, arg);
}

static int
copy_one(const struct joke *j, void *arg)
{
	*(struct joke *)arg = *j;
	return 1;
}

int
db_joke_get(sqlite3 *db, int64_t id, struct joke *out)
{
	if (id <= 0 || id == INT64_MAX)
		return 0;
	/* walk() binds the limit as ?2; it only has to be positive here */
	int n = walk(db,
	             "SELECT " DB_JOKE_COLUMNS " FROM jokes"
		     " WHERE id = ?1 AND ?2 > 0",
		     id, 1, copy_one, out);
	return n < 0 ? -1 : n > 0;
}

int
db_newest_id(sqlite3 *db, int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM jokes", -1, &st, NULL) !=
	    SQLITE_OK) {
		log_error("query: %s", sqlite3_errmsg(db));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else
		log_error("query: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
db_fts_optimize(sqlite3 *db)
{
	int rc = sqlite3_exec(db, "INSERT INTO jokes_fts(jokes_fts) VALUES ('optimize')", NULL,
	                      NULL, NULL);

	if (rc != SQLITE_OK) {
		log_warn("search index: optimize failed: %s", sqlite3_errmsg(db));
		return -1;
	}
	/* the whole index went through the WAL: give the space back (best effort) */
	rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (rc != SQLITE_OK)
		log_info("search index: WAL not truncated: %s", sqlite3_errstr(rc));
	return 0;
}
