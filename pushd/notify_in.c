/* notify_in.c - notify lines from jokes-fetch, checked, then relayed as a wake-up (see notify_in.h). */
#include "notify_in.h"

#include "joke.h"
#include "log.h"

#include <errno.h>
#include <unistd.h>

#define NOTIFY_IDLE_SECS 10

void notify_in_init(struct notify_in *n, int fd, struct stats *st, void (*on_joke)(void *ctx),
		    void *ctx)
{
	n->l = (struct listener){.fd = fd, .name = "notify"};
	n->stats = st;
	n->on_joke = on_joke;
	n->ctx = ctx;
	for (int i = 0; i < NOTIFY_CONNS; i++)
		n->c[i].fd = -1;
}

int notify_in_take(void *arg, int fd)
{
	struct notify_in *n = arg;

	for (int i = 0; i < NOTIFY_CONNS; i++)
		if (n->c[i].fd < 0) {
			n->c[i].fd = fd;
			n->c[i].last = time(NULL);
			n->c[i].sec = n->c[i].last;
			n->c[i].bytes = 0;
			n->c[i].lines = 0;
			linebuf_init(&n->c[i].lb, NOTIFY_LINE_MAX);
			return 0;
		}
	log_warn("notify: more than %d connections at once; closing one", NOTIFY_CONNS);
	return -1;
}

static int line(void *arg, const char *text, size_t len, int too_long)
{
	struct notify_in *n = arg;
	struct joke j;
	char err[128];

	if (n->reading->lines++ >= NOTIFY_LINES_PER_SEC) {
		if (!too_long && n->reading->lines == NOTIFY_LINES_PER_SEC + 1)
			log_warn("notify: a peer sends more than %d lines a second; the rest of this"
				 " second's are skipped",
				 NOTIFY_LINES_PER_SEC);
		stats_add(&n->stats->notify_limited, 1);
		return 0;
	}
	if (too_long) {
		stats_add(&n->stats->notify_rejected, 1);
		log_warn("notify: dropped a line longer than %d bytes", NOTIFY_LINE_MAX - 1);
		return 0;
	}
	if (joke_parse_line(text, len, &j, err, sizeof(err))) {
		stats_add(&n->stats->notify_rejected, 1);
		log_warn("notify: dropped a bad line: %s", err);
		return 0;
	}
	stats_add(&n->stats->notifies, 1);
	log_debug("notify: joke %lld", (long long)j.id);
	n->woke = 1;
	return 0;
}

static void conn_close(struct notify_in *n, struct notify_conn *c, const char *why)
{
	if (linebuf_pending(&c->lb)) {
		stats_add(&n->stats->notify_rejected, 1);
		log_warn("notify: dropped an unfinished line (%s)", why);
	}
	linebuf_free(&c->lb);
	close(c->fd);
	c->fd = -1;
}

/* A new second gives a connection its budgets again. */
static void budget_renew(struct notify_conn *c, time_t now)
{
	if (c->sec != now) {
		c->sec = now;
		c->bytes = 0;
		c->lines = 0;
	}
}

int notify_in_poll_fd(const struct notify_in *n, int i, time_t now)
{
	const struct notify_conn *c = &n->c[i];

	if (c->fd >= 0 && c->sec == now && c->bytes >= NOTIFY_BYTES_PER_SEC)
		return -1;
	return c->fd;
}

void notify_in_read(struct notify_in *n, int i)
{
	struct notify_conn *c = &n->c[i];
	char buf[4096];
	ssize_t got;

	budget_renew(c, time(NULL));
	if (c->bytes >= NOTIFY_BYTES_PER_SEC)
		return;
	got = read(c->fd, buf, sizeof(buf));
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got <= 0) {
		conn_close(n, c, "no newline before the end");
		return;
	}
	c->last = c->sec;
	c->bytes += (size_t)got;
	n->reading = c;
	n->woke = 0;
	if (linebuf_feed(&c->lb, buf, (size_t)got, line, n) < 0)
		conn_close(n, c, "out of memory");
	if (n->woke)
		n->on_joke(n->ctx); /* one wake-up for every line of this read */
}

void notify_in_expire(struct notify_in *n, time_t now)
{
	for (int i = 0; i < NOTIFY_CONNS; i++)
		if (n->c[i].fd >= 0 && now - n->c[i].last > NOTIFY_IDLE_SECS)
			conn_close(n, &n->c[i], "idle too long");
}

void notify_in_close_all(struct notify_in *n)
{
	if (n->l.fd >= 0)
		close(n->l.fd);
	for (int i = 0; i < NOTIFY_CONNS; i++)
		if (n->c[i].fd >= 0)
			close(n->c[i].fd);
}
