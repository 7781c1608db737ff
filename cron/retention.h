/* retention.h - fetch_keep_days: jokes older than the days kept are removed, oldest first. */
#ifndef JOKES_CRON_RETENTION_H
#define JOKES_CRON_RETENTION_H

#include <sqlite3.h>

#define RETENTION_BATCH 500	/* jokes per transaction: readers and the writer wait at most one */
#define RETENTION_BATCHES 20	/* transactions per run: a backlog clears over several runs */

/*
 * Remove the jokes fetched more than days * 24 h ago (days > 0; 0 keeps everything), oldest
 * first, in transactions of RETENTION_BATCH, at most RETENTION_BATCHES of them. The search
 * index and the category counts follow through the schema's triggers. Returns the number
 * removed (logged when not 0), or -1 (logged) when the database failed; what the batches
 * before the failure removed stays removed.
 */
long retention_run(sqlite3 *db, long days);

#endif
