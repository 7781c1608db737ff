/* test_lib.c - lib/: config, joke record and JSON, database. */
#include "category.h"
#include "config.h"
#include "db.h"
#include "joke.h"
#include "log.h"
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

static void
test_utf8(void)
{
	CHECK(utf8_valid("plain", 5));
	CHECK(utf8_valid("\xc3\xa9\xf0\x9f\x98\x80", 6));
	CHECK(!utf8_valid("\xc3", 1));		   /* truncated */
	CHECK(!utf8_valid("\xc0\xaf", 2));	   /* overlong */
	CHECK(!utf8_valid("\xed\xa0\x80", 3));	   /* surrogate */
	CHECK(!utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
	CHECK(!utf8_valid("a\0b", 3));
}

static void
test_json(void)
{
	struct joke j = {.id = 42,
	                 .source = "chucknorris",
	                 .category = "chuck",
	                 .fetched_at = "2026-11-24T10:00:15Z"};
	struct joke back;
	char buf[NOTIFY_LINE_MAX], err[64];
	int n;

	snprintf(j.text, sizeof(j.text), "<script>\"quote\"\nline two");
	n = joke_dump(&j, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(strcmp(buf, "{\"id\":42,\"text\":\"<script>\\\"quote\\\"\\nline two\","
	                  "\"source\":\"chucknorris\",\"category\":\"chuck\","
	                  "\"fetched_at\":\"2026-11-24T10:00:15Z\"}") == 0);
	CHECK(joke_parse_line(buf, (size_t)n, &back, err, sizeof(err)) == 0);
	CHECK(back.id == 42 && strcmp(back.text, j.text) == 0 &&
	      strcmp(back.category, "chuck") == 0);

	/* a record from before categories is a "misc" joke; a newer vocabulary's name too */
	n = snprintf(buf, sizeof(buf),
	             "{\"id\":1,\"text\":\"x\",\"source\":\"a\","
	             "\"fetched_at\":\"2026-11-24T10:00:15Z\"}");
	CHECK(joke_parse_line(buf, (size_t)n, &back, err, sizeof(err)) == 0 &&
	      strcmp(back.category, "misc") == 0);
	n = snprintf(buf, sizeof(buf),
	             "{\"id\":1,\"text\":\"x\",\"source\":\"a\","
	             "\"category\":\"limerick\",\"fetched_at\":\"2026-11-24T10:00:15Z\"}");
	CHECK(joke_parse_line(buf, (size_t)n, &back, err, sizeof(err)) == 0 &&
	      strcmp(back.category, "misc") == 0);
	n = snprintf(buf, sizeof(buf),
	             "{\"id\":1,\"text\":\"x\",\"source\":\"a\","
	             "\"category\":\"dad\",\"fetched_at\":\"2026-11-24T10:00:15Z\"}");
	CHECK(joke_parse_line(buf, (size_t)n, &back, err, sizeof(err)) == 0 &&
	      strcmp(back.category, "dad") == 0);
	static const char *const bad_category[] = {
	    "\"\"",        "\"Dad\"", "\"a b\"", "1", "null", "[\"dad\"]", "\"abcdefghijklmnop\"",
	    "\"d\\u0000\""};
	for (size_t i = 0; i < sizeof(bad_category) / sizeof(bad_category[0]); i++) {
		n = snprintf(buf, sizeof(buf),
		             "{\"id\":1,\"text\":\"x\",\"source\":\"a\",\"category\":%s,"
		             "\"fetched_at\":\"2026-11-24T10:00:15Z\"}",
		             bad_category[i]);
		CHECK(joke_parse_line(buf, (size_t)n, &back, err, sizeof(err)) < 0);
	}

	CHECK(joke_parse_line("nope", 4, &back, err, sizeof(err)) < 0);
	CHECK(joke_parse_line("[1]", 3, &back, err, sizeof(err)) < 0);
	CHECK(joke_parse_line("{\"id\":1}", 8, &back, err, sizeof(err)) < 0);
	n = snprintf(buf, sizeof(buf),
	             "{\"id\":0,\"text\":\"x\",\"source\":\"a\","
				       "\"fetched_at\":\"2026-11-24T10:00:15Z\"}");
	CHECK(joke_parse_line(buf, (size_t)n, &back, err, sizeof(err)) < 0);
	n = snprintf(buf, sizeof(buf),
	             "{\"id\":1,\"text\":\"x\",\"source\":\"A!\","
				       "\"fetched_at\":\"2026-11-24T10:00:15Z\"}");
	CHECK(joke_parse_line(buf, (size_t)n, &back, err, sizeof(err)) < 0);
	/* a member it does not know is a newer writer's: ignored; a known one of a wrong type is
	 * not */
	n = snprintf(buf, sizeof(buf),
	             "{\"id\":1,\"text\":\"x\",\"source\":\"a\","
				       "\"fetched_at\":\"2026-11-24T10:00:15Z\",\"extra\":{\"a\":[1]}}");
	CHECK(joke_parse_line(buf, (size_t)n, &back, err, sizeof(err)) == 0 && back.id == 1 &&
	      strcmp(back.text, "x") == 0);
	n = snprintf(buf, sizeof(buf),
	             "{\"id\":\"1\",\"text\":\"x\",\"source\":\"a\","
				       "\"fetched_at\":\"2026-11-24T10:00:15Z\",\"extra\":1}");
	CHECK(joke_parse_line(buf, (size_t)n, &back, err, sizeof(err)) < 0);
	n = snprintf(buf, sizeof(buf),
	             "{\"id\":1,\"text\":[\"x\"],\"source\":\"a\","
				       "\"fetched_at\":\"2026-11-24T10:00:15Z\"}");
	CHECK(joke_parse_line(buf, (size_t)n, &back, err, sizeof(err)) < 0);
	n = snprintf(buf, sizeof(buf),
	             "{\"id\":1,\"text\":\"x\",\"source\":\"a\","
				       "\"fetched_at\":null}");
	CHECK(joke_parse_line(buf, (size_t)n, &back, err, sizeof(err)) < 0);
	n = snprintf(buf, sizeof(buf),
	             "{\"id\":1,\"text\":\"x\\u0000y\",\"source\":\"a\","
				       "\"fetched_at\":\"2026-11-24T10:00:15Z\"}");
	CHECK(joke_parse_line(buf, (size_t)n, &back, err, sizeof(err)) < 0);
	CHECK(joke_parse_line(buf, NOTIFY_LINE_MAX + 1, &back, err, sizeof(err)) < 0);

	/* the largest text, every byte escaped, still fits one notify line */
	memset(j.text, '\x01', JOKE_TEXT_MAX);
	j.text[JOKE_TEXT_MAX] = '\0';
	CHECK(joke_dump(&j, buf, NOTIFY_LINE_MAX - 1) > 0);
}

static void
test_text_key(void)
{
	char a[JOKE_TEXT_MAX + 1], b[JOKE_TEXT_MAX + 1];

	joke_text_key("  Why did the chicken...  cross?", a, sizeof(a));
	joke_text_key("why DID the chicken cross", b, sizeof(b));
	CHECK(strcmp(a, b) == 0);
	CHECK(strcmp(a, "why did the chicken cross") == 0);
}

static void
test_config(void)
{
	char path[256], *argv[8];
	struct config cfg;
	int argc;
	FILE *f;

	snprintf(path, sizeof(path), "%s/jokes.conf", unit_tmpdir());
	f = fopen(path, "w");
	fprintf(f, "# comment\nstate_dir = /tmp/x\nfetch_retries = 3\npushd_ring_size = 7\n");
	fclose(f);
	argv[0] = "prog";
	argv[1] = "-c";
	argv[2] = path;
	argv[3] = "--fetch-timeout-ms=999";
	argv[4] = "--every";
	argv[5] = "15";
	argv[6] = NULL;
	argc = 6;
	setenv("JOKES_FETCH_RETRIES", "4", 1);
	CHECK(config_load(&cfg, CONFIG_FETCH, &argc, argv) == 0);
	unsetenv("JOKES_FETCH_RETRIES");
	CHECK(argc == 3 && strcmp(argv[1], "--every") == 0 && strcmp(argv[2], "15") == 0);
	CHECK(strcmp(cfg.db_path, "/tmp/x/jokes.db") == 0);
	CHECK(cfg.fetch_retries == 4);	       /* env over file */
	CHECK(cfg.fetch_timeout_ms == 999);    /* flag over default */
	CHECK(cfg.pushd_ring_size == 500);     /* another program's key: known, not applied */
	CHECK(cfg.log_level == LOG_LEVEL_WARN); /* the fetcher, run by cron, is quiet by default */
	config_defaults(&cfg, CONFIG_PUSHD);
	CHECK(cfg.log_level == LOG_LEVEL_INFO);

	f = fopen(path, "w");
	fprintf(f, "no_such_key = 1\n");
	fclose(f);
	argv[1] = "-c", argv[2] = path, argc = 3;
	CHECK(config_load(&cfg, CONFIG_FETCH, &argc, argv) == EX_CONFIG);

	f = fopen(path, "w");
	fprintf(f, "fetch_retries = 11\n");
	fclose(f);
	argv[1] = "-c", argv[2] = path, argc = 3;
	CHECK(config_load(&cfg, CONFIG_FETCH, &argc, argv) == EX_CONFIG);
	argv[1] = "-c", argv[2] = path, argc = 3;
	CHECK(config_load(&cfg, CONFIG_PUSHD, &argc, argv) == 0); /* not pushd's key */

	f = fopen(path, "w");
	fprintf(f, "log_level = loud\n");
	fclose(f);
	argv[1] = "-c", argv[2] = path, argc = 3;
	CHECK(config_load(&cfg, CONFIG_FCGI, &argc, argv) == EX_CONFIG);

	argv[1] = "-c", argv[2] = "/nonexistent/jokes.conf", argc = 3;
	CHECK(config_load(&cfg, CONFIG_FCGI, &argc, argv) == EX_CONFIG);
}

static void
test_category(void)
{
	unsigned m = 0;
	char err[160], out[CATEGORY_LIST_MAX + 1];

	CHECK(category_index("knock-knock", 11) == 3 && category_index("knock", 5) == -1);
	CHECK(category_valid("misc") && !category_valid("Misc") && !category_valid(""));
	CHECK(category_bit("programming") == 1 && category_bit("nope") == 0);
	CHECK(strlen(category_name(CATEGORY_COUNT - 1)) <= CATEGORY_NAME_MAX &&
	      category_name(CATEGORY_COUNT) == NULL && category_name(-1) == NULL);
	CHECK(category_parse_list("dad", 3, &m, err, sizeof(err)) == 0 && m == 2);
	CHECK(category_parse_list("Programming,DAD", 15, &m, err, sizeof(err)) == 0 && m == 3);
	CHECK(category_format_list(m, out, sizeof(out)) == 15 &&
	      strcmp(out, "programming,dad") == 0);
	m = 77;
	CHECK(category_parse_list("nope", 4, &m, err, sizeof(err)) < 0 && m == 77 &&
	      strstr(err, "knock-knock") != NULL);
	static const char *const bad[] = {
	    "",         ",",    "dad,",  ",dad",  "dad,,pun",         "dad,dad",
	    "dad, pun", " dad", "dad\n", "d%61d", "knock-knock-knock"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(category_parse_list(bad[i], strlen(bad[i]), &m, err, sizeof(err)) < 0);
	char many[200] = "";
	for (int i = 0; i < 20; i++) /* 20 values: a repeat at the ninth at the latest */
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s%s", i ? "," : "",
		         category_name(i % CATEGORY_COUNT));
	CHECK(category_parse_list(many, strlen(many), &m, err, sizeof(err)) < 0);
	CHECK(category_parse_list(many, 200, &m, err, sizeof(err)) < 0); /* past the cap */
	CHECK(category_parse_list("a", 0, &m, err, sizeof(err)) < 0);
}

static void
flood(int n)
{
	for (int i = 0; i < n; i++)
		log_info("refused a request from Origin '%s' (%d)", "x", i);
}

/* Untrusted text stays on one line without escapes; a flooding call site is held back. */
static void
test_log(void)
{
	char path[256], buf[16384];
	FILE *f;
	size_t n;
	int saved = dup(2), fd;

	snprintf(path, sizeof(path), "%s/log.txt", unit_tmpdir());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	log_init("test_log", LOG_LEVEL_INFO);
	log_warn("Origin '%s'", "evil\r\nforged: line\x1b[31m\xff\xc3\xa9");
	flood(120);
	struct timespec ts = {.tv_sec = 1, .tv_nsec = 100000000};
	nanosleep(&ts, NULL); /* the next second */
	log_error("after the flood");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	log_init("test_lib", LOG_LEVEL_ERROR);
	f = fopen(path, "r");
	n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	CHECK(strstr(buf, "test_log: warn: Origin 'evil\\x0d\\x0aforged: line\\x1b[31m\\xff\xc3\xa9'\n") !=
	      NULL);
	CHECK(strstr(buf, "(49)\n") != NULL && strstr(buf, "(50)\n") == NULL); /* 50 a second */
	CHECK(strstr(buf, "test_log: warn: 70 more lines like \"refused a request from Origin") !=
	      NULL);
	CHECK(strstr(buf, "test_log: error: after the flood\n") != NULL);
	/* which comes after the summary */
	CHECK(strstr(buf, "held back") != NULL &&
	      strstr(buf, "held back") < strstr(buf, "after the flood"));
}

static int
collect(const struct joke *j, void *arg)
{
	int64_t *ids = arg;
	ids[++ids[0]] = j->id;
	return 0;
}

static void
test_db(void)
{
	char path[256];
	enum db_status st;
	struct joke j = {.source = "test"}, got;
	int64_t ids[16] = {0}, newest = -1;
	sqlite3 *w, *r;

	snprintf(path, sizeof(path), "%s/jokes.db", unit_tmpdir());
	r = db_open(path, DB_READ, &st);
	CHECK(r == NULL && st == DB_MISSING);

	w = db_open(path, DB_WRITE, &st);
	CHECK(w != NULL && st == DB_OK);
	for (int i = 1; i <= 5; i++) {
		snprintf(j.source_id, sizeof(j.source_id), "s%d", i);
		snprintf(j.text, sizeof(j.text), "joke number %d", i);
		j.fetched_at[0] = '\0';
		CHECK(db_insert_joke(w, &j, NULL) == 1 && j.id == i);
	}
	CHECK(db_insert_joke(w, &j, NULL) == 0); /* same source + source_id */
	CHECK(db_text_seen(w, "JOKE number 5!", "other") == 1);
	CHECK(db_text_seen(w, "joke number 5", "test") == 0);

	r = db_open(path, DB_READ, &st);
	CHECK(r != NULL && st == DB_OK);
	CHECK(db_jokes_since(r, 2, 10, collect, ids) == 3 && ids[1] == 3 && ids[3] == 5);
	ids[0] = 0;
	CHECK(db_jokes_before(r, 0, 2, collect, ids) == 2 && ids[1] == 5 && ids[2] == 4);
	CHECK(db_joke_get(r, 3, &got) == 1 && strcmp(got.text, "joke number 3") == 0);
	CHECK(joke_time_valid(got.fetched_at));
	CHECK(db_joke_get(r, 99, &got) == 0);
	CHECK(db_newest_id(r, &newest) == 0 && newest == 5);
	db_close(r);
	db_close(w);

	/* the writer closed, yet a reader still finds the WAL files (persistent WAL) */
	r = db_open(path, DB_READ, &st);
	CHECK(r != NULL);
	db_close(r);
	w = db_open(path, DB_WRITE, &st);
	sqlite3_exec(w, "PRAGMA user_version = 99", NULL, NULL, NULL);
	db_close(w);
	CHECK(db_open(path, DB_READ, &st) == NULL && st == DB_TOO_NEW);
	CHECK(db_open(path, DB_WRITE, &st) == NULL && st == DB_TOO_NEW);
}

static long
count_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The version-2 index, (category, id) alone: what version 3 makes a covering one. */
#define V2_INDEX "CREATE INDEX jokes_category ON jokes(category, id)"

/* A version-2 database (path, made from a migrated one) is read as it is, and migrated. */
static void
test_db_migrate_v2(const char *path)
{
	enum db_status st;
	struct joke got;
	sqlite3 *db = db_open(path, DB_WRITE, &st);

	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK(sqlite3_exec(db, "DROP INDEX jokes_category; " V2_INDEX "; PRAGMA user_version = 2",
	                   NULL, NULL, NULL) == SQLITE_OK);
	db_close(db);
	db = db_open(path, DB_READ, &st); /* a reader started before the next fetch */
	CHECK(db != NULL && st == DB_OK);
	CHECK(db != NULL && db_joke_get(db, 1, &got) == 1 && strcmp(got.category, "dad") == 0);
	db_close(db);
	db = db_open(path, DB_WRITE, &st);
	CHECK(db != NULL && count_of(db, "PRAGMA user_version") == 3);
	CHECK(count_of(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'jokes_category' AND"
	                   " sql = 'CREATE INDEX jokes_category ON jokes(category, id, source,"
	                   " source_id, text, fetched_at)'") == 1);
	db_close(db);
}

/* A version-1 database (tests/data/schema-v1.sql) migrated to categories. */
static void
test_db_migrate(void)
{
	char path[256], sql[4096] = "";
	enum db_status st;
	struct joke j = {
	    .source = "chucknorris", .source_id = "c9", .text = "new", .category = "pun"};
	struct joke got;
	FILE *f = fopen("tests/data/schema-v1.sql", "r");
	sqlite3 *db;
	size_t n;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	n = fread(sql, 1, sizeof(sql) - 1, f);
	fclose(f);
	sql[n] = '\0';
	snprintf(path, sizeof(path), "%s/v1.db", unit_tmpdir());
	CHECK(sqlite3_open(path, &db) == SQLITE_OK &&
	      sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(
	          db,
	          "INSERT INTO jokes (source, source_id, text, text_key, fetched_at) VALUES"
	          " ('icanhazdadjoke', 'a', 'dad one', 'dad one', '2026-01-01T00:00:00Z'),"
	          " ('chucknorris', 'b', 'chuck one', 'chuck one', '2026-01-01T00:00:00Z'),"
	          " ('official', 'c', 'other one', 'other one', '2026-01-01T00:00:00Z'),"
	          " ('bundled', 'r1-0', 'bundled one', 'bundled one', '2026-01-01T00:00:00Z')",
	          NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);

	CHECK(db_open(path, DB_READ, &st) == NULL && st == DB_MISSING); /* older: not yet */
	db = db_open(path, DB_WRITE, &st);
	CHECK(db != NULL && st == DB_OK);
	if (db == NULL)
		return;
	CHECK(count_of(db, "PRAGMA user_version") == DB_SCHEMA_VERSION);
	CHECK(db_joke_get(db, 1, &got) == 1 && strcmp(got.category, "dad") == 0);
	CHECK(db_joke_get(db, 2, &got) == 1 && strcmp(got.category, "chuck") == 0);
	CHECK(db_joke_get(db, 3, &got) == 1 && strcmp(got.category, "misc") == 0);
	CHECK(count_of(db, "SELECT n FROM category_counts WHERE category = 'misc'") == 2);
	CHECK(count_of(db,
	               "SELECT count(*) FROM source_state WHERE source = '@bundled-categories'") ==
	      1);
	CHECK(count_of(db, "SELECT count(*) FROM jokes_fts WHERE jokes_fts MATCH 'chuck'") == 1);
	/* the counts follow inserts, category changes and deletes, in the writer's statement */
	CHECK(db_insert_joke(db, &j, NULL) == 1 && j.id == 5);
	CHECK(count_of(db, "SELECT n FROM category_counts WHERE category = 'pun'") == 1);
	CHECK(sqlite3_exec(db, "UPDATE jokes SET category = 'spooky' WHERE id = 3", NULL, NULL,
	                   NULL) == SQLITE_OK);
	CHECK(count_of(db, "SELECT n FROM category_counts WHERE category = 'misc'") == 1);
	CHECK(count_of(db, "SELECT n FROM category_counts WHERE category = 'spooky'") == 1);
	CHECK(count_of(db, "SELECT count(*) FROM jokes_fts WHERE jokes_fts MATCH 'other'") == 1);
	CHECK(sqlite3_exec(db, "DELETE FROM jokes WHERE id = 5", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(count_of(db, "SELECT n FROM category_counts WHERE category = 'pun'") == 0);
	/* a joke with no or a foreign category is stored as the default */
	snprintf(j.source_id, sizeof(j.source_id), "c10");
	snprintf(j.category, sizeof(j.category), "nope");
	CHECK(db_insert_joke(db, &j, NULL) == 1 && db_joke_get(db, j.id, &got) == 1 &&
	      strcmp(got.category, "misc") == 0);
	db_close(db);
	test_db_migrate_v2(path);
}

int
main(void)
{
	log_init("test_lib", LOG_LEVEL_ERROR);
	test_utf8();
	test_json();
	test_text_key();
	test_config();
	test_db();
	test_category();
	test_log();
	test_db_migrate();
	return unit_done();
}
