/* publish.h - jokes-fetch's side of the Redis stream: add what the stream lacks.
 *
 * After each fetch the stream gets every stored joke with an id above its last entry's
 * (at most fetch_redis_maxlen, the newest, ascending), each as
 *   XADD redis_stream <id>-0 MAXLEN ~ fetch_redis_maxlen joke <record>
 * so the joke just stored, and whatever an outage, a Redis restart without persistence or
 * an earlier run that died between commit and XADD left out, goes in. Redis being down is
 * not the fetch's failure: the jokes are stored and go in later. One warning when Redis
 * stops answering, one line when it answers again, nothing in between (cron mails what a
 * job prints); the state lives in source_state, in the row PUBLISH_STATE_ROW, not a source
 * name, so it cannot collide with one: failures = runs in a row that could not publish.
 */
#ifndef JOKES_CRON_PUBLISH_H
#define JOKES_CRON_PUBLISH_H

#include "config.h"

#include <sqlite3.h>

#define PUBLISH_STATE_ROW "@redis"

/*
 * Publish to cfg->redis (nothing when it is off). Returns the number of entries added, or
 * -1 when Redis could not be reached or refused (logged as above). Never an exit code: the
 * jokes are in the database either way.
 */
int publish_run(const struct config *cfg, sqlite3 *db);

#endif
