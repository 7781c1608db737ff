/* clients.h - one worker's clients, WebSocket and event stream alike: the list,
 * the broadcast of ring entries, slow-client judging, keepalive and closing.
 *
 * The list holds established clients only. Walks over it are O(clients): one
 * per batch of new jokes (each client needs a write anyway) and one per
 * keepalive tick; nothing here walks the worker's descriptors.
 */
#ifndef PUSHD_CLIENTS_H
#define PUSHD_CLIENTS_H

#include "wstate.h"

/* p is established: link it, start it at the ring head or its ?since=. */
void clients_add(struct worker *w, struct lws *wsi, struct pss *p);

/* p is closing (established or not): unlink and uncount it. Idempotent. */
void clients_remove(struct worker *w, struct pss *p);

/* Close p with code at its next write (once); a choked one is dropped a moment later. */
void clients_close(struct worker *w, struct pss *p, int code);

/*
 * The ring was warmed after clients came (the Redis source, connected late): start each
 * again as if it came now, so one that gave ?since= gets what is after it (and the gap
 * notice) and one that did not gets no history as live jokes. O(clients), once.
 */
void clients_reseat(struct worker *w);

/*
 * Jokes since + 1 .. oldest - 1 will never come (trimmed from the Redis stream before they
 * were read): each client that has every joke up to since gets the gap message
 * {"since":since,"oldest":oldest} before the next joke (the page fills the gap from the JSON
 * API); one still behind is closed with 1001 and reconnects with its ?since=.
 */
void clients_hole(struct worker *w, int64_t since, int64_t oldest);

/* Close every client: 1001 "going away", an event stream's end. */
void clients_close_all(struct worker *w);

/*
 * The ring entry p sends next (NULL: none yet), past any with an id not above its ?since=:
 * a client that came before a late warm-up may be seated before jokes it already has.
 */
const struct ring_entry *clients_next(struct worker *w, struct pss *p);

/*
 * Send payload now: a text frame, or to an event stream the bytes as they are
 * (payload needs LWS_PRE bytes of headroom either way). 0, or -1 when the
 * socket did not take it.
 */
int clients_send(struct worker *w, struct pss *p, unsigned char *payload, size_t len);

/*
 * Send a ring entry in p's form: an event through lws, a WebSocket frame (built once in
 * the ring) with pushd's own send() (clients.c). Only when lws holds nothing of an earlier
 * write. 0, or -1 when the connection failed.
 */
int clients_send_entry(struct worker *w, struct pss *p, const struct ring_entry *e);

/* Send a WebSocket ping (with a one-byte payload). 0, or -1 when the socket did not take it. */
int clients_ping(struct pss *p);

/*
 * Write what p is owed next, in order: the gap notice (a WebSocket message or an
 * event), else its next ring entry; a ping, heartbeat or close is the caller's.
 * 0 (written, or nothing to write), -1 the socket did not take it.
 */
int clients_write_next(struct worker *w, struct pss *p);

/*
 * After new jokes: write each client's next frame when it can go at once, ask
 * for WRITEABLE for the rest, close the slow ones; note the slowest served
 * client (w->min_seq) and whether one is behind (w->watching).
 */
void clients_scan(struct worker *w);

/*
 * Ping the idle, drop those that did not answer in time; give an idle event
 * stream its heartbeat, and drop one whose client has hung up (sse.h).
 */
void clients_keepalive(struct worker *w);

#endif
