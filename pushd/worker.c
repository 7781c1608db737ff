/* worker.c - a jokes-pushd worker process: start, the parent's commands, stop and reload. */
#include "worker.h"

#include "clients.h"
#include "log.h"
#include "loop.h"
#include "reload.h"
#include "wstate.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sysexits.h>
#include <unistd.h>

struct worker *worker_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

static void worker_stop(struct worker *w)
{
	if (w->stopping)
		return;
	w->stopping = 1;
	log_debug("worker %d: stopping, %lld client(s)", w->a->index, (long long)w->nclients);
	clients_close_all(w);
	if (!w->nclients)
		loop_finish(w);
	else
		loop_stop_later(w);
}

static void worker_reload(struct worker *w)
{
	/* a refused pushd_max_backlog is logged once, by the parent */
	if (reload_config(w->cfg, w->a->ring_slack, NULL) == RELOAD_FAILED) {
		log_warn("worker %d: reload failed; keeping the old configuration", w->a->index);
		return;
	}
	log_set_level(w->cfg->log_level);
	loop_keepalive_reset(w); /* the tick reads the ping times each run */
}

void worker_relay_rx(struct worker *w, int fd)
{
	char cmd[64];
	ssize_t n = read(fd, cmd, sizeof(cmd));
	int notify = 0;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		/*
		 * The parent died without telling us (SIGKILL): leave at once. Closing
		 * this descriptor through lws 4.1.6 was seen to spin on recv(fd, 0).
		 */
		log_warn("worker %d: parent gone; exiting", w->a->index);
		_exit(EX_UNAVAILABLE);
	}
	for (ssize_t i = 0; i < n; i++) {
		if (cmd[i] == WORKER_CMD_NOTIFY)
			notify = 1;
		else if (cmd[i] == WORKER_CMD_RELOAD)
			worker_reload(w);
		else if (cmd[i] == WORKER_CMD_STOP)
			worker_stop(w);
	}
	if (notify)
		loop_refill(w);
}

/* The source's news, from the loop outside lws's callbacks (source.h). */
static void on_source(void *arg, enum source_event ev, int64_t since, int64_t oldest)
{
	struct worker *w = arg;

	if (ev == SOURCE_WARMED)
		clients_reseat(w);
	else if (ev == SOURCE_HOLE)
		clients_hole(w, since, oldest);
	else
		/*
		 * Refill inside an lws callback (LWS_CALLBACK_EVENT_WAIT_CANCELLED, proto.c), as a
		 * notify is: lws re-arms its timer only after its own callbacks, so the writes and
		 * timeouts of the broadcast keep their times.
		 */
		lws_cancel_service(w->ctx);
}

int worker_run(const struct worker_args *a)
{
	struct worker w;
	int ex = 0;

	memset(&w, 0, sizeof(w));
	w.a = a;
	w.cfg = a->cfg;
	w.st = &a->stats->w[a->index];
	w.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* the parent turns signals into commands on the socket (worker.h) */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the parent */
	if (getppid() == 1)
		return EX_UNAVAILABLE;
	loop_log_init(w.cfg->log_level);
	source_init(&w.src, a->cfg, a->index, w.st);
	if (ring_init(&w.ring, (size_t)a->cfg->pushd_ring_size, (size_t)a->ring_slack) ||
	    loop_open(&w) || source_start(&w.src, &w.loop, &w.ring, on_source, &w)) {
		log_error("worker %d: cannot start the event loop", a->index);
		ex = EX_SOFTWARE;
	} else {
		loop_run(&w);
	}
	source_stop(&w.src); /* its handles close with lws's in loop_close */
	if (loop_close(&w) && !ex)
		ex = EX_SOFTWARE;
	ring_free(&w.ring);
	source_close(&w.src);
	return ex;
}
