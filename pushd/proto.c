/* proto.c - a worker's lws protocols: the WebSocket feed (upgrade filter, writes,
 * receive), the event stream's entry (sse.c) and the raw fds. */
#include "proto.h"

#include "accept.h"
#include "clients.h"
#include "joke.h"
#include "log.h"
#include "loop.h"
#include "request.h"
#include "sse.h"
#include "wstate.h"

#include <string.h>

#define WS_PATH "/ws/jokes/"
#define RX_MAX 1024	 /* a data message up to this size closes with 1003, larger 1009 */

static int filter(struct worker *w, struct lws *wsi, struct pss *p)
{
	char uri[128], why[REQUEST_WHY_MAX];
	unsigned mask;
	int rc;

	if (w->stopping)
		return request_refuse(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, &w->st->refused_limit);
	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
	    (strcmp(uri, WS_PATH) && strcmp(uri, "/ws/jokes")))
		return request_refuse(wsi, HTTP_STATUS_NOT_FOUND, NULL);
	if (request_origin(w, wsi, w->cfg->pushd_allow_no_origin))
		return 1;
	rc = request_since(wsi, &p->since);
	if (rc < 0)
		return request_refuse(wsi, HTTP_STATUS_BAD_REQUEST, NULL);
	p->has_since = rc == 1;
	if (request_category(wsi, &mask, why, sizeof(why)) < 0)
		return request_refuse_why(wsi, HTTP_STATUS_BAD_REQUEST, &w->st->refused_category, why);
	p->mask = mask & CATEGORY_ALL;
	return request_count(w, wsi, p);
}

/* One message per WRITEABLE: the gap notice first, then ring entries in order. */
static int writeable(struct worker *w, struct lws *wsi, struct pss *p)
{
	if (p->close_code < 0)
		return -1;
	if (p->close_code) {
		const char *why = p->close_code == LWS_CLOSE_STATUS_GOINGAWAY ? "going away" : "too slow";

		/* the text only: lws copies exactly len bytes into the frame */
		lws_close_reason(wsi, (enum lws_close_status)p->close_code, (unsigned char *)why,
				 strlen(why));
		/*
		 * Not "return -1": Debian's lws 4.1.6 is built with _DEBUG, and on
		 * libuv it then closes a connection whose callback gave up twice
		 * (service.c, "uv repeat test"); the second close drops it without
		 * the close frame. Started here, the close sends the frame when the
		 * socket is next writable.
		 */
		lws_close_free_wsi(wsi, (enum lws_close_status)p->close_code, "pushd close");
		return 0;
	}
	if (p->ping_due) {
		p->ping_due = 0;
		if (clients_ping(p))
			return -1;
	} else if (clients_write_next(w, p)) {
		return -1;
	}
	if (p->seq < w->ring.head || p->gap_pending)
		lws_callback_on_writable(wsi);
	return 0;
}

/*
 * Clients have nothing to send but pongs and close (handled by lws): any data
 * message closes them, 1009 when it is large, else 1003. This also catches an
 * unmasked data frame, which lws 4.1 itself does not refuse.
 */
static int receive(struct worker *w, struct lws *wsi, size_t len)
{
	int big = len + lws_remaining_packet_payload(wsi) > RX_MAX;

	if (big)
		stats_add(&w->st->too_big, 1);
	log_info("worker %d: client sent a %s message; closing it", w->a->index,
		 big ? "too large" : "data");
	if (big)
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)"too big", 7);
	else
		lws_close_reason(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, (unsigned char *)"no data", 7);
	return -1;
}

static int cb_jokes(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct worker *w = worker_of(wsi);
	struct pss *p = user;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return p ? filter(w, wsi, p) : 1;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return request_confirm_upgrade(wsi, in);
	case LWS_CALLBACK_ESTABLISHED:
		clients_add(w, wsi, p);
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return writeable(w, wsi, p);
	case LWS_CALLBACK_RECEIVE:
		return receive(w, wsi, len);
	case LWS_CALLBACK_RECEIVE_PONG:
		p->alive_at = lws_now_usecs();
		p->ping_out = 0;
		break;
	case LWS_CALLBACK_CLOSED:
		if (p) {
			clients_remove(w, p);
			if (w->stopping && !w->nclients)
				loop_finish(w);
		}
		break;
	default:
		break;
	}
	return 0;
}

/* The listener and the parent's command socket, both adopted as raw files. */
static int cb_raw(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		  size_t len)
{
	struct worker *w = worker_of(wsi);
	int fd = lws_get_socket_fd(wsi);

	(void)user, (void)in, (void)len;
	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED: /* the Redis source has jokes (worker.c) */
		if (w && !w->stopping && w->src.kind == CONFIG_SOURCE_REDIS)
			loop_refill(w);
		break;
	case LWS_CALLBACK_RAW_RX_FILE:
		if (fd == w->a->listen_fd)
			accept_burst(w, fd);
		else
			worker_relay_rx(w, fd);
		break;
	default:
		break;
	}
	return 0;
}

/*
 * The largest message pushd sends: a record of a whole notify line plus "type":"joke", and
 * the frame header. lws 4.1.6 caps each send() at tx_packet_size, or at rx_buffer_size when
 * that is 0: with 128 a 195-byte frame went out as two sends with a poll round between them,
 * a 2 000-byte one as 15. tx_packet_size allocates nothing, so memory per client stays.
 */
#define PUSHD_TX_MAX (NOTIFY_LINE_MAX + 64)

const struct lws_protocols proto_protocols[] = {
	/* plain HTTP: the event stream; same buffer sizes as "jokes", for the same reasons */
	{"http", sse_callback, sizeof(struct pss), 128, 0, NULL, SSE_TX_MAX},
	/* rx_buffer_size 128: lws allocates it per connection; it is what sets memory per client */
	{"jokes", cb_jokes, sizeof(struct pss), 128, 0, NULL, PUSHD_TX_MAX},
	{PROTO_RAW, cb_raw, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0}
};

static const struct lws_protocol_vhost_options pvo_default = {NULL, NULL, "default", "1"};
const struct lws_protocol_vhost_options proto_pvo = {NULL, &pvo_default, "jokes", ""};

