/* pushd_dbput.c - test helper: store N jokes through lib/db (and notify pushd), print their ids.
 *
 * usage: pushd-dbput DB N [PREFIX [NOTIFY_SOCKET]]
 * Texts are "PREFIX 1" .. "PREFIX N" (PREFIX default "joke"), source "test".
 */
#include "db.h"
#include "notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	enum db_status st;
	sqlite3 *db;
	char *end;
	long n;
	struct timespec ts;

	if (argc < 3) {
		fprintf(stderr, "usage: pushd-dbput DB N [PREFIX [NOTIFY_SOCKET]]\n");
		return 64;
	}
	n = strtol(argv[2], &end, 10);
	if (*end || n < 0 || n > 1000000)
		return 64;
	db = db_open(argv[1], DB_WRITE, &st);
	if (!db)
		return db_status_exit(st);
	clock_gettime(CLOCK_REALTIME, &ts);
	for (long i = 1; i <= n; i++) {
		struct joke j;

		memset(&j, 0, sizeof(j));
		snprintf(j.source, sizeof(j.source), "test");
		snprintf(j.source_id, sizeof(j.source_id), "%lld.%ld.%ld", (long long)ts.tv_sec,
			 ts.tv_nsec, i);
		snprintf(j.text, sizeof(j.text), "%s %ld", argc > 3 ? argv[3] : "joke", i);
		if (db_insert_joke(db, &j, NULL) != 1) {
			db_close(db);
			return 74;
		}
		printf("%lld\n", (long long)j.id);
		if (argc > 4 && notify_send(argv[4], &j, 1000))
			fprintf(stderr, "pushd-dbput: notify: failed\n");
	}
	db_close(db);
	return 0;
}
