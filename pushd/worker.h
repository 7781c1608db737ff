/* worker.h - one jokes-pushd worker process: libwebsockets on the worker's own
 * libuv loop (loop.h) accepts WebSocket clients on the listener it was given;
 * the worker keeps its own replay ring fed from the joke source and broadcasts
 * each new joke to its clients. Signals go to the parent only.
 *
 * The parent talks to it over one stream socket, one byte per command:
 * 'n' new joke(s) may be in the database, 'h' reload the config, 't' stop
 * (close clients with 1001). End of file means the parent died: stop too.
 * Reload and stop always arrive; several wake-ups may arrive as one (cmdq.h).
 */
#ifndef PUSHD_WORKER_H
#define PUSHD_WORKER_H

#include "config.h"
#include "stats.h"

#define WORKER_CMD_NOTIFY 'n'
#define WORKER_CMD_RELOAD 'h'
#define WORKER_CMD_STOP 't'

struct worker_args {
	int index;
	int listen_fd; /* non-blocking listening socket (TCP or Unix) */
	int relay_fd;  /* the worker's end of the command socket */
	long ring_slack; /* the ring's room beyond the replay window: pushd_max_backlog at start */
	struct config *cfg;
	struct stats *stats;
};

/* Run until told to stop. Returns the process exit code. */
int worker_run(const struct worker_args *a);

#endif
