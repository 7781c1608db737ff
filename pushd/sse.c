/* sse.c - the event stream, GET /sse/jokes/ as Server-Sent Events (see sse.h). */
#include "sse.h"

#include "clients.h"
#include "log.h"
#include "loop.h"
#include "request.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define LAST_EVENT_ID "last-event-id:" /* lws keeps an unknown header's name lowercase, with ':' */
#define HEARTBEAT ":\n\n"
#define HEAD_MAX 512

static int is_stream_path(const char *uri, size_t len)
{
	return (len == strlen(SSE_PATH) && !strncmp(uri, SSE_PATH, len)) ||
	       (len == strlen(SSE_PATH) - 1 && !strncmp(uri, SSE_PATH, len));
}

/*
 * The Last-Event-ID header: 1 parsed into *id, 0 absent, -1 malformed. lws
 * 4.1.6 has no way to show more than the first of a repeated unknown header,
 * so of two Last-Event-ID lines the first counts (the man page says so).
 */
static int last_event_id(struct lws *wsi, int64_t *id)
{
	char v[32];
	int n = lws_hdr_custom_length(wsi, LAST_EVENT_ID, (int)strlen(LAST_EVENT_ID));

	if (n < 0)
		return 0;
	if (n >= (int)sizeof(v) ||
	    lws_hdr_custom_copy(wsi, v, sizeof(v), LAST_EVENT_ID, (int)strlen(LAST_EVENT_ID)) < 0)
		return -1;
	return request_parse_id(v, id) ? -1 : 1;
}

/* Where the stream starts: Last-Event-ID, else ?since=, else live. 0, or -1 malformed. */
static int resume_point(struct lws *wsi, struct pss *p)
{
	int64_t id;
	int since = request_since(wsi, &p->since);
	int header = last_event_id(wsi, &id);

	if (since < 0 || header < 0)
		return -1;
	if (header)
		p->since = id;
	p->has_since = header || since;
	return 0;
}

/* The response head and the retry: hint, in one write. 0, or -1 when it did not go out. */
static int send_head(struct lws *wsi)
{
	unsigned char buf[LWS_PRE + HEAD_MAX], *start = buf + LWS_PRE, *q = start;
	unsigned char *end = buf + sizeof(buf);
	int n;

	if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "text/event-stream",
					LWS_ILLEGAL_HTTP_CONTENT_LEN, &q, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					(const unsigned char *)"no-store", 8, &q, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"x-accel-buffering:",
					(const unsigned char *)"no", 2, &q, end) ||
	    lws_finalize_http_header(wsi, &q, end))
		return -1;
	n = snprintf((char *)q, (size_t)(end - q), "retry: %d\n\n", SSE_RETRY_MS);
	if (n < 0 || n >= end - q)
		return -1;
	q += n;
	n = (int)(q - start);
	return lws_write(wsi, start, (size_t)n, LWS_WRITE_HTTP_HEADERS) < n ? -1 : 0;
}

/* LWS_CALLBACK_HTTP: check the request, answer the head, join the clients. */
static int sse_start(struct worker *w, struct lws *wsi, struct pss *p, const char *uri,
		     size_t len)
{
	char why[REQUEST_WHY_MAX];
	unsigned mask;

	if (w->stopping)
		return request_refuse(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, &w->st->refused_limit);
	if (!uri || !is_stream_path(uri, len))
		return request_refuse(wsi, HTTP_STATUS_NOT_FOUND, NULL);
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0)
		return request_refuse(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, NULL);
	/* a same-origin EventSource sends no Origin, and the stream is read-only */
	if (request_origin(w, wsi, 1))
		return 1;
	if (resume_point(wsi, p))
		return request_refuse(wsi, HTTP_STATUS_BAD_REQUEST, NULL);
	if (request_category(wsi, &mask, why, sizeof(why)) < 0)
		return request_refuse_why(wsi, HTTP_STATUS_BAD_REQUEST, &w->st->refused_category, why);
	p->mask = mask & CATEGORY_ALL;
	if (request_count(w, wsi, p))
		return 1;
	if (send_head(wsi))
		return 1; /* CLOSED_HTTP uncounts it */
	/*
	 * A stream, not a transaction: free the headers and drop the timeout
	 * (what lws_http_mark_sse() does for h1, without its error line about
	 * h2), and stop watching for input until there is something to send
	 * (sse_wake); clients_add() wakes it for a replay.
	 */
	lws_http_headers_detach(wsi);
	lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
	if (!lws_partial_buffered(wsi))
		lws_rx_flow_control(wsi, 0);
	p->sse = 1;
	clients_add(w, wsi, p);
	return 0;
}

/* One write per WRITEABLE: the heartbeat or the gap notice first, then ring entries in order. */
static int sse_writeable(struct worker *w, struct lws *wsi, struct pss *p)
{
	if (!p->sse)
		return -1;
	if (p->close_code)
		return -1; /* the end of the stream: lws closes once what it holds is sent */
	if (p->ping_due) {
		unsigned char hb[LWS_PRE + sizeof(HEARTBEAT)];

		memcpy(hb + LWS_PRE, HEARTBEAT, sizeof(HEARTBEAT));
		p->ping_due = 0;
		if (lws_write(wsi, hb + LWS_PRE, strlen(HEARTBEAT), LWS_WRITE_HTTP) <
		    (int)strlen(HEARTBEAT))
			return -1;
	} else if (clients_write_next(w, p)) {
		return -1;
	}
	if (p->seq < w->ring.head || p->gap_pending)
		lws_callback_on_writable(wsi);
	else if (!lws_partial_buffered(wsi)) /* lws sends the rest itself, through the input handler */
		lws_rx_flow_control(wsi, 0); /* applied when this callback returns */
	return 0;
}

void sse_wake(struct pss *p)
{
	lws_rx_flow_control(p->wsi, 1);
	lws_callback_on_writable(p->wsi);
}

void sse_keepalive(struct pss *p, lws_usec_t now)
{
	char c;
	ssize_t n = recv(lws_get_socket_fd(p->wsi), &c, 1, MSG_PEEK | MSG_DONTWAIT);

	if (!n || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		p->close_code = -1;
		lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return;
	}
	p->alive_at = now;
	p->ping_due = 1;
	sse_wake(p);
}

int sse_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		 size_t len)
{
	struct worker *w = worker_of(wsi);
	struct pss *p = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return p ? sse_start(w, wsi, p, in, len) : 1;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return request_confirm_upgrade(wsi, in);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return p ? sse_writeable(w, wsi, p) : -1;
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (p) {
			clients_remove(w, p);
			if (w->stopping && !w->nclients)
				loop_finish(w);
		}
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}
