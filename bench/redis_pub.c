/* redis_pub.c - bench helper: a kept publisher for wsload -K that takes the path jokes-fetch
 * takes: for each line on standard input, store one joke in SQLite (the commit), then add
 * what the Redis stream lacks (cron/publish.c: XADD <id>-0 MAXLEN ~ ...), so the time wsload
 * takes just before the line is "the joke is about to be committed".
 *
 * usage: redis-pub DB REDIS_URL [STREAM [TEXT]]
 */
#include "config.h"
#include "db.h"
#include "log.h"
#include "publish.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	static struct config cfg;
	const char *text = argc > 4 ? argv[4] : "bench";
	char line[64];
	enum db_status st;
	struct timespec ts;
	sqlite3 *db;
	long serial;
	int rc = 0;

	log_init("redis-pub", LOG_LEVEL_WARN);
	if (argc < 3) {
		fprintf(stderr, "usage: redis-pub DB REDIS_URL [STREAM [TEXT]]\n");
		return 64;
	}
	config_defaults(&cfg, CONFIG_FETCH);
	if (config_set(&cfg, "redis_url", argv[2], "redis-pub") ||
	    (argc > 3 && config_set(&cfg, "redis_stream", argv[3], "redis-pub")))
		return 78;
	db = db_open(argv[1], DB_WRITE, &st);
	if (!db)
		return db_status_exit(st);
	clock_gettime(CLOCK_REALTIME, &ts);
	serial = (long)(ts.tv_sec % 100000) * 1000000; /* source ids unique across runs */
	while (rc == 0 && fgets(line, sizeof(line), stdin)) {
		struct joke j;

		memset(&j, 0, sizeof(j));
		snprintf(j.source, sizeof(j.source), "bench");
		snprintf(j.source_id, sizeof(j.source_id), "%ld", ++serial);
		snprintf(j.text, sizeof(j.text), "%s %ld", text, serial % 1000000);
		if (db_insert_joke(db, &j, NULL) != 1)
			rc = 74;
		else if (publish_run(&cfg, db) < 0)
			rc = 69;
	}
	db_close(db);
	return rc;
}
