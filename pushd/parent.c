/* parent.c - the parent's loop: signals, sockets, worker supervision (see parent.h). */
#include "parent.h"

#include "cmdq.h"
#include "log.h"
#include "metrics_http.h"
#include "notify_in.h"
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define STOP_WAIT_SECS 6

struct wslot {
	pid_t pid;     /* 0 when not running */
	int fd;	       /* parent's end of the command socket */
	int listen_fd; /* this worker's listener (the same fd for all in Unix mode) */
	time_t started, respawn_at;
	struct cmdq q; /* commands the socket could not take yet */
};

struct parent {
	struct config *cfg;
	struct stats *stats;
	int nworkers;
	struct wslot w[STATS_WORKERS_MAX];
	struct notify_in notify;
	struct metrics_http metrics;
	/* the socket files bound at start: a reload may name others, these are ours to remove */
	char notify_path[CONFIG_PATH_MAX], ws_path[CONFIG_PATH_MAX];
	struct stat notify_st; /* the notify socket file as bound: gone or replaced, bind again */
	time_t notify_checked;
	long ring_slack; /* pushd_max_backlog at start: what every worker's ring is made for */
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
	notify_in_close_all(&p->notify);
	metrics_http_close_all(&p->metrics);
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
	stats_set(&st->redis_up, 0);
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

/* The notify socket's group: its own key, else the one of both sockets. */
static const char *notify_group(const struct config *cfg)
{
	return cfg->pushd_notify_group[0] ? cfg->pushd_notify_group : cfg->pushd_socket_group;
}

/*
 * Once a second: the notify socket file still the one bound? Removed (a cleanup script, a
 * tmpfiles run) it would leave every fetch's notify failing until a restart, so bind a new
 * one at the path; one that another process bound there is left alone (said once).
 */
static void notify_watch(struct parent *p, time_t now)
{
	struct stat st;
	int ex = 0, fd;

	if (!p->notify_path[0] || p->stopping || now == p->notify_checked)
		return;
	p->notify_checked = now;
	if (stat(p->notify_path, &st) == 0 && st.st_ino == p->notify_st.st_ino &&
	    st.st_dev == p->notify_st.st_dev)
		return;
	fd = sock_unix_listen(p->notify_path, notify_group(p->cfg), &ex);
	if (fd < 0) {
		if (p->notify_st.st_ino) /* said once, until a bind works again */
			log_error("notify socket %s is gone and cannot be bound again; fetches will"
				  " not wake jokes-pushd (it reads every pushd_poll_secs)",
				  p->notify_path);
		p->notify_st.st_ino = 0;
		return;
	}
	log_warn("notify socket %s was removed or replaced; listening on a new one", p->notify_path);
	if (p->notify.l.fd >= 0)
		close(p->notify.l.fd);
	p->notify.l.fd = fd;
	(void)stat(p->notify_path, &p->notify_st);
}

static void housekeeping(struct parent *p)
{
	time_t now = time(NULL);

	notify_watch(p, now);
	notify_in_expire(&p->notify, now);
	metrics_http_expire(&p->metrics, now);
	respawn_due(p);
}

/* A valid notify line: wake every worker. */
static void on_joke(void *arg)
{
	send_all(arg, WORKER_CMD_NOTIFY);
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
			listener_accept(&p->notify.l, notify_in_take, &p->notify);
		break;
	case PK_METRICS:
		listener_accept(&p->metrics.l, metrics_http_take, &p->metrics);
		break;
	case PK_NCONN:
		if (p->notify.c[i].fd == fd)
			notify_in_read(&p->notify, i);
		break;
	case PK_MCONN:
		if (p->metrics.c[i].fd == fd)
			metrics_http_read(&p->metrics, i, workers_alive(p) && !p->stopping, p->stats,
					  p->nworkers);
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
	int64_t now = listener_now_ms();
	int timeout = 1000;

	ps.n = 0;
	pset_add(&ps, sig_pipe[0], POLLIN, PK_SIG, 0);
	if (!p->stopping)
		pset_add(&ps, listener_poll_fd(&p->notify.l, now, &timeout), POLLIN, PK_NOTIFY, 0);
	pset_add(&ps, listener_poll_fd(&p->metrics.l, now, &timeout), POLLIN, PK_METRICS, 0);
	for (int i = 0; i < NOTIFY_CONNS; i++)
		pset_add(&ps, notify_in_poll_fd(&p->notify, i, time(NULL)), POLLIN, PK_NCONN, i);
	for (int i = 0; i < METRICS_CONNS; i++)
		pset_add(&ps, p->metrics.c[i].fd, POLLIN, PK_MCONN, i);
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

	/* the Redis source needs no notify: its workers follow the stream themselves */
	if (p->cfg->pushd_source != CONFIG_SOURCE_REDIS) {
		p->notify.l.fd = sock_unix_listen(p->cfg->notify_socket, notify_group(p->cfg), &ex);
		if (p->notify.l.fd < 0)
			return ex;
		snprintf(p->notify_path, sizeof(p->notify_path), "%s", p->cfg->notify_socket);
		(void)stat(p->notify_path, &p->notify_st);
	}
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
		p->metrics.l.fd = sock_tcp_listen(p->cfg->pushd_metrics_listen, 0, &ex);
		if (p->metrics.l.fd < 0)
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
	for (int i = 0; i < STATS_WORKERS_MAX; i++)
		p.w[i].listen_fd = p.w[i].fd = -1;
	p.stats = stats_create();
	if (!p.stats || signals_init())
		return EX_OSERR;
	notify_in_init(&p.notify, -1, p.stats, on_joke, &p);
	metrics_http_init(&p.metrics, -1);
	ex = open_sockets(&p);
	if (ex) {
		cleanup(&p, 1);
		return ex;
	}
	stats_set(&p.stats->started, time(NULL));
	stats_set(&p.stats->workers, p.nworkers);
	stats_set(&p.stats->source_redis, cfg->pushd_source == CONFIG_SOURCE_REDIS);
	for (int i = 0; i < p.nworkers; i++)
		if (spawn(&p, i)) {
			log_error("cannot start worker %d: %s", i, strerror(errno));
			p.stopping = 1;
			cleanup(&p, 1);
			return EX_OSERR;
		}
	if (cfg->pushd_source == CONFIG_SOURCE_REDIS)
		log_info("serving WebSocket on %s with %d worker(s); jokes from the Redis stream "
			 "'%s'%s%s", cfg->pushd_listen, p.nworkers, cfg->redis_stream,
			 cfg->pushd_metrics_listen[0] ? "; metrics on " : "", cfg->pushd_metrics_listen);
	else
		log_info("serving WebSocket on %s with %d worker(s); notify on %s%s%s",
			 cfg->pushd_listen, p.nworkers, cfg->notify_socket,
			 cfg->pushd_metrics_listen[0] ? "; metrics on " : "", cfg->pushd_metrics_listen);
	while (!p.stopping || (workers_alive(&p) && time(NULL) < p.stop_deadline))
		loop_once(&p);
	cleanup(&p, 1);
	log_info("stopped");
	return 0;
}
