/*
 * bundled_categories.c - the bundled rows of a database older than categories get theirs
 * from the compiled collection, once, after lib/db.c's migration to schema 2 left the
 * source_state row '@bundled-categories' (lib/db.c cannot: it does not know the collection).
 * Rows are matched by text key, not by the index in their source id: the file's order may
 * have changed between versions.
 */
#include "bundled.h"

#include "log.h"

#include <stdio.h>
#include <string.h>

#define MARK "@bundled-categories"

/* 1 when the mark is there, 0 when not, -1 on error. */
static int
marked(sqlite3 *db)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM source_state WHERE source = '" MARK "'", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* One UPDATE per joke of the collection (the text_key index finds its rows); changed, or -1. */
static long
update_rows(sqlite3 *db)
{
	static const char sql[] = "UPDATE jokes SET category = ?1"
				  " WHERE text_key = ?2 AND source = 'bundled' AND category IS NOT ?1";
	char text[JOKE_TEXT_MAX + 1], key[JOKE_TEXT_MAX + 1];
	sqlite3_stmt *st;
	long n = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (size_t i = 0; i < bundled_jokes_count; i++) {
		if (bundled_text(i, text, sizeof(text)) < 0)
			continue; /* logged; its rows keep "misc" */
		joke_text_key(text, key, sizeof(key));
		sqlite3_bind_text(st, 1, bundled_jokes[i].category, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			n = -1;
			break;
		}
		n += sqlite3_changes(db);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return n;
}

/* The transaction: 0 or more rows changed, or -1 (the error left in db). */
static long
set_categories(sqlite3 *db)
{
	long n;
	int rc;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	rc = marked(db); /* again, now that no other writer can remove it */
	n = rc == 0 ? 0 : rc > 0 ? update_rows(db) : -1;
	if (n >= 0 && sqlite3_exec(db, "DELETE FROM source_state WHERE source = '" MARK "'", NULL,
				   NULL, NULL) != SQLITE_OK)
		n = -1;
	if (n >= 0 && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		n = -1;
	return n;
}

long
bundled_set_categories(sqlite3 *db, enum db_status *status)
{
	char why[160];
	long n;
	int code, rc;

	*status = DB_OK;
	rc = marked(db); /* a read: most runs find nothing to do and take no write lock */
	if (rc == 0)
		return 0;
	n = rc < 0 ? -1 : set_categories(db);
	if (n >= 0) {
		if (n > 0)
			log_info("bundled: %ld rows given their category from the collection", n);
		return n;
	}
	code = sqlite3_errcode(db) & 0xff;
	snprintf(why, sizeof(why), "%s", sqlite3_errmsg(db)); /* before ROLLBACK resets it */
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	*status = code == SQLITE_BUSY || code == SQLITE_LOCKED ? DB_BUSY : DB_ERROR;
	log_error("bundled: giving the collection's rows their categories: %s", why);
	return -1;
}
