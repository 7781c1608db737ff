/*
 * fetch_baseline.c - the floor jokes-fetch is measured against: one libcurl GET to the same
 * local fake API and one SQLite insert (WAL), nothing else. Usage: fetch_baseline URL DBFILE
 */
#include <curl/curl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
	char data[65536];
	size_t len;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = size * n;

	if (len > sizeof(b->data) - 1 - b->len)
		return 0;
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

int
main(int argc, char **argv)
{
	static struct buf b;
	sqlite3 *db;
	sqlite3_stmt *st;
	CURL *curl;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: fetch_baseline URL DBFILE\n");
		return 64;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	curl_easy_setopt(curl, CURLOPT_URL, argv[1]);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(curl);
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	if (rc != CURLE_OK)
		return 75;
	if (sqlite3_open(argv[2], &db) != SQLITE_OK)
		return 74;
	sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
			 "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)",
		     NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO t (body) VALUES (?)", -1, &st, NULL);
	sqlite3_bind_text(st, 1, b.data, (int)b.len, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : 74;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
