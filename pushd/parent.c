/* parent.c - sockets, notify relay, metrics, worker supervision (see parent.h). */
#include "parent.h"

#include "cmdq.h"
#include "joke.h"
#include "linebuf.h"
#include "log.h"
#include "reload.h"
#include "sock.h"
#include "stats.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define NOTIFY_CONNS 64
#define NOTIFY_IDLE_SECS 10
#define METRICS_CONNS 16
#define METRICS_IDLE_SECS 5
#define METRICS_REQ_MAX 2048
#define STOP_WAIT_SECS 6
#define ACCEPT_PAUSE_MS 250	  /* a listener whose accept() failed rests this long */
#define ACCEPT_SAY_MS (60 * 1000) /* and says so at most this often */

struct wslot {
	pid_t pid;     /* 0 when not running */
	int fd;	       /* parent's end of the command socket */
	int listen_fd; /* this worker's listener (the same fd for all in Unix mode) */
	time_t started, respawn_at;
	struct cmdq q; /* commands the socket could not take yet */
};

/* A listener whose accept() fails (out of descriptors) stays readable: rest it instead of spinning. */
struct rest {
	int64_t until; /* monotonic ms; not polled before then */
	int64_t said;  /* when the last failure was logged (0: never) */
};

struct nconn {
	int fd;
	time_t last;
	struct linebuf lb;
};

struct mconn {
	int fd;
	time_t since;
	size_t len;
	char req[METRICS_REQ_MAX];
};

struct parent {
	struct config *cfg;
	struct stats *stats;
	int nworkers;
	struct wslot w[STATS_WORKERS_MAX];
	int notify_fd, metrics_fd;
	struct rest notify_rest, metrics_rest;
	/* the socket files bound at start: a reload may name others, these are ours to remove */
	char notify_path[CONFIG_PATH_MAX], ws_path[CONFIG_PATH_MAX];
	long ring_slack; /* pushd_max_backlog at start: what every worker's ring is made for */
	struct nconn nc[NOTIFY_CONNS];
	struct mconn mc[METRICS_CONNS];
	int stopping;
	time_t stop_deadline;
	int poll_failed; /* poll() errors so far: logged once */
};

static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int e = errno;
	unsigned char c = (unsigned char)sig;

	if (write(sig_pipe[1], &c, 1) < 0) {
		/* full pipe: a wake-up is already pending */
	}
	errno = e;
}

static int signals_init(void)
{
	struct sigaction sa;

	if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* --- workers ----------------------------------------------------------------- */

/* Every command reaches every running worker; what its socket cannot take now waits (cmdq.h). */
static void send_all(struct parent *p, char cmd)
{
	for (int i = 0; i < p->nworkers; i++)
		if (p->w[i].pid > 0 && cmdq_send(&p->w[i].q, p->w[i].fd, cmd) < 0)
			log_debug("worker %d: command: %s", i, strerror(errno));
}

static void flush_worker(struct parent *p, int i)
{
	if (cmdq_flush(&p->w[i].q, p->w[i].fd) < 0) {
		/* the worker is gone: reap() restarts it, and a new one needs none of these */
		log_debug("worker %d: command: %s", i, strerror(errno));
		cmdq_reset(&p->w[i].q);
	}
}

/* In the child: close what belongs to the parent and the other workers. */
static void child_close(struct parent *p, int keep)
{
	close(p->notify_fd);
	if (p->metrics_fd >= 0)
		close(p->metrics_fd);
	for (int i = 0; i < NOTIFY_CONNS; i++)
		if (p->nc[i].fd >= 0)
			close(p->nc[i].fd);
	for (int i = 0; i < METRICS_CONNS; i++)
		if (p->mc[i].fd >= 0)
			close(p->mc[i].fd);
	for (int i = 0; i < p->nworkers; i++) {
		if (i != keep && p->w[i].pid > 0)
			close(p->w[i].fd);
		if (p->w[i].listen_fd != p->w[keep].listen_fd)
			close(p->w[i].listen_fd);
	}
	close(sig_pipe[0]);
	close(sig_pipe[1]);
}

static int spawn(struct parent *p, int i)
{
	struct wslot *s = &p->w[i];
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		struct worker_args a = {i, s->listen_fd, sv[1], p->ring_slack, p->cfg, p->stats};

		close(sv[0]);
		child_close(p, i);
		signal(SIGCHLD, SIG_DFL);
		_exit(worker_run(&a));
	}
	close(sv[1]);
	sock_nonblock(sv[0]);
	s->pid = pid;
	s->fd = sv[0];
	s->started = time(NULL);
	s->respawn_at = 0;
	cmdq_reset(&s->q);
	stats_set(&p->stats->w[i].pid, pid);
	return 0;
}

/* A worker ended: forget its clients and plan a restart unless stopping. */
static void worker_gone(struct parent *p, int i, int status)
{
	struct wslot *s = &p->w[i];
	struct stats_worker *st = &p->stats->w[i];

	if (!p->stopping)
		log_error("worker %d (pid %d) %s %d; restarting it", i, (int)s->pid,
			  WIFSIGNALED(status) ? "killed by signal" : "exited with",
			  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	stats_add(&p->stats->clients_total, -stats_get(&st->clients));
	stats_set(&st->clients, 0);
	stats_set(&st->pid, 0);
	close(s->fd);
	s->fd = -1;
	s->pid = 0;
	cmdq_reset(&s->q);
	/* a worker dying at once would spin: wait a second before the next try */
	s->respawn_at = time(NULL) - s->started < 2 ? time(NULL) + 1 : time(NULL);
}

static void reap(struct parent *p)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (int i = 0; i < p->nworkers; i++)
			if (p->w[i].pid == pid)
				worker_gone(p, i, status);
}

static void respawn_due(struct parent *p)
{
	time_t now = time(NULL);

	for (int i = 0; i < p->nworkers && !p->stopping; i++) {
		if (p->w[i].pid || now < p->w[i].respawn_at)
			continue;
		if (spawn(p, i))
			p->w[i].respawn_at = now + 1;
		else
			stats_add(&p->stats->worker_restarts, 1);
	}
}

static int workers_alive(const struct parent *p)
{
	int n = 0;

	for (int i = 0; i < p->nworkers; i++)
		n += p->w[i].pid > 0;
	return n;
}

/* --- resting a listener --------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * accept() on what: 1 when errno means "try again now" (nothing to take, a
 * signal, a client that left), 0 after a real failure such as EMFILE: the
 * connection stays queued and the listener readable, so poll() would return
 * at once forever. The listener rests ACCEPT_PAUSE_MS; the failure is logged
 * once a minute at most.
 */
static int accept_failed(struct rest *r, const char *what)
{
	int64_t now;

	if (errno == EINTR || errno == ECONNABORTED)
		return 1;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	now = now_ms();
	r->until = now + ACCEPT_PAUSE_MS;
	if (!r->said || now - r->said >= ACCEPT_SAY_MS) {
		log_warn("%s: accept: %s; retrying every %d ms", what, strerror(errno), ACCEPT_PAUSE_MS);
		r->said = now;
	}
	return 0;
}

/* The listener's descriptor for poll(), -1 while it rests; *timeout shrinks to its wake-up. */
static int rest_poll_fd(const struct rest *r, int fd, int64_t now, int *timeout)
{
	if (fd < 0 || now >= r->until)
		return fd;
	if (r->until - now < *timeout)
		*timeout = (int)(r->until - now);
	return -1;
}

/* --- notify listener ---------------------------------------------------------- */

static int notify_line(void *arg, const char *line, size_t len, int too_long)
{
	struct parent *p = arg;
	struct joke j;
	char err[128];

	if (too_long) {
		stats_add(&p->stats->notify_rejected, 1);
		log_warn("notify: dropped a line longer than %d bytes", NOTIFY_LINE_MAX - 1);
		return 0;
	}
	if (joke_parse_line(line, len, &j, err, sizeof(err))) {
		stats_add(&p->stats->notify_rejected, 1);
		log_warn("notify: dropped a bad line: %s", err);
		return 0;
	}
	stats_add(&p->stats->notifies, 1);
	log_debug("notify: joke %lld", (long long)j.id);
	send_all(p, WORKER_CMD_NOTIFY);
	return 0;
}

static void nconn_close(struct parent *p, struct nconn *c, const char *why)
{
	if (linebuf_pending(&c->lb)) {
		stats_add(&p->stats->notify_rejected, 1);
		log_warn("notify: dropped an unfinished line (%s)", why);
	}
	linebuf_free(&c->lb);
	close(c->fd);
	c->fd = -1;
}

static void notify_accept(struct parent *p)
{
	for (;;) {
		int fd = accept4(p->notify_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int i;

		if (fd < 0) {
			if (accept_failed(&p->notify_rest, "notify"))
				continue;
			return;
		}
		for (i = 0; i < NOTIFY_CONNS && p->nc[i].fd >= 0; i++)
			;
		if (i == NOTIFY_CONNS) {
			log_warn("notify: more than %d connections at once; closing one", NOTIFY_CONNS);
			close(fd);
			continue;
		}
		p->nc[i].fd = fd;
		p->nc[i].last = time(NULL);
		linebuf_init(&p->nc[i].lb, NOTIFY_LINE_MAX);
	}
}

static void notify_read(struct parent *p, struct nconn *c)
{
	char buf[4096];
	ssize_t n = read(c->fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		nconn_close(p, c, "no newline before the end");
		return;
	}
	c->last = time(NULL);
	if (linebuf_feed(&c->lb, buf, (size_t)n, notify_line, p) < 0)
		nconn_close(p, c, "out of memory");
}

/* --- metrics listener ---------------------------------------------------------- */

static void http_reply(int fd, int code, const char *reason, const char *type, const char *body,
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

static void metrics_answer(struct parent *p, struct mconn *c)
{
	static char body[16384];
	const char *text = "text/plain; charset=utf-8";
	int head = !strncmp(c->req, "HEAD ", 5);

	if (strncmp(c->req, "GET ", 4) && !head) {
		http_reply(c->fd, 405, "Method Not Allowed", text, "method not allowed\n", 19);
	} else if (!strncmp(c->req + 4 + head, "/healthz ", 9)) {
		if (workers_alive(p) && !p->stopping)
			http_reply(c->fd, 200, "OK", text, "ok\n", head ? 0 : 3);
		else
			http_reply(c->fd, 503, "Service Unavailable", text, "unavailable\n", head ? 0 : 12);
	} else if (!strncmp(c->req + 4 + head, "/metrics ", 9)) {
		int n = stats_render(p->stats, p->nworkers, body, sizeof(body));
		if (n < 0)
			http_reply(c->fd, 500, "Internal Server Error", text, "too many metrics\n", 17);
		else
			http_reply(c->fd, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body,
				   head ? 0 : (size_t)n);
	} else {
		http_reply(c->fd, 404, "Not Found", text, "not found\n", 10);
	}
	close(c->fd);
	c->fd = -1;
}

static void metrics_accept(struct parent *p)
{
	for (;;) {
		int fd = accept4(p->metrics_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int i;

		if (fd < 0) {
			if (accept_failed(&p->metrics_rest, "metrics"))
				continue;
			return;
		}
		for (i = 0; i < METRICS_CONNS && p->mc[i].fd >= 0; i++)
			;
		if (i == METRICS_CONNS) {
			close(fd);
			continue;
		}
		p->mc[i].fd = fd;
		p->mc[i].len = 0;
		p->mc[i].since = time(NULL);
	}
}

static void metrics_read(struct parent *p, struct mconn *c)
{
	ssize_t n = read(c->fd, c->req + c->len, sizeof(c->req) - 1 - c->len);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close(c->fd);
		c->fd = -1;
		return;
	}
	c->len += (size_t)n;
	c->req[c->len] = '\0';
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n")) {
		metrics_answer(p, c);
	} else if (c->len == sizeof(c->req) - 1) {
		http_reply(c->fd, 431, "Request Header Fields Too Large", "text/plain", "", 0);
		close(c->fd);
		c->fd = -1;
	}
}

/* --- the loop ------------------------------------------------------------------ */

static void on_signals(struct parent *p)
{
	unsigned char sigs[32];
	ssize_t n = read(sig_pipe[0], sigs, sizeof(sigs));

	for (ssize_t i = 0; i < n; i++) {
		if (sigs[i] == SIGCHLD) {
			reap(p);
		} else if (sigs[i] == SIGHUP) {
			long asked;
			int rc = reload_config(p->cfg, p->ring_slack, &asked);

			if (rc == RELOAD_FAILED) {
				log_warn("SIGHUP: the configuration has errors; keeping the old one");
				continue;
			}
			if (rc == RELOAD_KEPT_BACKLOG)
				log_warn("SIGHUP: pushd_max_backlog = %ld is more than the %ld the replay "
					 "ring was made for at start; keeping %ld until a restart",
					 asked, p->ring_slack, p->cfg->pushd_max_backlog);
			log_set_level(p->cfg->log_level);
			log_info("SIGHUP: configuration reloaded");
			send_all(p, WORKER_CMD_RELOAD);
		} else if (!p->stopping) {
			log_info("%s: closing clients and stopping", sigs[i] == SIGINT ? "SIGINT" : "SIGTERM");
			p->stopping = 1;
			p->stop_deadline = time(NULL) + STOP_WAIT_SECS;
			send_all(p, WORKER_CMD_STOP);
		}
	}
}

static void housekeeping(struct parent *p)
{
	time_t now = time(NULL);

	for (int i = 0; i < NOTIFY_CONNS; i++)
		if (p->nc[i].fd >= 0 && now - p->nc[i].last > NOTIFY_IDLE_SECS)
			nconn_close(p, &p->nc[i], "idle too long");
	for (int i = 0; i < METRICS_CONNS; i++)
		if (p->mc[i].fd >= 0 && now - p->mc[i].since > METRICS_IDLE_SECS) {
			close(p->mc[i].fd);
			p->mc[i].fd = -1;
		}
	respawn_due(p);
}

/* What one entry of the poll() array stands for. */
enum pkind { PK_SIG, PK_NOTIFY, PK_METRICS, PK_NCONN, PK_MCONN, PK_WORKER };

struct pset {
	struct pollfd fd[3 + NOTIFY_CONNS + METRICS_CONNS + STATS_WORKERS_MAX];
	struct {
		enum pkind kind;
		int i;
	} of[3 + NOTIFY_CONNS + METRICS_CONNS + STATS_WORKERS_MAX];
	int n;
};

/*
 * Only open descriptors go into the array: poll() refuses (EINVAL) an array
 * longer than RLIMIT_NOFILE, even of -1 entries, and the loop would spin.
 */
static void pset_add(struct pset *ps, int fd, short events, enum pkind kind, int i)
{
	if (fd < 0)
		return;
	ps->fd[ps->n] = (struct pollfd){fd, events, 0};
	ps->of[ps->n].kind = kind;
	ps->of[ps->n].i = i;
	ps->n++;
}

/* Handle one ready entry; the descriptor is checked again, an earlier handler may have closed it. */
static void pset_handle(struct parent *p, const struct pset *ps, int k)
{
	int fd = ps->fd[k].fd, i = ps->of[k].i;

	switch (ps->of[k].kind) {
	case PK_SIG:
		on_signals(p);
		break;
	case PK_NOTIFY:
		if (!p->stopping)
			notify_accept(p);
		break;
	case PK_METRICS:
		metrics_accept(p);
		break;
	case PK_NCONN:
		if (p->nc[i].fd == fd)
			notify_read(p, &p->nc[i]);
		break;
	case PK_MCONN:
		if (p->mc[i].fd == fd)
			metrics_read(p, &p->mc[i]);
		break;
	case PK_WORKER:
		if (p->w[i].pid > 0 && p->w[i].fd == fd)
			flush_worker(p, i);
		break;
	}
}

static void loop_once(struct parent *p)
{
	static struct pset ps;
	int64_t now = now_ms();
	int timeout = 1000;

	ps.n = 0;
	pset_add(&ps, sig_pipe[0], POLLIN, PK_SIG, 0);
	if (!p->stopping)
		pset_add(&ps, rest_poll_fd(&p->notify_rest, p->notify_fd, now, &timeout), POLLIN,
			 PK_NOTIFY, 0);
	pset_add(&ps, rest_poll_fd(&p->metrics_rest, p->metrics_fd, now, &timeout), POLLIN,
		 PK_METRICS, 0);
	for (int i = 0; i < NOTIFY_CONNS; i++)
		pset_add(&ps, p->nc[i].fd, POLLIN, PK_NCONN, i);
	for (int i = 0; i < METRICS_CONNS; i++)
		pset_add(&ps, p->mc[i].fd, POLLIN, PK_MCONN, i);
	for (int i = 0; i < p->nworkers; i++)
		if (cmdq_pending(&p->w[i].q))
			pset_add(&ps, p->w[i].fd, POLLOUT, PK_WORKER, i);
	if (poll(ps.fd, (nfds_t)ps.n, timeout) < 0) {
		if (errno == EINTR)
			return;
		/* cannot happen with open descriptors only; do not spin if it does */
		if (!p->poll_failed++)
			log_error("poll: %s", strerror(errno));
		nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
		return;
	}
	for (int k = 0; k < ps.n; k++)
		if (ps.fd[k].revents)
			pset_handle(p, &ps, k);
	housekeeping(p);
}

/* --- start and stop ------------------------------------------------------------- */

static int workers_wanted(const struct config *cfg)
{
	long n = cfg->pushd_workers;

	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > STATS_WORKERS_MAX ? STATS_WORKERS_MAX : (int)n;
}

/* The notify socket, the WebSocket listener(s) and the metrics listener. 0 or an exit code. */
static int open_sockets(struct parent *p)
{
	const char *path;
	int ex = 0;

	p->notify_fd = sock_unix_listen(p->cfg->notify_socket, p->cfg->pushd_socket_group, &ex);
	if (p->notify_fd < 0)
		return ex;
	snprintf(p->notify_path, sizeof(p->notify_path), "%s", p->cfg->notify_socket);
	if (sock_is_unix(p->cfg->pushd_listen, &path)) {
		int fd = sock_unix_listen(path, p->cfg->pushd_socket_group, &ex);
		if (fd < 0)
			return ex;
		snprintf(p->ws_path, sizeof(p->ws_path), "%s", path);
		for (int i = 0; i < p->nworkers; i++)
			p->w[i].listen_fd = fd;
	} else {
		/* one SO_REUSEPORT listener per worker: the kernel spreads the clients */
		for (int i = 0; i < p->nworkers; i++) {
			p->w[i].listen_fd = sock_tcp_listen(p->cfg->pushd_listen, 1, &ex);
			if (p->w[i].listen_fd < 0)
				return ex;
		}
	}
	if (p->cfg->pushd_metrics_listen[0]) {
		p->metrics_fd = sock_tcp_listen(p->cfg->pushd_metrics_listen, 0, &ex);
		if (p->metrics_fd < 0)
			return ex;
	}
	return 0;
}

static void cleanup(struct parent *p, int sockets_ours)
{
	for (int i = 0; i < p->nworkers; i++)
		if (p->w[i].pid > 0)
			kill(p->w[i].pid, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;
	if (!sockets_ours)
		return;
	if (p->notify_path[0])
		unlink(p->notify_path);
	if (p->ws_path[0])
		unlink(p->ws_path);
}

int parent_run(struct config *cfg)
{
	static struct parent p; /* large (notify buffers are allocated lazily); one per process */
	int ex;

	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.nworkers = workers_wanted(cfg);
	p.ring_slack = cfg->pushd_max_backlog;
	p.notify_fd = p.metrics_fd = -1;
	for (int i = 0; i < STATS_WORKERS_MAX; i++)
		p.w[i].listen_fd = p.w[i].fd = -1;
	for (int i = 0; i < NOTIFY_CONNS; i++)
		p.nc[i].fd = -1;
	for (int i = 0; i < METRICS_CONNS; i++)
		p.mc[i].fd = -1;
	p.stats = stats_create();
	if (!p.stats || signals_init())
		return EX_OSERR;
	ex = open_sockets(&p);
	if (ex) {
		cleanup(&p, 1);
		return ex;
	}
	stats_set(&p.stats->started, time(NULL));
	stats_set(&p.stats->workers, p.nworkers);
	for (int i = 0; i < p.nworkers; i++)
		if (spawn(&p, i)) {
			log_error("cannot start worker %d: %s", i, strerror(errno));
			p.stopping = 1;
			cleanup(&p, 1);
			return EX_OSERR;
		}
	log_info("serving WebSocket on %s with %d worker(s); notify on %s%s%s", cfg->pushd_listen,
		 p.nworkers, cfg->notify_socket, cfg->pushd_metrics_listen[0] ? "; metrics on " : "",
		 cfg->pushd_metrics_listen);
	while (!p.stopping || (workers_alive(&p) && time(NULL) < p.stop_deadline))
		loop_once(&p);
	cleanup(&p, 1);
	log_info("stopped");
	return 0;
}
