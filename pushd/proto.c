/* proto.c - a worker's lws protocol callbacks: upgrade filter, writes, receive, raw fds. */
#include "proto.h"

#include "accept.h"
#include "clients.h"
#include "joke.h"
#include "log.h"
#include "loop.h"
#include "origin.h"
#include "wstate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define WS_PATH "/ws/jokes/"
#define RX_MAX 1024	 /* a data message up to this size closes with 1003, larger 1009 */
#define URL_ARG_MAX 256	 /* bytes of one ?name=value we read; a longer one is refused */
#define URL_ARGS_MAX 16	 /* arguments in one upgrade URL */

/*
 * Refuse an upgrade with a plain HTTP status. The short answer is written
 * straight to the socket and lws then closes it: lws_return_http_status()
 * in 4.1.6 leaves the connection to lws's HTTP keep-alive path, which spins
 * on recv(fd, 0) once the client hangs up.
 */
static int refuse(struct lws *wsi, int status, int64_t *counter)
{
	char buf[160];
	const char *reason = status == HTTP_STATUS_FORBIDDEN ? "Forbidden" :
			     status == HTTP_STATUS_NOT_FOUND ? "Not Found" :
			     status == HTTP_STATUS_BAD_REQUEST ? "Bad Request" : "Service Unavailable";
	int n = snprintf(buf, sizeof(buf),
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n%s\n",
			 status, reason, strlen(reason) + 1, reason);

	if (counter)
		stats_add(counter, 1);
	if (n > 0 && (size_t)n < sizeof(buf) &&
	    send(lws_get_socket_fd(wsi), buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("refusal %d not sent: %s", status, strerror(errno));
	return 1;
}

/*
 * The value of ?since= into buf: 1 found, 0 absent, -1 refused. Walks the
 * arguments itself: lws_get_urlarg_by_name() in 4.1.6 stops at the first
 * argument longer than its buffer and answers "absent", which would serve
 * live jokes to a client that asked for a replay. So an argument too long
 * to read, more than URL_ARGS_MAX of them, or since= twice is refused.
 */
static int find_since(struct lws *wsi, char *buf, int size)
{
	int found = 0;

	for (int i = 0;; i++) {
		if (lws_hdr_copy_fragment(wsi, buf, size, WSI_TOKEN_HTTP_URI_ARGS, i) < 0) {
			if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i) > 0)
				return -1; /* there, but longer than buf */
			break;
		}
		if (i == URL_ARGS_MAX)
			return -1;
		if (!strncmp(buf, "since=", 6)) {
			if (found)
				return -1;
			found = i + 1;
		}
	}
	if (found && lws_hdr_copy_fragment(wsi, buf, size, WSI_TOKEN_HTTP_URI_ARGS, found - 1) < 0)
		return -1;
	return found ? 1 : 0;
}

/* ?since=ID: 1 parsed, 0 absent, -1 malformed. */
static int parse_since(struct lws *wsi, int64_t *since)
{
	char buf[URL_ARG_MAX];
	const char *v = buf + 6;
	int rc = find_since(wsi, buf, sizeof(buf));
	char *end;
	long long x;

	if (rc <= 0)
		return rc;
	if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 18)
		return -1;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || *end)
		return -1;
	*since = x;
	return 1;
}

static int filter(struct worker *w, struct lws *wsi, struct pss *p)
{
	char origin[256], host[256], uri[128];
	int rc;

	if (w->stopping)
		return refuse(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, &w->st->refused_limit);
	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
	    (strcmp(uri, WS_PATH) && strcmp(uri, "/ws/jokes")))
		return refuse(wsi, HTTP_STATUS_NOT_FOUND, NULL);
	if (lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) < 0)
		origin[0] = '\0';
	if (lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) < 0)
		host[0] = '\0';
	if (origin_check(origin, host, w->cfg->pushd_allowed_origins, w->cfg->pushd_allow_no_origin)) {
		log_info("worker %d: refused upgrade from Origin '%s' for Host '%s'", w->a->index,
			 origin, host);
		return refuse(wsi, HTTP_STATUS_FORBIDDEN, &w->st->refused_origin);
	}
	rc = parse_since(wsi, &p->since);
	if (rc < 0)
		return refuse(wsi, HTTP_STATUS_BAD_REQUEST, NULL);
	p->has_since = rc == 1;
	if (__atomic_add_fetch(&w->a->stats->clients_total, 1, __ATOMIC_RELAXED) >
	    w->cfg->pushd_max_clients) {
		stats_add(&w->a->stats->clients_total, -1);
		return refuse(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, &w->st->refused_limit);
	}
	p->counted = 1;
	return 0;
}

/* One message per WRITEABLE: the gap notice first, then ring entries in order. */
static int writeable(struct worker *w, struct lws *wsi, struct pss *p)
{
	const struct ring_entry *e;

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
		/* with a payload: lws 4.1.6 does not report an empty pong */
		unsigned char ping[LWS_PRE + 1] = {0};

		ping[LWS_PRE] = 'k';
		p->ping_due = 0;
		if (lws_write(wsi, ping + LWS_PRE, 1, LWS_WRITE_PING) < 1)
			return -1;
	} else if (p->gap_pending) {
		unsigned char buf[LWS_PRE + 96];
		int n = ring_gap_message(p->since, p->gap_oldest, (char *)buf + LWS_PRE, 96);

		p->gap_pending = 0;
		if (n < 0 || clients_send_text(w, wsi, buf + LWS_PRE, (size_t)n))
			return -1;
	} else if ((e = clients_next(w, p))) {
		if (clients_send_text(w, wsi, e->buf + ring_pre, e->len))
			return -1;
		p->seq++;
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

	(void)in;
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return p ? filter(w, wsi, p) : 1;
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
	{"http", lws_callback_http_dummy, 0, 0, 0, NULL, 0},
	/* rx_buffer_size 128: lws allocates it per connection; it is what sets memory per client */
	{"jokes", cb_jokes, sizeof(struct pss), 128, 0, NULL, PUSHD_TX_MAX},
	{PROTO_RAW, cb_raw, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0}
};

static const struct lws_protocol_vhost_options pvo_default = {NULL, NULL, "default", "1"};
const struct lws_protocol_vhost_options proto_pvo = {NULL, &pvo_default, "jokes", ""};

