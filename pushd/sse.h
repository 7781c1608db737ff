/* sse.h - the event stream: GET /sse/jokes/ served as Server-Sent Events.
 *
 * It rides lws's plain HTTP path (the "http" protocol, protocols[0]) on the
 * same listener and workers as the WebSocket, and its clients are the
 * workers' clients like any other (clients.h): the same ring, replay, gap,
 * limit, cull and shutdown. Each joke goes out as the event the ring built
 * for it ("id: ID\nevent: joke\ndata: JSON\n\n"); the gap notice as
 * "event: gap"; an idle stream gets a comment line at the ping interval.
 * Resume from Last-Event-ID (what a browser sends when it reconnects) or
 * ?since=ID; when both are there the header wins.
 */
#ifndef PUSHD_SSE_H
#define PUSHD_SSE_H

#include "joke.h"
#include "wstate.h"

#define SSE_PATH "/sse/jokes/"
#define SSE_RETRY_MS 3000 /* the retry: hint: how long a browser waits to reconnect */
/* the largest write: a whole notify line's record in an event, with its id: and event: lines */
#define SSE_TX_MAX (NOTIFY_LINE_MAX + 128)

/* protocols[0]'s callback: every plain HTTP request; anything but the stream is refused. */
int sse_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		 size_t len);

/*
 * Ask for p's WRITEABLE callback. lws 4.1.6 serves an h1 connection's
 * writability only while it also watches it for input, and it reads nothing
 * while it answers a request: a hang-up left watched woke the loop for
 * nothing (~10 000 epoll_wait a second per hung-up stream, one worker, until
 * a write failed). So an event stream is watched for input only while it has
 * something to send (this call), and not while idle (its WRITEABLE callback
 * turns that off again).
 */
void sse_wake(struct pss *p);

/*
 * p (an event stream) has been idle for the ping interval: queue its
 * heartbeat, or drop it when its client has hung up. lws does not read an
 * HTTP connection while it answers a request, so a hang-up shows here, not
 * as a read: at most a ping interval late.
 */
void sse_keepalive(struct pss *p, lws_usec_t now);

#endif
