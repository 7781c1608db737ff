/* state.h - per-source rest and failure count, kept in the source_state table across runs. */
#ifndef JOKES_CRON_STATE_H
#define JOKES_CRON_STATE_H

#include <sqlite3.h>
#include <stdint.h>

struct source_state {
	int64_t rest_until; /* Unix time before which the source is not asked */
	int failures;	    /* consecutive failed runs */
};

/* Read the state of source (zeros when none is stored). 0, or -1 on a database error. */
int state_get(sqlite3 *db, const char *source, struct source_state *st);
/*
 * Store it. 0, or -1 on a database error, not logged (sqlite3_errmsg(db) says why); *busy
 * set when the database was locked.
 */
int state_put(sqlite3 *db, const char *source, const struct source_state *st, int *busy);

#endif
