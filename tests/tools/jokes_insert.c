/* jokes_insert.c - test fixture tool: store chosen joke texts in a jokes.db through lib/db.c.
 *
 *   jokes_insert DB [--category NAME] < lines   one joke per line; the two characters \n
 *                                  become a newline; category NAME (default misc)
 *   jokes_insert DB --generate N   N generated jokes (word soup), in one transaction; joke i
 *                                  (from 0) gets category number i % CATEGORY_COUNT
 */
#include "category.h"
#include "config.h"
#include "db.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const words[] = {
	"chuck", "norris", "cat",    "dog",   "robot", "banana", "keyboard", "server", "cloud",
	"pixel", "coffee", "teapot", "lemon", "rocket", "penguin", "socket", "kernel", "pirate",
	"wizard", "duck",  "pickle", "llama", "zebra", "tuba",  "waffle", "ninja",  "cactus",
};

static int
store(sqlite3 *db, const char *text, long n, const char *category)
{
	struct joke j = {0};
	size_t o = 0;

	snprintf(j.source, sizeof(j.source), "test");
	snprintf(j.category, sizeof(j.category), "%s", category);
	snprintf(j.source_id, sizeof(j.source_id), "%ld-%ld", (long)getpid(), n);
	for (const char *p = text; *p && o < JOKE_TEXT_MAX; p++) {
		if (p[0] == '\\' && p[1] == 'n') {
			j.text[o++] = '\n';
			p++;
		} else {
			j.text[o++] = *p;
		}
	}
	j.text[o] = '\0';
	if (o == 0)
		return 0;
	return db_insert_joke(db, &j, NULL) < 0 ? -1 : 0;
}

/*
 * The database jokes-fetch would leave after count jokes with the default
 * fetch_fts_optimize_every: the search index merged at the last multiple of
 * it, and every joke after that stored in its own transaction, as the fetcher
 * stores them. Before that point the jokes go in large transactions (the
 * merge leaves one b-tree whatever came before).
 */
static int
generate(sqlite3 *db, long count)
{
	struct config cfg;
	long every, merged;
	char text[256];
	unsigned seed = 12345;
	int nw = (int)(sizeof(words) / sizeof(words[0]));

	config_defaults(&cfg, CONFIG_FETCH);
	every = cfg.fetch_fts_optimize_every;
	merged = every > 0 ? count - count % every : 0;
	/* a throw-away fixture: durability does not matter, speed does */
	sqlite3_exec(db, "PRAGMA synchronous = OFF; PRAGMA cache_size = -200000", NULL, NULL, NULL);
	for (long i = 0; i < count; i++) {
		int bulk = i < merged;
		size_t o = 0;

		if (!bulk || i % 50000 == 0)
			sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		for (int k = 0; k < 8; k++) {
			seed = seed * 1103515245u + 12345u;
			o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%s", k ? " " : "",
					      words[(seed >> 16) % (unsigned)nw]);
		}
		snprintf(text + o, sizeof(text) - o, " number %ld", i);
		if (store(db, text, i, category_name((int)(i % CATEGORY_COUNT))) < 0)
			return -1;
		if ((!bulk || i + 1 == merged || i % 50000 == 49999) &&
		    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			return -1;
		if (i + 1 == merged && db_fts_optimize(db) < 0)
			return -1;
	}
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	return 0;
}

int
main(int argc, char **argv)
{
	char line[JOKE_TEXT_MAX * 2 + 2];
	enum db_status st;
	sqlite3 *db;
	long n = 0;
	int rc = 0;
	const char *category = CATEGORY_DEFAULT;

	log_init("jokes_insert", LOG_LEVEL_WARN);
	if (argc < 2) {
		fprintf(stderr, "usage: jokes_insert DB [--generate N | --category NAME] < lines\n");
		return 64;
	}
	if (argc == 4 && strcmp(argv[2], "--category") == 0) {
		if (!category_valid(argv[3])) {
			fprintf(stderr, "jokes_insert: unknown category %s\n", argv[3]);
			return 64;
		}
		category = argv[3];
	}
	db = db_open(argv[1], DB_WRITE, &st);
	if (db == NULL)
		return 74;
	if (argc == 4 && strcmp(argv[2], "--generate") == 0) {
		rc = generate(db, strtol(argv[3], NULL, 10)) < 0;
	} else {
		while (rc == 0 && fgets(line, sizeof(line), stdin) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			rc = store(db, line, n++, category) < 0;
		}
	}
	db_close(db);
	return rc ? 1 : 0;
}
