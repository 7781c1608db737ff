/* test_redis.c - lib/: the keys of push nodes fed from Redis (redis_url, redis_stream,
 * fetch_redis_maxlen, pushd_source, an absolute fcgi_ws_url) and the stream-entry parser. */
#include "config.h"
#include "joke.h"
#include "log.h"
#include "redis_url.h"
#include "stream_entry.h"
#include "unit.h"

#include <hiredis.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

static int
url(const char *s, struct redis_url *u)
{
	const char *why = NULL;
	int rc = redis_url_parse(s, u, &why);

	return rc == 0 ? 0 : (why != NULL ? -1 : -2);
}

static void
test_url(void)
{
	struct redis_url u;
	char buf[256];

	CHECK(url("", &u) == 0 && !u.set);
	CHECK(url("redis://127.0.0.1:6380", &u) == 0 && u.set && !u.is_unix &&
	      strcmp(u.host, "127.0.0.1") == 0 && u.port == 6380 && u.db == 0 && !u.password[0]);
	CHECK(url("redis://cache.example.org", &u) == 0 && u.port == 6379);
	CHECK(url("redis://:s3cr3t-~.@h:1/15", &u) == 0 && strcmp(u.password, "s3cr3t-~.") == 0 &&
	      strcmp(u.host, "h") == 0 && u.port == 1 && u.db == 15);
	CHECK(url("redis://[::1]:6379/2", &u) == 0 && strcmp(u.host, "::1") == 0 && u.db == 2);
	CHECK(url("redis://[::1]", &u) == 0 && strcmp(u.host, "::1") == 0 && u.port == 6379);
	CHECK(url("unix:/run/redis/redis.sock", &u) == 0 && u.is_unix &&
	      strcmp(u.path, "/run/redis/redis.sock") == 0);

	CHECK(url("http://h:1", &u) == -1);
	CHECK(url("redis://", &u) == -1);
	CHECK(url("redis://:1", &u) == -1); /* a port and no host (found by the fuzzer) */
	CHECK(url("redis://:pw@:6379", &u) == -1);
	CHECK(!config_host_ok(":80", 3) && config_host_ok("h:80", 4));
	CHECK(url("redis://h:0", &u) == -1);
	CHECK(url("redis://h:65536", &u) == -1);
	CHECK(url("redis://h:+1", &u) == -1);
	CHECK(url("redis://h:1/65536", &u) == -1);
	CHECK(url("redis://h:1/-1", &u) == -1);
	CHECK(url("redis://h:1/x", &u) == -1);
	CHECK(url("redis://h:1/0/1", &u) == -1);
	CHECK(url("redis://h_1:1", &u) == -1);
	CHECK(url("redis://user:pw@h:1", &u) == -1);
	CHECK(url("redis://:@h:1", &u) == -1);
	CHECK(url("redis://:p w@h:1", &u) == -1);
	CHECK(url("redis://:p%40@h:1", &u) == -1);
	CHECK(url("unix:relative.sock", &u) == -1);
	CHECK(url("unix:/a b", &u) == -1);
	memset(buf, 'a', 120);
	buf[0] = '/', buf[120] = '\0';
	CHECK(url("unix:/ok", &u) == 0);
	{
		char longer[140] = "unix:";
		memcpy(longer + 5, buf, 121);
		CHECK(url(longer, &u) == -1);
	}

	CHECK(strcmp(redis_url_redact("redis://:s3cr3t@h:1/2", buf, sizeof(buf)),
		     "redis://:***@h:1/2") == 0);
	CHECK(strcmp(redis_url_redact("redis://u:s3cr3t@h", buf, sizeof(buf)), "redis://***@h") == 0);
	CHECK(strcmp(redis_url_redact("redis:/:s3@cr3t@h", buf, sizeof(buf)), "***@h") == 0);
	CHECK(strcmp(redis_url_redact("redis://h:1", buf, sizeof(buf)), "redis://h:1") == 0);

	CHECK(redis_stream_valid("jokes") && redis_stream_valid("site:jokes.v2-a_b"));
	CHECK(!redis_stream_valid("") && !redis_stream_valid("a b") && !redis_stream_valid("a*"));
	memset(buf, 'a', REDIS_STREAM_MAX + 1);
	buf[REDIS_STREAM_MAX + 1] = '\0';
	CHECK(!redis_stream_valid(buf));
	buf[REDIS_STREAM_MAX] = '\0';
	CHECK(redis_stream_valid(buf));
}

static int
load_file(struct config *cfg, enum config_owner owner, const char *path, const char *text,
	  mode_t mode)
{
	char *argv[4] = {"prog", "-c", (char *)path, NULL};
	int argc = 3;
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return config_load(cfg, owner, &argc, argv);
}

static void
test_config_keys(void)
{
	char path[256], out[4096];
	struct config cfg;
	FILE *f;

	snprintf(path, sizeof(path), "%s/redis.conf", unit_tmpdir());
	config_defaults(&cfg, CONFIG_PUSHD);
	CHECK(cfg.redis_url[0] == '\0' && !cfg.redis.set);
	CHECK(strcmp(cfg.redis_stream, "jokes") == 0);
	CHECK(cfg.fetch_redis_maxlen == 1000);
	CHECK(cfg.pushd_source == CONFIG_SOURCE_SQLITE);

	CHECK(load_file(&cfg, CONFIG_PUSHD, path,
			"redis_url = redis://127.0.0.1:7000/3\nredis_stream = s.1\n"
			"pushd_source = redis\n", 0644) == 0);
	CHECK(cfg.redis.set && cfg.redis.port == 7000 && cfg.redis.db == 3);
	CHECK(strcmp(cfg.redis_stream, "s.1") == 0 && cfg.pushd_source == CONFIG_SOURCE_REDIS);
	CHECK(load_file(&cfg, CONFIG_FETCH, path, "fetch_redis_maxlen = 50\n", 0644) == 0 &&
	      cfg.fetch_redis_maxlen == 50);

	/* each one checked, by whoever reads it */
	CHECK(load_file(&cfg, CONFIG_FCGI, path, "redis_url = redis://h:99999\n", 0644) == EX_CONFIG);
	CHECK(load_file(&cfg, CONFIG_FETCH, path, "redis_stream = a b\n", 0644) == EX_CONFIG);
	CHECK(load_file(&cfg, CONFIG_FETCH, path, "fetch_redis_maxlen = 0\n", 0644) == EX_CONFIG);
	CHECK(load_file(&cfg, CONFIG_PUSHD, path, "pushd_source = mysql\n", 0644) == EX_CONFIG);
	CHECK(load_file(&cfg, CONFIG_PUSHD, path, "pushd_source = redis\n", 0644) == EX_CONFIG);
	CHECK(load_file(&cfg, CONFIG_FETCH, path, "pushd_source = redis\n", 0644) == 0);

	/* a password: the file must not be world-readable; group-readable is fine */
	CHECK(load_file(&cfg, CONFIG_FETCH, path, "redis_url = redis://:pw@h:1\n", 0644) ==
	      CONFIG_EX_SECRET_READABLE);
	CHECK(load_file(&cfg, CONFIG_PUSHD, path, "redis_url = redis://:pw@h:1\n", 0604) ==
	      CONFIG_EX_SECRET_READABLE);
	CHECK(load_file(&cfg, CONFIG_FETCH, path, "redis_url = redis://:pw@h:1\n", 0640) == 0 &&
	      strcmp(cfg.redis.password, "pw") == 0);
	CHECK(load_file(&cfg, CONFIG_FETCH, path, "redis_url = redis://h:1\n", 0644) == 0);

	/* -n shows the password as *** */
	CHECK(load_file(&cfg, CONFIG_FETCH, path, "redis_url = redis://:pw0rd@h:1\n", 0600) == 0);
	f = fmemopen(out, sizeof(out), "w");
	config_dump(&cfg, f);
	fclose(f);
	CHECK(strstr(out, "redis_url = redis://:***@h:1\n") != NULL && strstr(out, "pw0rd") == NULL);
	CHECK(strstr(out, "redis_stream = jokes\n") != NULL);

	/* env and flags, as for every key */
	setenv("JOKES_REDIS_STREAM", "from-env", 1);
	CHECK(load_file(&cfg, CONFIG_FETCH, path, "\n", 0644) == 0 &&
	      strcmp(cfg.redis_stream, "from-env") == 0);
	unsetenv("JOKES_REDIS_STREAM");
	{
		char *argv[4] = {"prog", "--redis-url=unix:/tmp/r.sock", "--fetch-redis-maxlen", "7"};
		int argc = 4;

		CHECK(config_load(&cfg, CONFIG_FETCH, &argc, argv) == 0 && cfg.redis.is_unix &&
		      cfg.fetch_redis_maxlen == 7);
	}
}

/* fcgi_ws_url: a path, or a ws:// or wss:// URL (push nodes on another host) */
static void
test_ws_url(void)
{
	const char *why = NULL;

	CHECK(config_ws_url_check("/ws/jokes/", &why) == 0);
	CHECK(config_ws_url_check("ws://127.0.0.2:9000/ws/jokes/", &why) == 0);
	CHECK(config_ws_url_check("wss://ws.example.org", &why) == 0);
	CHECK(config_ws_url_check("wss://[::1]:443/x", &why) == 0);
	CHECK(config_ws_url_check("http://ws.example.org/", &why) < 0 && why != NULL);
	CHECK(config_ws_url_check("ws://", &why) < 0);
	CHECK(config_ws_url_check("ws://h:0/", &why) < 0);
	CHECK(config_ws_url_check("ws://h/a?b", &why) < 0);
	CHECK(config_ws_url_check("ws://h/a/../b", &why) < 0);
	CHECK(config_ws_url_check("ws://h/\"x", &why) < 0);
	CHECK(config_ws_url_check("", &why) < 0);
	CHECK(config_ws_url_check("ws/jokes", &why) < 0);
}

/* A reply built by hiredis's own reader from RESP text. */
static redisReply *
reply_of(const char *resp)
{
	size_t len = strlen(resp);
	redisReader *r = redisReaderCreate();
	void *reply = NULL;

	redisReaderFeed(r, resp, len);
	if (redisReaderGetReply(r, &reply) != REDIS_OK)
		reply = NULL;
	redisReaderFree(r);
	return reply;
}

static int
entry(const char *id, const char *field, const char *value, struct joke *j)
{
	const char *items[2] = {field, value};
	size_t lens[2] = {strlen(field), strlen(value)};
	char err[128];

	return stream_entry_parse(id, strlen(id), 2, items, lens, j, err, sizeof(err));
}

static void
test_stream_entry(void)
{
	static const char rec[] = "{\"id\":42,\"text\":\"hi\",\"source\":\"a\","
				  "\"fetched_at\":\"2026-11-24T10:00:15Z\"}";
	static const char newer[] = "{\"id\":42,\"text\":\"hi\",\"source\":\"a\","
				    "\"fetched_at\":\"2026-11-24T10:00:15Z\",\"lang\":\"en\"}";
	char buf[NOTIFY_LINE_MAX + 64], err[128], idbuf[STREAM_ID_MAX + 1];
	const char *items[4];
	size_t lens[4];
	struct stream_id sid;
	redisReply *r;
	struct joke j;
	int n;

	CHECK(stream_entry_id(42, idbuf, sizeof(idbuf)) == 4 && strcmp(idbuf, "42-0") == 0);
	CHECK(stream_entry_id(INT64_MAX, idbuf, sizeof(idbuf)) > 0);
	CHECK(stream_id_parse("18446744073709551615-18446744073709551615", 41, &sid) == 0 &&
	      sid.ms == UINT64_MAX && sid.seq == UINT64_MAX);
	CHECK(stream_id_parse("18446744073709551616-0", 22, &sid) < 0);
	CHECK(stream_id_parse("1-", 2, &sid) < 0 && stream_id_parse("-1", 2, &sid) < 0);
	CHECK(stream_id_parse("1-2-3", 5, &sid) < 0 && stream_id_parse("+1-0", 4, &sid) < 0);
	CHECK(stream_id_parse("7-3", 3, &sid) == 0 && sid.ms == 7 && sid.seq == 3);

	CHECK(entry("42-0", "joke", rec, &j) == 0 && j.id == 42 && strcmp(j.text, "hi") == 0);
	CHECK(entry("42-0", "joke", newer, &j) == 0 && j.id == 42); /* a newer writer's member */
	CHECK(entry("43-0", "joke", rec, &j) < 0);  /* not the record's id */
	CHECK(entry("042-0", "joke", rec, &j) < 0); /* not written as jokes-fetch writes it */
	CHECK(entry("42-1", "joke", rec, &j) < 0);
	CHECK(entry("42", "joke", rec, &j) < 0);
	CHECK(entry("42-0", "Joke", rec, &j) < 0);
	CHECK(entry("42-0", "jokes", rec, &j) < 0);
	CHECK(entry("42-0", "joke", "{\"id\":42}", &j) < 0);
	CHECK(entry("42-0", "joke", "not json", &j) < 0);
	CHECK(entry("42-0", "joke", "{\"id\":\"42\",\"text\":\"hi\",\"source\":\"a\","
				    "\"fetched_at\":\"2026-11-24T10:00:15Z\"}", &j) < 0);

	/* two fields, or none */
	items[0] = "joke", items[1] = rec, items[2] = "x", items[3] = "y";
	lens[0] = 4, lens[1] = strlen(rec), lens[2] = 1, lens[3] = 1;
	CHECK(stream_entry_parse("42-0", 4, 4, items, lens, &j, err, sizeof(err)) < 0);
	CHECK(strcmp(err, "not exactly one field") == 0);
	CHECK(stream_entry_parse("42-0", 4, 0, items, lens, &j, err, sizeof(err)) < 0);
	/* a NUL inside the value is not a record */
	lens[1] = strlen(rec) + 1;
	CHECK(stream_entry_parse("42-0", 4, 2, items, lens, &j, err, sizeof(err)) < 0);

	/* over the cap: padded with spaces, still valid JSON, refused for its size */
	n = snprintf(buf, sizeof(buf), "%s", rec);
	memmove(buf + NOTIFY_LINE_MAX + 1 - n, buf, (size_t)n);
	memset(buf, ' ', (size_t)(NOTIFY_LINE_MAX + 1 - n));
	items[1] = buf, lens[1] = NOTIFY_LINE_MAX + 1;
	CHECK(stream_entry_parse("42-0", 4, 2, items, lens, &j, err, sizeof(err)) < 0);
	CHECK(strstr(err, "larger") != NULL);
	items[1] = buf + 1, lens[1] = NOTIFY_LINE_MAX; /* at the cap: taken */
	CHECK(stream_entry_parse("42-0", 4, 2, items, lens, &j, err, sizeof(err)) == 0);

	/* from hiredis replies: the types are checked */
	n = snprintf(buf, sizeof(buf), "*2\r\n$4\r\n42-0\r\n*2\r\n$4\r\njoke\r\n$%zu\r\n%s\r\n",
		     strlen(rec), rec);
	r = reply_of(buf);
	CHECK(r != NULL && stream_entry_from_reply(r, &j, err, sizeof(err)) == 0 && j.id == 42);
	freeReplyObject(r);
	r = reply_of("*2\r\n:42\r\n*2\r\n$4\r\njoke\r\n$2\r\n{}\r\n");
	CHECK(r != NULL && stream_entry_from_reply(r, &j, err, sizeof(err)) < 0);
	CHECK(strcmp(err, "the ID is not a string") == 0);
	freeReplyObject(r);
	r = reply_of("*2\r\n$4\r\n42-0\r\n*2\r\n$4\r\njoke\r\n:1\r\n");
	CHECK(r != NULL && stream_entry_from_reply(r, &j, err, sizeof(err)) < 0);
	freeReplyObject(r);
	r = reply_of("*2\r\n$4\r\n42-0\r\n$4\r\njoke\r\n");
	CHECK(r != NULL && stream_entry_from_reply(r, &j, err, sizeof(err)) < 0);
	freeReplyObject(r);
	r = reply_of("*2\r\n$4\r\n42-0\r\n*-1\r\n"); /* a deleted entry */
	CHECK(r != NULL && stream_entry_from_reply(r, &j, err, sizeof(err)) < 0);
	/* refused, yet its ID is read: a reader resumes after it */
	CHECK(stream_entry_reply_id(r, &sid) == 0 && sid.ms == 42 && sid.seq == 0);
	freeReplyObject(r);
	r = reply_of("*2\r\n:42\r\n*0\r\n");
	CHECK(r != NULL && stream_entry_reply_id(r, &sid) < 0); /* an ID that is not a string */
	freeReplyObject(r);
	r = reply_of("*2\r\n$5\r\n42-x0\r\n*0\r\n");
	CHECK(r != NULL && stream_entry_reply_id(r, &sid) < 0);
	freeReplyObject(r);
	r = reply_of("*0\r\n");
	CHECK(r != NULL && stream_entry_reply_id(r, &sid) < 0 && stream_entry_reply_id(NULL, &sid) < 0);
	freeReplyObject(r);
	r = reply_of("*1\r\n$4\r\n42-0\r\n");
	CHECK(r != NULL && stream_entry_from_reply(r, &j, err, sizeof(err)) < 0);
	freeReplyObject(r);
	r = reply_of("$4\r\n42-0\r\n");
	CHECK(r != NULL && stream_entry_from_reply(r, &j, err, sizeof(err)) < 0);
	freeReplyObject(r);
	CHECK(stream_entry_from_reply(NULL, &j, err, sizeof(err)) < 0);
}

int
main(void)
{
	log_init("test_redis", LOG_LEVEL_ERROR);
	test_url();
	test_config_keys();
	test_ws_url();
	test_stream_entry();
	return unit_done();
}
