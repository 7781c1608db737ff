/*
 * bundled.c - serve the compiled-in collection without repeats: each round stores every
 * joke once in random order; the round number in the source id lets the next round
 * store the same texts again, so an offline installation never runs dry.
 */
#include "bundled.h"

#include "log.h"
#include "text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

size_t
bundled_count(void)
{
	return bundled_jokes_count;
}

/* The round of the newest bundled joke (0 when none) into *round: rounds only grow. */
static int
current_round(sqlite3 *db, long *round)
{
	static const char sql[] =
		"SELECT coalesce(max(CAST(substr(source_id, 2, instr(source_id, '-') - 2) AS INTEGER)), 0)"
		" FROM (SELECT source_id FROM jokes WHERE +source = 'bundled' AND source_id LIKE 'r%-%'"
		" ORDER BY id DESC LIMIT 1)"; /* +source: walk back from the newest row, no sort */
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*round = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Mark in used[] the indexes stored in this round; returns how many, or -1. */
static long
round_used(sqlite3 *db, long round, unsigned char *used)
{
	static const char sql[] =
		"SELECT substr(source_id, instr(source_id, '-') + 1) FROM jokes"
		" WHERE source = 'bundled' AND source_id >= ?1 AND source_id < ?2"; /* index range */
	char from[32], to[32];
	sqlite3_stmt *st;
	long n = 0;
	int rc;

	snprintf(from, sizeof(from), "r%ld-", round);
	snprintf(to, sizeof(to), "r%ld.", round); /* '.' follows '-' */
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, from, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		char *end;
		unsigned long i = s ? strtoul(s, &end, 10) : 0;
		if (s && *s && *end == '\0' && i < bundled_jokes_count && !used[i]) {
			used[i] = 1;
			n++;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -1;
}

static uint32_t
random_below(uint32_t n)
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)rand() ^ (uint32_t)time(NULL);
	return r % n;
}

int
bundled_text(size_t i, char *text, size_t size)
{
	const char *raw = bundled_jokes[i].text;
	char err[64];

	if (text_clean(raw, strlen(raw), text, size, err, sizeof(err)) < 0) {
		log_error("bundled joke %zu: %s", i, err);
		return -1;
	}
	return 0;
}

/* Fill j from joke index i of round. */
static int
fill(struct joke *j, long round, size_t i)
{
	memset(j, 0, sizeof(*j));
	memcpy(j->source, "bundled", sizeof("bundled"));
	snprintf(j->source_id, sizeof(j->source_id), "r%ld-%zu", round, i);
	snprintf(j->category, sizeof(j->category), "%s", bundled_jokes[i].category);
	return bundled_text(i, j->text, sizeof(j->text));
}

int
bundled_pick(sqlite3 *db, struct joke *j)
{
	unsigned char *used;
	long round = 0, n;
	size_t pick, k;
	int rc = -1;

	if (bundled_jokes_count == 0) {
		log_error("bundled: the collection is empty");
		return -1;
	}
	used = calloc(bundled_jokes_count, 1);
	if (used == NULL || current_round(db, &round) < 0)
		goto out;
	if (round == 0)
		round = 1;
	n = round_used(db, round, used);
	if (n < 0)
		goto out;
	if ((size_t)n >= bundled_jokes_count) {
		round++;
		memset(used, 0, bundled_jokes_count);
		n = 0;
	}
	pick = random_below((uint32_t)(bundled_jokes_count - (size_t)n));
	for (k = 0; k < bundled_jokes_count; k++)
		if (!used[k] && pick-- == 0)
			break;
	rc = fill(j, round, k);
out:
	if (rc < 0 && used != NULL)
		log_error("bundled: cannot choose a joke: %s", sqlite3_errmsg(db));
	free(used);
	return rc;
}
