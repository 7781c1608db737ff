/* test_fcgi.c - jokes-fcgi: query-string parser, escaper, FTS5 query builder, HTTP dates. */
#include "../../fcgi/app.h"
#include "../../fcgi/buf.h"
#include "../../fcgi/escape.h"
#include "../../fcgi/query.h"
#include "../../fcgi/store.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
parses(const char *qs)
{
	struct query q;
	const char *why;

	return query_parse(qs, &q, &why) == 0;
}

static void
test_query_good(void)
{
	struct query q;
	const char *why;

	CHECK(query_parse(NULL, &q, &why) == 0 && !q.before && !q.limit && !q.has_q);
	CHECK(query_parse("", &q, &why) == 0);
	CHECK(query_parse("before=42&limit=7", &q, &why) == 0 && q.before == 42 && q.limit == 7);
	CHECK(query_parse("since=0", &q, &why) == 0 && q.has_since && q.since == 0);
	CHECK(query_parse("since=999999999999999999", &q, &why) == 0 && q.since == QUERY_ID_MAX);
	CHECK(query_parse("q=chuck+norris%21", &q, &why) == 0 && !strcmp(q.q, "chuck norris!"));
	CHECK(query_parse("q=%E2%9C%93", &q, &why) == 0 && !strcmp(q.q, "\xe2\x9c\x93"));
	CHECK(query_parse("q=", &q, &why) == 0 && q.has_q && q.q[0] == '\0');
	CHECK(query_parse("utm_source=x&before=5&&x", &q, &why) == 0 && q.before == 5);
	CHECK(query_parse("limit=100", &q, &why) == 0 && q.limit == 100);
	CHECK(query_parse("limit=1", &q, &why) == 0 && q.limit == 1);
	CHECK(query_parse("limit=%31%30", &q, &why) == 0 && q.limit == 10);
}

static void
test_query_bad(void)
{
	static const char *const bad[] = {
		"before=0", "before=-1", "before=abc", "before=", "before", "before=1e3",
		"before=0x1", "before=+1", "before=01", "before=1%00", "before=%zz", "before=%4",
		"before=1234567890123456789", "before=123456789012345678901234567890",
		"before=1&before=2", "limit=0", "limit=101", "limit=-1", "limit=", "limit=1&limit=1",
		"since=00", "since=-0", "since=1&before=2", "q=%ff", "q=%c3", "q=a%00b", "q=%0a",
		"q=%7f", "q=1&q=2",
	};
	char big[QUERY_MAX + 16];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(!parses(bad[i]), bad[i]);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(!parses(big));
	memset(big, 'a', 250);
	memcpy(big, "q=", 2);
	big[250] = '\0';
	CHECK(!parses(big)); /* q longer than 200 bytes */
}

static void
test_query_category(void)
{
	static const char *const bad[] = {
		"category=", "category", "category=nope", "category=dad&category=dad",
		"category=dad,dad", "category=dad,", "category=,dad", "category=dad,,pun",
		"category=%ff%00", "category=dad%00", "category=dad+pun", "category=%zz",
	};
	struct query q;
	const char *why;

	CHECK(query_parse("category=programming", &q, &why) == 0 &&
	      q.categories == category_bit("programming") && !strcmp(q.category, "programming"));
	CHECK(query_parse("category=PUN,Dad&limit=3", &q, &why) == 0 &&
	      q.categories == (category_bit("dad") | category_bit("pun")) &&
	      !strcmp(q.category, "dad,pun") && q.limit == 3);
	CHECK(query_parse("category=knock-knock%2Cmisc", &q, &why) == 0 &&
	      !strcmp(q.category, "knock-knock,misc"));
	CHECK(query_parse("before=5", &q, &why) == 0 && q.categories == 0 && q.category[0] == '\0');
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int refused = query_parse(bad[i], &q, &why) < 0;

		CHECK_MSG(refused && strstr(why, category_known()) != NULL, bad[i]);
	}
}

static void
test_query_ids(void)
{
	int64_t id = 0;

	CHECK(query_id("1", 1, &id) == 0 && id == 1);
	CHECK(query_id("999999999999999999", 18, &id) == 0 && id == QUERY_ID_MAX);
	CHECK(query_id("0", 1, &id) < 0);
	CHECK(query_id("1000000000000000000", 19, &id) < 0);
	CHECK(query_id("12a", 3, &id) < 0);
	CHECK(query_id("", 0, &id) < 0);
}

static void
test_escape(void)
{
	struct buf b = {0}, back = {0};
	const char *in = "<script>\"x\" & 'y'</script>]]>\x01\n";

	esc_htmls(&b, in);
	CHECK(!strcmp(b.p, "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;]]&gt;"
			   "\xef\xbf\xbd\n"));
	CHECK(esc_unescape(&back, b.p, b.len) == 0);
	CHECK(!strcmp(back.p, "<script>\"x\" & 'y'</script>]]>\xef\xbf\xbd\n"));
	buf_reset(&back);
	CHECK(esc_unescape(&back, "&bogus;", 7) < 0);
	buf_reset(&b);
	esc_htmls(&b, "\xe2\x80\xae emoji \xf0\x9f\x98\x82");
	CHECK(!strcmp(b.p, "\xe2\x80\xae emoji \xf0\x9f\x98\x82")); /* UTF-8 passes unchanged */
	buf_reset(&b);
	esc_url(&b, "a b&c=d/é", strlen("a b&c=d/é"));
	CHECK(!strcmp(b.p, "a%20b%26c%3Dd%2F%C3%A9"));
	buf_free(&b);
	buf_free(&back);
}

static void
test_fts(void)
{
	char out[512];

	CHECK(store_fts_query("chuck norris", out, sizeof(out)) == 2 &&
	      !strcmp(out, "\"chuck\" \"norris\""));
	CHECK(store_fts_query("  \"NEAR( a* -b ", out, sizeof(out)) == 3 &&
	      !strcmp(out, "\"\"\"NEAR(\" \"a*\" \"-b\""));
	CHECK(store_fts_query("   ", out, sizeof(out)) == 0);
	CHECK(store_fts_query("a b c d e f g h i j k l m n o p q r s", out, sizeof(out)) ==
	      STORE_TERMS_MAX);
	CHECK(store_fts_query("abcdefghijklmnop", out, 8) < 0);
}

static void
test_buf(void)
{
	struct buf b = {0};
	char date[40];

	buf_addf(&b, "%d-%s", 42, "x");
	CHECK(b.len == 4 && !strcmp(b.p, "42-x"));
	buf_add(&b, "y", BUF_MAX);
	CHECK(b.failed);
	buf_free(&b);
	buf_free(NULL);
	app_http_date("2026-11-24T10:00:15Z", date, sizeof(date));
	CHECK(!strcmp(date, "Tue, 24 Nov 2026 10:00:15 GMT"));
	app_http_date("garbage", date, sizeof(date));
	CHECK(date[0] == '\0');
}

/* The query plan of st, its detail lines joined by "; ", into out. */
static void
plan(sqlite3 *db, sqlite3_stmt *st, char *out, size_t size)
{
	char sql[2048];
	sqlite3_stmt *eqp = NULL;
	size_t n = 0;

	out[0] = '\0';
	snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", sqlite3_sql(st));
	if (sqlite3_prepare_v2(db, sql, -1, &eqp, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(eqp) == SQLITE_ROW && n + 2 < size) {
		int w = snprintf(out + n, size - n, "%s; ", (const char *)sqlite3_column_text(eqp, 3));

		if (w < 0)
			break;
		n += (size_t)w < size - n ? (size_t)w : size - n - 1;
	}
	sqlite3_finalize(eqp);
}

/* The statements of a filtered list walk the covering index (category, id, ...) in order:
 * no sort, no seek into the table. */
static void
test_store_plans(void)
{
	char path[] = "/tmp/test_fcgi_plan.XXXXXX", db_path[64], text[1024];
	struct store st = {0};
	enum db_status status;
	sqlite3 *w;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	unlink(path);
	snprintf(db_path, sizeof(db_path), "%s.db", path);
	w = db_open(db_path, DB_WRITE, &status);
	CHECK(w != NULL);
	db_close(w);
	st.path = db_path;
	CHECK(store_ready(&st) == 1);
	for (int d = 0; st.db != NULL && d < 2; d++) {
		plan(st.db, st.walk[d][0], text, sizeof(text));
		CHECK_MSG(strstr(text, "USING COVERING INDEX jokes_category (category=? AND id") != NULL, text);
		CHECK_MSG(strstr(text, "TEMP B-TREE") == NULL, text);
	}
	if (st.db != NULL) {
		plan(st.db, st.st[ST_CATS_SEARCH], text, sizeof(text));
		CHECK_MSG(strstr(text, "TEMP B-TREE") == NULL && strstr(text, "jokes_fts") != NULL, text);
	}
	store_close(&st);
	unlink(db_path);
	snprintf(text, sizeof(text), "%s-wal", db_path);
	unlink(text);
	snprintf(text, sizeof(text), "%s-shm", db_path);
	unlink(text);
}

int
main(void)
{
	test_query_good();
	test_query_bad();
	test_query_category();
	test_query_ids();
	test_escape();
	test_fts();
	test_buf();
	test_store_plans();
	return unit_done();
}
