/* state.c - read and write the source_state table (rest_until, failures). */
#include "state.h"

#include "log.h"

#include <string.h>

int
state_get(sqlite3 *db, const char *source, struct source_state *st)
{
	static const char sql[] = "SELECT rest_until, failures FROM source_state WHERE source = ?";
	sqlite3_stmt *stmt;
	int rc;

	memset(st, 0, sizeof(*st));
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
		log_error("reading source state: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(stmt, 1, source, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		st->rest_until = sqlite3_column_int64(stmt, 0);
		st->failures = sqlite3_column_int(stmt, 1);
	} else if (rc != SQLITE_DONE)
		log_error("reading source state: %s", sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
state_put(sqlite3 *db, const char *source, const struct source_state *st, int *busy)
{
	static const char sql[] =
		"INSERT INTO source_state (source, rest_until, failures) VALUES (?, ?, ?)"
		" ON CONFLICT (source) DO UPDATE SET rest_until = excluded.rest_until,"
		" failures = excluded.failures";
	sqlite3_stmt *stmt;
	int rc;

	if (busy != NULL)
		*busy = 0;
	rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(stmt, 1, source, -1, SQLITE_STATIC);
		sqlite3_bind_int64(stmt, 2, st->rest_until);
		sqlite3_bind_int(stmt, 3, st->failures);
		rc = sqlite3_step(stmt);
		sqlite3_finalize(stmt);
	}
	if (rc == SQLITE_DONE)
		return 0;
	if (busy != NULL)
		*busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
	return -1; /* the caller knows whether a joke was stored, and logs */
}
