/* source.h - where the ring gets its jokes: the "joke source" seam.
 *
 * The first (and so far only) implementation reads the SQLite database
 * read-only: rows with id greater than the newest the ring holds. A notify or
 * the slow poll timer only says "look now". Another source (Redis, say) would
 * implement the same two calls.
 */
#ifndef PUSHD_SOURCE_H
#define PUSHD_SOURCE_H

#include "ring.h"

#include <sqlite3.h>

struct source {
	char path[256];
	sqlite3 *db;	  /* NULL until the database exists */
	int missing_said; /* "database missing" logged once */
};

void source_init(struct source *s, const char *db_path);
void source_close(struct source *s);

/*
 * Append every joke newer than r->newest_id to r. When the ring is empty this
 * is the warm-up: only the newest r->replay jokes are taken and the older ones
 * are noted as lost (a client asking for them gets a gap message).
 * At most limit jokes are appended per call (*more is set when there may be
 * more), so one read never pushes connected clients past their backlog.
 * Returns the number appended, or -1 on a database error (logged; the
 * connection is reopened on the next call).
 */
int source_poll(struct source *s, struct ring *r, int limit, int *more);

#endif
