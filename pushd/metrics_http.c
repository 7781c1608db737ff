/* metrics_http.c - GET /healthz and GET /metrics on the parent's metrics listener. */
#include "metrics_http.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define METRICS_IDLE_SECS 5

void metrics_http_init(struct metrics_http *m, int fd)
{
	m->l = (struct listener){.fd = fd, .name = "metrics"};
	for (int i = 0; i < METRICS_CONNS; i++)
		m->c[i].fd = -1;
}

int metrics_http_take(void *arg, int fd)
{
	struct metrics_http *m = arg;

	for (int i = 0; i < METRICS_CONNS; i++)
		if (m->c[i].fd < 0) {
			m->c[i].fd = fd;
			m->c[i].len = 0;
			m->c[i].since = time(NULL);
			return 0;
		}
	return -1;
}

static void conn_close(struct metrics_conn *c)
{
	close(c->fd);
	c->fd = -1;
}

static void reply(int fd, int code, const char *reason, const char *type, const char *body,
		  size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 code, reason, type, len);
	struct iovec iov[2] = {{head, (size_t)n}, {(void *)body, len}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};

	if (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
		log_debug("metrics: reply: %s", strerror(errno));
}

static void answer(struct metrics_conn *c, int healthy, const struct stats *st, int nworkers)
{
	static char body[16384];
	const char *text = "text/plain; charset=utf-8";
	int head = !strncmp(c->req, "HEAD ", 5);

	if (strncmp(c->req, "GET ", 4) && !head) {
		reply(c->fd, 405, "Method Not Allowed", text, "method not allowed\n", 19);
	} else if (!strncmp(c->req + 4 + head, "/healthz ", 9)) {
		/*
		 * Redis down is said, not failed: every node failing its check at once when
		 * Redis blinks would make the load balancer drop every client.
		 */
		static const char no_redis[] = "ok; redis unreachable, serving from the ring\n";

		if (healthy && !stats_redis_up(st, nworkers))
			reply(c->fd, 200, "OK", text, no_redis, head ? 0 : sizeof(no_redis) - 1);
		else if (healthy)
			reply(c->fd, 200, "OK", text, "ok\n", head ? 0 : 3);
		else
			reply(c->fd, 503, "Service Unavailable", text, "unavailable\n", head ? 0 : 12);
	} else if (!strncmp(c->req + 4 + head, "/metrics ", 9)) {
		int n = stats_render(st, nworkers, body, sizeof(body));
		if (n < 0)
			reply(c->fd, 500, "Internal Server Error", text, "too many metrics\n", 17);
		else
			reply(c->fd, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body,
			      head ? 0 : (size_t)n);
	} else {
		reply(c->fd, 404, "Not Found", text, "not found\n", 10);
	}
	conn_close(c);
}

void metrics_http_read(struct metrics_http *m, int i, int healthy, const struct stats *st,
		       int nworkers)
{
	struct metrics_conn *c = &m->c[i];
	ssize_t n = read(c->fd, c->req + c->len, sizeof(c->req) - 1 - c->len);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	c->req[c->len] = '\0';
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n")) {
		answer(c, healthy, st, nworkers);
	} else if (c->len == sizeof(c->req) - 1) {
		reply(c->fd, 431, "Request Header Fields Too Large", "text/plain", "", 0);
		conn_close(c);
	}
}

void metrics_http_expire(struct metrics_http *m, time_t now)
{
	for (int i = 0; i < METRICS_CONNS; i++)
		if (m->c[i].fd >= 0 && now - m->c[i].since > METRICS_IDLE_SECS)
			conn_close(&m->c[i]);
}

void metrics_http_close_all(struct metrics_http *m)
{
	if (m->l.fd >= 0)
		close(m->l.fd);
	for (int i = 0; i < METRICS_CONNS; i++)
		if (m->c[i].fd >= 0)
			close(m->c[i].fd);
}
