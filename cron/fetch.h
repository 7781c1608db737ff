/* fetch.h - one fetch: try the configured sources in order, skip duplicates, store one joke. */
#ifndef JOKES_CRON_FETCH_H
#define JOKES_CRON_FETCH_H

#include "config.h"
#include "http.h"
#include "joke.h"
#include "source.h"

#include <sqlite3.h>
#include <stdint.h>

#define FETCH_DUP_MAX 3	      /* answers passed over (stored, explicit) before a source is left */
#define FETCH_FAILS_TO_REST 3 /* consecutive failed runs before a source rests */
#define FETCH_REST_MAX 3600   /* longest rest after failures, in seconds */

enum fetch_result {
	FETCH_STORED = 0,  /* one new joke committed (j->id set) */
	FETCH_NOTHING_NEW, /* sources answered, but only with jokes already stored or explicit */
	FETCH_FAILED,	   /* every source failed or is resting */
	FETCH_BUSY,	   /* the database stayed locked past the busy timeout */
	FETCH_DB_ERROR,	   /* any other database error */
};

struct fetch {
	const struct config *cfg;
	sqlite3 *db;
	struct http_client *http;
	const struct source *order[SOURCE_MAX];
	int nsources;
	char user_agent[CONFIG_URL_MAX + 64];
};

/* Set up f for cfg and db; only is a single source name (--source) or NULL. 0, or -1 logged. */
int fetch_init(struct fetch *f, const struct config *cfg, sqlite3 *db, const char *only);
void fetch_free(struct fetch *f);

/*
 * One fetch that gives up on network sources at deadline_ms (CLOCK_MONOTONIC, ms); the
 * bundled source needs no network and is always tried when it is in the list. Each network
 * source may use an equal share of the time left, shared with the network sources after it
 * that are not resting; a timeout is not retried. A joke stored counts as FETCH_STORED even
 * when saving its source's rest fails afterwards (one warning).
 */
enum fetch_result fetch_run(struct fetch *f, int64_t deadline_ms, struct joke *j);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t fetch_now_ms(void);

#endif
