/* request.h - what the WebSocket upgrade and the event stream check alike in a
 * request: the refusal answer, ?since=, ?category=, an id's syntax, the Origin
 * and the client limit.
 */
#ifndef PUSHD_REQUEST_H
#define PUSHD_REQUEST_H

#include "wstate.h"

#define REQUEST_ID_DIGITS_MAX 18 /* a larger number is refused, never wrapped */

/*
 * Answer with a plain HTTP status and have lws close the connection: always
 * returns 1 (what a callback returns to close). The short answer is written
 * straight to the socket: lws_return_http_status() in 4.1.6 leaves the
 * connection to lws's HTTP keep-alive path, which spins on recv(fd, 0) once
 * the client hangs up. 405 carries "Allow: GET"; a HEAD gets no body. counter
 * (may be NULL) is incremented.
 */
int request_refuse(struct lws *wsi, int status, int64_t *counter);

#define REQUEST_WHY_MAX 256 /* bytes of a refusal's explanation */

/* As request_refuse(), the body "Reason: why" (why may be NULL: the reason alone). */
int request_refuse_why(struct lws *wsi, int status, int64_t *counter, const char *why);

/* An id: 1 to REQUEST_ID_DIGITS_MAX ASCII digits, nothing else. 0 parsed, -1 refused. */
int request_parse_id(const char *v, int64_t *id);

/* ?since=ID: 1 parsed, 0 absent, -1 malformed (refuse with 400). */
int request_since(struct lws *wsi, int64_t *since);

/*
 * ?category=LIST (lib/category.h's list, percent-decoded by lws: "a,b" and "a%2Cb" alike):
 * 1 parsed into *mask, 0 absent (*mask = CATEGORY_ALL), -1 refused (a bad list, the argument
 * given twice, unreadable arguments) with why (size bytes, at most REQUEST_WHY_MAX) naming
 * the known categories: refuse with 400 and why.
 */
int request_category(struct lws *wsi, unsigned *mask, char *why, size_t size);

/*
 * The Origin against Host and pushd_allowed_origins (origin.h); a request
 * without Origin passes when allow_missing. 0 accepted, else refused with 403.
 */
int request_origin(struct worker *w, struct lws *wsi, int allow_missing);

/*
 * LWS_CALLBACK_HTTP_CONFIRM_UPGRADE (delivered to whichever protocol the
 * connection is bound to): lws 4.1.6 takes "Upgrade: h2c" (what curl --http2
 * asks for on http://) and then never serves the request, so it is refused
 * with 400 (returns -1: hang up); anything else goes on (0). An unknown
 * token lws has answered with 403 already.
 */
int request_confirm_upgrade(struct lws *wsi, const char *upgrade);

/* Count p against pushd_max_clients (all workers, both kinds): 0, else refused with 503. */
int request_count(struct worker *w, struct lws *wsi, struct pss *p);

#endif
