/* pushd_dbput.c - test helper: store N jokes through lib/db (and notify pushd), print their ids.
 *
 * usage: pushd-dbput [-C CATEGORIES] DB N [PREFIX [NOTIFY_SOCKET [--lines]]]
 * Texts are "PREFIX 1" .. "PREFIX N" (PREFIX default "joke"), source "test".
 * -C dad,programming: the jokes' categories, taken in turn (default: the column's, misc).
 * --lines: stay up and store (and notify) N more jokes for each line read from
 * standard input, with the database kept open (a kept publisher for wsload -K).
 */
#include "category.h"
#include "db.h"
#include "notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <getopt.h>
#include <unistd.h>

/* -C's names, used in turn (none: each joke keeps the column's default) */
static const char *cats[CATEGORY_COUNT];
static int ncats;
static long turn; /* jokes stored so far: the next one's category is cats[turn % ncats] */

/* -C LIST into cats[]: the names of lib/category.h, in the order given. 0, or -1. */
static int parse_cats(const char *list)
{
	char err[160];
	unsigned mask;
	const char *p = list;

	if (category_parse_list(list, strlen(list), &mask, err, sizeof(err))) {
		fprintf(stderr, "pushd-dbput: -C: %s\n", err);
		return -1;
	}
	while (*p && ncats < CATEGORY_COUNT) {
		size_t len = strcspn(p, ",");

		for (int i = 0; i < CATEGORY_COUNT; i++)
			if (strlen(category_name(i)) == len && !strncasecmp(p, category_name(i), len))
				cats[ncats++] = category_name(i);
		p += len + (p[len] == ',');
	}
	return 0;
}

/* Store n jokes "prefix 1".."prefix n" (ids printed), notifying sock if given. 0 or 74. */
static int put(sqlite3 *db, long n, const char *prefix, const char *sock, long *serial)
{
	for (long i = 1; i <= n; i++) {
		struct joke j;

		memset(&j, 0, sizeof(j));
		if (ncats)
			snprintf(j.category, sizeof(j.category), "%s", cats[turn++ % ncats]);
		snprintf(j.source, sizeof(j.source), "test");
		snprintf(j.source_id, sizeof(j.source_id), "%ld.%ld", (long)getpid(), ++*serial);
		snprintf(j.text, sizeof(j.text), "%s %ld", prefix, i);
		if (db_insert_joke(db, &j, NULL) != 1)
			return 74;
		printf("%lld\n", (long long)j.id);
		if (sock && notify_send(sock, &j, 1000))
			fprintf(stderr, "pushd-dbput: notify: failed\n");
	}
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	enum db_status st;
	sqlite3 *db;
	char *end, line[64];
	long n, serial;
	struct timespec ts;
	const char *prefix, *sock;
	int lines, rc = 0, opt;

	while ((opt = getopt(argc, argv, "+C:")) != -1)
		if (opt != 'C' || parse_cats(optarg))
			return 64;
	argc -= optind - 1;
	argv += optind - 1;
	prefix = argc > 3 ? argv[3] : "joke";
	sock = argc > 4 ? argv[4] : NULL;
	lines = argc > 5 && !strcmp(argv[5], "--lines");
	if (argc < 3 || (argc > 5 && !lines)) {
		fprintf(stderr, "usage: pushd-dbput [-C CATEGORIES] DB N [PREFIX [NOTIFY_SOCKET [--lines]]]\n");
		return 64;
	}
	n = strtol(argv[2], &end, 10);
	if (*end || n < 0 || n > 1000000)
		return 64;
	db = db_open(argv[1], DB_WRITE, &st);
	if (!db)
		return db_status_exit(st);
	clock_gettime(CLOCK_REALTIME, &ts);
	serial = (long)(ts.tv_sec % 100000) * 1000000; /* source ids unique across runs */
	if (!lines)
		rc = put(db, n, prefix, sock, &serial);
	while (lines && rc == 0 && fgets(line, sizeof(line), stdin))
		rc = put(db, n, prefix, sock, &serial);
	db_close(db);
	return rc;
}
