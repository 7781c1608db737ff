/* test_pushd.c - unit tests of jokes-pushd's ring, notify line splitter, Origin check, slow-client
 * rule and the parent's command queue. */
#include "../../pushd/cmdq.h"
#include "../../pushd/linebuf.h"
#include "../../pushd/loop.h"
#include "../../pushd/origin.h"
#include "../../pushd/ring.h"
#include "../../pushd/slow.h"
#include "../../pushd/stats.h"
#include "category.h"
#include "log.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct joke mk(int64_t id)
{
	struct joke j;

	memset(&j, 0, sizeof(j));
	j.id = id;
	snprintf(j.source, sizeof(j.source), "test");
	snprintf(j.text, sizeof(j.text), "joke <%lld> \"q\"", (long long)id);
	snprintf(j.fetched_at, sizeof(j.fetched_at), "2026-11-24T10:00:15Z");
	return j;
}

static void test_ring(void)
{
	struct ring r;
	struct joke j;
	char gap[96];

	CHECK(ring_init(&r, 0, 4) == -1);
	CHECK(ring_init(&r, 3, 2) == 0);
	CHECK(r.cap == 5);
	CHECK(ring_oldest_id(&r) == 0 && ring_seq_after(&r, 0) == 0 && !ring_has_gap(&r, 0));
	for (int64_t id = 10; id <= 14; id++) {
		j = mk(id);
		CHECK(ring_push(&r, &j) == 1);
	}
	j = mk(12);
	CHECK_MSG(ring_push(&r, &j) == 0, "an old id is ignored");
	const struct ring_entry *e = ring_get(&r, 0);
	CHECK(e && e->id == 10);
	CHECK(e && !strncmp((char *)e->buf + ring_pre, "{\"type\":\"joke\",\"id\":10,", 23));
	CHECK(ring_oldest_id(&r) == 12);		 /* replay window: 3 */
	CHECK(ring_seq_after(&r, 12) == 3);		 /* id 13 */
	CHECK(ring_seq_after(&r, 5) == 2);		 /* clamped to the window */
	CHECK(ring_seq_after(&r, 14) == 5);		 /* nothing newer */
	CHECK(ring_has_gap(&r, 5) && ring_has_gap(&r, 10));
	CHECK(!ring_has_gap(&r, 11) && !ring_has_gap(&r, 13));
	j = mk(15);
	CHECK(ring_push(&r, &j) == 1);
	CHECK_MSG(!ring_get(&r, 0) && ring_get(&r, 1), "the oldest entry fell out");
	CHECK(r.lost_max == 10 && ring_has_gap(&r, 9));
	CHECK(ring_gap_message(9, 13, gap, sizeof(gap)) > 0 &&
	      !strcmp(gap, "{\"type\":\"gap\",\"since\":9,\"oldest\":13}"));
	CHECK(ring_gap_message(9, 13, gap, 10) == -1);
	CHECK(ring_gap_event(9, 13, gap, sizeof(gap)) > 0 &&
	      !strcmp(gap, "event: gap\ndata: {\"type\":\"gap\",\"since\":9,\"oldest\":13}\n\n"));
	CHECK(ring_gap_event(9, 13, gap, 40) == -1);
	ring_free(&r);
	ring_free(&r);
}

/* Each entry carries its event, built once: "id: ID\nevent: joke\ndata: FRAME\n\n". */
static void test_ring_sse(void)
{
	struct ring r;
	struct joke j = mk(42);
	char want[4096];
	int n;

	CHECK(ring_init(&r, 2, 0) == 0);
	snprintf(j.text, sizeof(j.text), "two\nlines \"q\"");
	CHECK(ring_push(&r, &j) == 1);
	const struct ring_entry *e = ring_get(&r, 0);
	CHECK(e && e->sse && e->sse_len > e->len);
	n = snprintf(want, sizeof(want), "id: 42\nevent: joke\ndata: %.*s\n\n", (int)e->len,
		     (const char *)e->buf + ring_pre);
	CHECK_MSG(e && n > 0 && e->sse_len == (size_t)n && !memcmp(e->sse, want, (size_t)n),
		  "the event is the frame's text after id: and event: lines");
	const char *data = e ? memmem(e->sse, e->sse_len, "data: ", 6) : NULL;
	CHECK_MSG(data && !memchr(data, '\n', (size_t)((const char *)e->sse + e->sse_len - 2 - data)),
		  "the text's newline is escaped in the JSON: one data: line");
	CHECK_MSG(e && e->sse >= e->buf + ring_pre + e->len + 1 + ring_pre, "headroom before the event too");
	ring_free(&r);
}

/* Each entry carries its whole WebSocket frame: the header (RFC 6455 5.2) right before the text. */
static void test_ring_frame(void)
{
	struct ring r;
	struct joke j;

	CHECK(ring_init(&r, 2, 0) == 0);
	for (int64_t id = 1; id <= 2; id++) {
		j = mk(id);
		if (id == 2) { /* 1 995 bytes of text: a frame of 126 bytes and more has a 16-bit length */
			memset(j.text, 'x', 1995);
			j.text[1995] = '\0';
		}
		CHECK(ring_push(&r, &j) == 1);
		const struct ring_entry *e = ring_get(&r, (uint64_t)id - 1);
		size_t h = e && e->len < 126 ? 2 : 4;

		CHECK_MSG(e && (id == 1 ? e->len < 126 : e->len > 2000), "a short and a long frame");
		CHECK_MSG(e && e->frame_len == h + e->len && e->frame + h == e->buf + ring_pre,
			  "the frame is the header and then the text, in the headroom");
		CHECK_MSG(e && e->frame[0] == 0x81, "final text frame, no mask");
		CHECK_MSG(e && (h == 2 ? e->frame[1] == e->len :
				 e->frame[1] == 126 && (size_t)(e->frame[2] << 8 | e->frame[3]) == e->len),
			  "its length");
	}
	ring_free(&r);
}

struct lines {
	int n, too_long;
	char last[64];
};

static int on_line(void *arg, const char *line, size_t len, int too_long)
{
	struct lines *l = arg;

	if (too_long) {
		l->too_long++;
		return 0;
	}
	l->n++;
	snprintf(l->last, sizeof(l->last), "%.*s", (int)len, line);
	return 0;
}

static void test_linebuf(void)
{
	struct linebuf lb;
	struct lines l = {0};
	char big[100];

	linebuf_init(&lb, 16);
	CHECK(linebuf_feed(&lb, "ab\ncd", 5, on_line, &l) == 0);
	CHECK(l.n == 1 && !strcmp(l.last, "ab") && linebuf_pending(&lb));
	CHECK(linebuf_feed(&lb, "e\n\n", 3, on_line, &l) == 0);
	CHECK(l.n == 3 && !strcmp(l.last, "") && !linebuf_pending(&lb));
	memset(big, 'x', sizeof(big));
	CHECK(linebuf_feed(&lb, big, sizeof(big), on_line, &l) == 0);
	CHECK_MSG(l.too_long == 1 && lb.len == 0, "an overlong line is reported once and not kept");
	CHECK(linebuf_feed(&lb, big, sizeof(big), on_line, &l) == 0 && l.too_long == 1);
	CHECK(linebuf_feed(&lb, "tail\nok\n", 8, on_line, &l) == 0);
	CHECK_MSG(l.n == 4 && !strcmp(l.last, "ok"), "the rest of an overlong line is dropped");
	CHECK(linebuf_feed(&lb, big, 15, on_line, &l) == 0 && l.too_long == 1);
	CHECK_MSG(linebuf_feed(&lb, "\n", 1, on_line, &l) == 0 && l.n == 5, "15 bytes + newline fit in 16");
	for (int i = 0; i < 16; i++)
		linebuf_feed(&lb, "y", 1, on_line, &l);
	CHECK_MSG(l.too_long == 2, "byte by byte past the cap");
	linebuf_free(&lb);
	linebuf_free(&lb);
}

static void test_origin(void)
{
	CHECK(origin_check("http://a.example:8080", "a.example:8080", "", 0) == ORIGIN_OK);
	CHECK(origin_check("https://A.example", "a.example", "", 0) == ORIGIN_OK);
	CHECK(origin_check("http://a.example:8081", "a.example:8080", "", 0) == ORIGIN_MISMATCH);
	CHECK(origin_check("http://evil.example", "a.example", "", 0) == ORIGIN_MISMATCH);
	CHECK(origin_check("null", "a.example", "", 0) == ORIGIN_MISMATCH);
	CHECK(origin_check("http://a.example/x", "a.example", "", 0) == ORIGIN_MISMATCH);
	CHECK(origin_check(NULL, "a.example", "", 0) == ORIGIN_MISSING);
	CHECK(origin_check("", "a.example", "", 1) == ORIGIN_OK);
	CHECK(origin_check("https://b.example", "a", " https://b.example , c:1", 0) == ORIGIN_OK);
	CHECK(origin_check("http://c:1", "a", "https://b.example,c:1", 0) == ORIGIN_OK);
	CHECK(origin_check("http://c:2", "a", "https://b.example,c:1", 0) == ORIGIN_MISMATCH);
	CHECK(origin_check("http://z", "a", "*", 0) == ORIGIN_OK);
	CHECK(origin_check("http://a.example", NULL, "", 0) == ORIGIN_MISMATCH);
}

/* ring of 756 (500 replay + 256 backlog), 1 s windows; seq is a client's next entry */
static void test_slow(void)
{
	const int64_t s = 1000000;
	struct slow_view v = {.head = 1400, .tail = 644, .lead = 1400, .cap = 756, .backlog = 256,
			      .now = 10 * s, .grace = s};
	struct slow_mark m = {0, 0};

	CHECK_MSG(!slow_judge(&m, 1200, 256, &v) && m.at == 0, "within its backlog: not slow");
	CHECK_MSG(slow_judge(&m, 600, 256, &v) == 1, "behind the ring's tail: slow at once");
	CHECK_MSG(!slow_judge(&m, 1000, 256, &v) && m.at == v.now, "400 behind: a window starts");
	v.now += s / 2;
	CHECK_MSG(!slow_judge(&m, 1000, 256, &v), "no verdict before the window ends");
	v.now += s / 2;
	CHECK_MSG(slow_judge(&m, 1000, 256, &v) == 1, "took nothing for a whole window: slow");

	/* a burst of 700 at once: every client behind together, and taking */
	m = (struct slow_mark){0, 0};
	v = (struct slow_view){.head = 1700, .tail = 944, .lead = 1000, .cap = 756, .backlog = 256,
			       .now = 10 * s, .grace = s};
	slow_judge(&m, 1000, 256, &v);
	v.lead = 1012;
	v.now += s;
	CHECK_MSG(!slow_judge(&m, 1010, 256, &v) && m.at == v.now && m.seq == 1010,
		  "ring full, but as far as everyone else and taking: not slow, a new window");

	/* the others caught up; this one takes a little each window and fills the ring */
	v.lead = v.head = 1010 + 756;
	v.tail = 1010;
	m = (struct slow_mark){10 * s, 1010};
	v.now = 11 * s;
	CHECK_MSG(slow_judge(&m, 1020, 256, &v) == 1,
		  "the ring is full because of it and the others are far ahead: slow");
	m = (struct slow_mark){10 * s, 1010};
	v.lead = 1200;
	CHECK_MSG(!slow_judge(&m, 1020, 256, &v), "the others only 180 ahead: not slow yet");
}

/* Read everything waiting on fd; the first size - 1 bytes into buf (NUL-terminated). Bytes read. */
static long drain(int fd, char *buf, size_t size)
{
	size_t len = 0;
	long total = 0;
	char tmp[4096];
	ssize_t n;

	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		for (ssize_t i = 0; i < n; i++, total++)
			if (len < size - 1)
				buf[len++] = tmp[i];
	buf[len] = '\0';
	return total;
}

static void test_cmdq(void)
{
	struct cmdq q;
	int sv[2];
	long filled = 0;
	char got[8];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	cmdq_reset(&q);
	CHECK_MSG(cmdq_send(&q, sv[0], 'n') == 0 && !cmdq_pending(&q), "room: written at once");
	CHECK(drain(sv[1], got, sizeof(got)) == 1 && !strcmp(got, "n"));

	while (write(sv[0], "n", 1) == 1) /* a stopped worker: wake-ups fill its socket */
		filled++;
	CHECK(errno == EAGAIN && filled > 10);
	CHECK_MSG(cmdq_send(&q, sv[0], 'n') == 1 && cmdq_pending(&q), "full: the wake-up waits");
	CHECK(cmdq_send(&q, sv[0], 'h') == 1);
	CHECK(cmdq_send(&q, sv[0], 'n') == 1);
	CHECK(cmdq_send(&q, sv[0], 't') == 1);
	CHECK(cmdq_send(&q, sv[0], 'h') == 1);
	CHECK_MSG(q.len == 3, "each command pending once");

	CHECK_MSG(drain(sv[1], got, sizeof(got)) == filled, "the worker reads the wake-ups");
	CHECK_MSG(cmdq_flush(&q, sv[0]) == 0 && !cmdq_pending(&q), "writable again: all written");
	CHECK_MSG(drain(sv[1], got, sizeof(got)) == 3 && !strcmp(got, "nht"),
		  "reload and stop arrive, in order, after the merged wake-up");

	close(sv[1]);
	signal(SIGPIPE, SIG_IGN);
	CHECK(cmdq_send(&q, sv[0], 't') == -1 && errno == EPIPE && cmdq_pending(&q));
	cmdq_reset(&q);
	CHECK(!cmdq_pending(&q));
	close(sv[0]);
}

/*
 * lws runs on libuv here, and a context on a foreign loop is torn down in
 * full (the sanitized build sees a leak or a use after free if not); a second
 * one works after the first.
 */
static void test_loop(void)
{
	loop_log_init(LOG_LEVEL_ERROR);
	CHECK(loop_check() == 0);
	CHECK(loop_check() == 0);
}

/* The Redis source's health and metrics: rendered only for it, up only when every worker is. */
static void test_stats_redis(void)
{
	static char buf[16384];
	struct stats *st = stats_create();
	int n;

	CHECK(st != NULL);
	if (!st)
		return;
	st->w[0].pid = 10;
	st->w[1].pid = 11;
	CHECK(stats_redis_up(st, 2) == 1); /* the SQLite source: always "up" */
	n = stats_render(st, 2, buf, sizeof(buf));
	CHECK(n > 0 && !strstr(buf, "redis"));
	st->source_redis = 1;
	st->started = (int64_t)time(NULL) - 100;
	st->w[0].redis_up = 1;
	CHECK(stats_redis_up(st, 2) == 0); /* worker 1 is not connected */
	st->w[1].redis_up = 1;
	CHECK(stats_redis_up(st, 2) == 1);
	st->w[1].pid = 0; /* a dead worker does not count */
	st->w[1].redis_up = 0;
	CHECK(stats_redis_up(st, 2) == 1);
	st->w[0].redis_last_id = 41;
	st->w[1].redis_last_id = 42;
	st->w[0].redis_reconnects = 2;
	st->w[1].redis_reconnects = 3;
	st->w[0].redis_skipped = 1;
	n = stats_render(st, 2, buf, sizeof(buf));
	CHECK(n > 0 && strstr(buf, "\njokes_pushd_redis_up 1\n"));
	CHECK(strstr(buf, "\njokes_pushd_redis_last_id 42\n") != NULL);
	CHECK(strstr(buf, "\njokes_pushd_redis_reconnects_total 5\n") != NULL);
	CHECK(strstr(buf, "\njokes_pushd_redis_entries_skipped_total 1\n") != NULL);
	/* no entry yet: seconds since the start */
	CHECK(strstr(buf, "\njokes_pushd_redis_seconds_since_entry 10") != NULL);
	st->w[1].redis_last_at = (int64_t)time(NULL) - 7;
	n = stats_render(st, 2, buf, sizeof(buf));
	CHECK(n > 0 && strstr(buf, "\njokes_pushd_redis_seconds_since_entry 7\n"));
	munmap(st, sizeof(*st));
}

/* Each entry carries its joke's category bit, set once as it is pushed; none or unknown: misc. */
static void test_ring_category(void)
{
	struct ring r;
	struct joke j;
	const char *cats[] = {"dad", "", "nope", "Knock-Knock", "programming"};
	unsigned want[] = {category_bit("dad"), category_bit("misc"), category_bit("misc"),
			   category_bit("misc"), category_bit("programming")};

	CHECK(ring_init(&r, 8, 0) == 0);
	for (int i = 0; i < 5; i++) {
		j = mk(i + 1);
		snprintf(j.category, sizeof(j.category), "%s", cats[i]);
		CHECK(ring_push(&r, &j) == 1);
		const struct ring_entry *e = ring_get(&r, (uint64_t)i);
		CHECK_MSG(e && e->bit == want[i], "an entry has the bit of its category");
	}
	CHECK(want[0] && want[0] != want[1] && want[4] && want[4] != want[0]);
	ring_free(&r);
}

/* The filtering clients' gauge and the category refusals: summed over the workers. */
static void test_stats_category(void)
{
	static char buf[16384];
	struct stats *st = stats_create();
	int n;

	CHECK(st != NULL);
	if (!st)
		return;
	st->w[0].filtered = 3;
	st->w[1].filtered = 4;
	st->w[0].refused_category = 2;
	st->w[1].refused_category = 1;
	n = stats_render(st, 2, buf, sizeof(buf));
	CHECK(n > 0 && strstr(buf, "\njokes_pushd_filtered_clients 7\n"));
	CHECK(strstr(buf, "# TYPE jokes_pushd_filtered_clients gauge\n") != NULL);
	CHECK(strstr(buf, "\njokes_pushd_clients_refused_total{reason=\"category\"} 3\n") != NULL);
	munmap(st, sizeof(*st));
}

int main(void)
{
	test_ring();
	test_ring_sse();
	test_ring_frame();
	test_ring_category();
	test_linebuf();
	test_origin();
	test_slow();
	test_cmdq();
	test_loop();
	test_stats_redis();
	test_stats_category();
	return unit_done();
}
