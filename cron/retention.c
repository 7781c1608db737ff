/*
 * retention.c - remove jokes older than fetch_keep_days, oldest first, in bounded batches.
 * Ids grow with fetch time, so the oldest jokes are the lowest ids: each batch looks only
 * at the RETENTION_BATCH lowest ids and stops at the first batch with nothing to remove,
 * which keeps a run with nothing old to do at one short index read.
 */
#include "retention.h"

#include "joke.h"
#include "log.h"

#include <stdio.h>
#include <time.h>

static void
cutoff_time(long days, char *out)
{
	time_t t = (time_t)(joke_wall_ms() / 1000) - (time_t)days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, JOKE_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

long
retention_run(sqlite3 *db, long days)
{
	static const char sql[] =
		"DELETE FROM jokes WHERE id IN (SELECT id FROM"
		" (SELECT id, fetched_at FROM jokes ORDER BY id LIMIT ?2) WHERE fetched_at < ?1)";
	char cutoff[JOKE_TIME_LEN + 1];
	sqlite3_stmt *st;
	long removed = 0;
	int rc = SQLITE_DONE, n = RETENTION_BATCH;

	if (days <= 0)
		return 0;
	cutoff_time(days, cutoff);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("retention: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(st, 1, cutoff, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, RETENTION_BATCH);
	/* each step is its own transaction, the triggers' index and count updates included */
	for (int b = 0; b < RETENTION_BATCHES && n == RETENTION_BATCH; b++) {
		rc = sqlite3_step(st);
		if (rc != SQLITE_DONE)
			break;
		n = sqlite3_changes(db);
		removed += n;
		sqlite3_reset(st);
	}
	if (rc != SQLITE_DONE)
		log_error("retention: removing jokes fetched before %s: %s", cutoff, sqlite3_errmsg(db));
	else if (removed > 0)
		log_info("retention: removed %ld jokes fetched before %s (fetch_keep_days = %ld)%s",
			 removed, cutoff, days, n == RETENTION_BATCH ? "; more in the next runs" : "");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? removed : -1;
}
