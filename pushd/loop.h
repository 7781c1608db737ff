/* loop.h - a worker's event loop: libwebsockets on a libuv loop the worker owns,
 * and the worker's timers (ring refill, keepalive, stop grace).
 *
 * lws 4.1.6's own loop poll()s every descriptor of the process and walks them
 * all at each wake-up; on libuv (epoll) a wake-up costs what is ready. lws
 * runs on libuv only when its plugin libwebsockets-evlib_uv.so loads, and
 * silently falls back otherwise: both loop_check() and loop_open() verify it.
 */
#ifndef PUSHD_LOOP_H
#define PUSHD_LOOP_H

#include "wstate.h"

/* Route lws's log lines into ours (errors as warnings, the rest at debug). */
void loop_log_init(int level);

/*
 * Whether lws runs on libuv here: a throwaway context on a throwaway loop.
 * 0, or -1 after one log line.
 */
int loop_check(void);

/*
 * The worker's loop, lws context and vhost on it, the listener and the
 * command socket adopted. 0, or -1 after one log line (loop_close() then
 * releases what was made).
 */
int loop_open(struct worker *w);

/* Warm the ring, start the timers, run until loop_finish(). */
void loop_run(struct worker *w);

/* Take new jokes from the source now (a notify came) and send them. */
void loop_refill(struct worker *w);

/* The ping times changed: run the keepalive at the new pace from now. */
void loop_keepalive_reset(struct worker *w);

/* Stopping: end the loop after the grace period at the latest. */
void loop_stop_later(struct worker *w);

/* End the loop (once all clients are closed, or when the grace is over). */
void loop_finish(struct worker *w);

/*
 * Destroy the lws context and close the loop. lws on a foreign libuv loop
 * closes its handles asynchronously, so the loop runs again until they are
 * closed; then the context is freed. 0, or -1 when handles were left open
 * (logged).
 */
int loop_close(struct worker *w);

#endif
