/* worker.c - a jokes-pushd worker: libwebsockets loop, clients, ring, broadcast. */
#include "worker.h"

#include "joke.h"
#include "log.h"
#include "origin.h"
#include "reload.h"
#include "ring.h"
#include "slow.h"
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#define WS_PATH "/ws/jokes/"
#define RX_MAX 1024	     /* a data message up to this size closes with 1003, larger 1009 */
#define ACCEPT_BURST 64	     /* accepts per listener wake-up, so one flood does not starve */
#define STOP_GRACE_US (3 * LWS_US_PER_SEC)
#define POLL_AGAIN_US (100 * LWS_US_PER_MS)
#define SLOW_GRACE_US (1 * LWS_US_PER_SEC)
#define SNDBUF_BYTES (32 * 1024) /* the kernel doubles it */
#define KEEPALIVE_TICK_MAX_US (5 * LWS_US_PER_SEC)
#define URL_ARG_MAX 256	 /* bytes of one ?name=value we read; a longer one is refused */
#define URL_ARGS_MAX 16	 /* arguments in one upgrade URL */

struct pss {
	struct pss *prev, *next; /* the worker's client list (culling and shutdown walk it) */
	struct lws *wsi;
	uint64_t seq;		 /* next ring entry to send */
	uint64_t max_lag;	 /* entries it may fall behind before it is culled */
	int64_t since;
	int64_t gap_oldest;
	unsigned has_since : 1, gap_pending : 1, counted : 1, established : 1;
	int close_code;		 /* non-zero: close with this code at the next write */
	lws_usec_t valid_at;	 /* established or last pong */
	lws_usec_t ping_at;	 /* our unanswered ping went out then (0: none) */
	unsigned ping_due : 1;	 /* send a ping at the next write */
	struct slow_mark mark;	 /* the current slowness window (slow.h) */
};

struct worker {
	const struct worker_args *a;
	struct config *cfg;
	struct stats_worker *st;
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct ring ring;
	struct source src;
	struct pss *clients;
	uint64_t min_seq; /* oldest ring entry a served client still needs (last scan) */
	int watching;	  /* some client is behind: scan again soon */
	int64_t nclients;
	int spare_fd; /* kept free to shed connections when out of descriptors */
	lws_retry_bo_t retry;
	lws_sorted_usec_list_t poll_sul, again_sul, stop_sul, keepalive_sul;
	int stopping, done;
	time_t emfile_said;
};

static struct worker *worker_of(struct lws *wsi)
{
	return lws_context_user(lws_get_context(wsi));
}

/* --- broadcast ---------------------------------------------------------------- */

static void client_close(struct worker *w, struct pss *p, int code)
{
	if (p->close_code)
		return;
	p->close_code = code;
	lws_callback_on_writable(p->wsi);
	/* a choked client never becomes writable: drop it anyway after a moment */
	lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, w->stopping ? 2 : 1);
}

static int send_text(struct worker *w, struct lws *wsi, unsigned char *payload, size_t len)
{
	if (lws_write(wsi, payload, len, LWS_WRITE_TEXT) < (int)len)
		return -1;
	stats_add(&w->st->sent, 1);
	stats_add(&w->st->bytes_sent, (int64_t)len);
	return 0;
}

/*
 * Write a client's next joke now instead of asking lws for a WRITEABLE
 * callback: that round costs a poll() over all of the worker's descriptors,
 * which at 16 000 clients takes longer than the writes. lws 4.1.6 sends the
 * frame at once, or keeps what the socket did not take and sends it when the
 * socket is writable. Only when nothing of an earlier write is still held and
 * nothing else (ping, gap notice, close) must go first. 1 sent, 0 not now,
 * -1 the connection is gone (it is dropped as a failed write would be).
 */
static int send_now(struct worker *w, struct pss *p)
{
	const struct ring_entry *e = ring_get(&w->ring, p->seq);

	if (!e || p->ping_due || p->gap_pending || lws_partial_buffered(p->wsi))
		return 0;
	if (send_text(w, p->wsi, e->buf + ring_pre, e->len)) {
		p->close_code = -1;
		lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return -1;
	}
	p->seq++;
	return 1;
}

/* Wake every client that is behind, close the slow ones, note the slowest served. O(clients). */
static void scan_clients(struct worker *w)
{
	struct slow_view v = {
		.head = w->ring.head,
		.tail = ring_tail(&w->ring),
		.cap = w->ring.cap,
		.backlog = (uint64_t)w->cfg->pushd_max_backlog,
		.now = lws_now_usecs(),
		.grace = SLOW_GRACE_US,
	};

	for (struct pss *p = w->clients; p; p = p->next)
		if (!p->close_code && p->seq > v.lead)
			v.lead = p->seq;
	w->min_seq = w->ring.head;
	w->watching = 0;
	for (struct pss *p = w->clients; p; p = p->next) {
		uint64_t lag = w->ring.head - p->seq;

		if (p->close_code || !lag)
			continue;
		if (slow_judge(&p->mark, p->seq, p->max_lag, &v)) {
			char peer[64];
			const char *who = lws_get_peer_simple(p->wsi, peer, sizeof(peer));

			log_warn("worker %d: client %s fell %llu jokes behind; closing it (1008)",
				 w->a->index, who ? who : "?", (unsigned long long)lag);
			stats_add(&w->st->culled, 1);
			client_close(w, p, LWS_CLOSE_STATUS_POLICY_VIOLATION);
			continue;
		}
		if (send_now(w, p) < 0)
			continue;
		if (p->seq < w->min_seq)
			w->min_seq = p->seq;
		if (p->mark.at)
			w->watching = 1;
		if (p->seq < w->ring.head)
			lws_callback_on_writable(p->wsi);
	}
}

static void poll_again(lws_sorted_usec_list_t *sul);

/*
 * Take new jokes from the source, but never more than the ring can hold
 * without dropping one a connected client has not sent yet: the database is
 * the buffer, and the rest is read again shortly.
 */
static void poll_source(struct worker *w)
{
	uint64_t used = w->ring.head - w->min_seq;
	long room = (long)(w->ring.cap - (used < w->ring.cap ? used : w->ring.cap));
	long batch = w->cfg->pushd_max_backlog < room ? w->cfg->pushd_max_backlog : room;
	int more = 1, n = 0;

	if (batch > 0) {
		n = source_poll(&w->src, &w->ring, (int)batch, &more);
		stats_add(&w->st->db_reads, 1);
	}
	if (n < 0) {
		stats_add(&w->st->db_errors, 1);
		return;
	}
	if (n) {
		stats_add(&w->st->published, n);
		stats_set(&w->st->newest_id, w->ring.newest_id);
		log_debug("worker %d: %d new joke(s), newest %lld", w->a->index, n,
			  (long long)w->ring.newest_id);
	}
	scan_clients(w);
	if (more)
		lws_sul_schedule(w->ctx, 0, &w->again_sul, poll_again, POLL_AGAIN_US);
	else if (w->watching)
		lws_sul_schedule(w->ctx, 0, &w->again_sul, poll_again, SLOW_GRACE_US / 2);
}

static void poll_again(lws_sorted_usec_list_t *sul)
{
	poll_source(lws_container_of(sul, struct worker, again_sul));
}

static void poll_timer(lws_sorted_usec_list_t *sul)
{
	struct worker *w = lws_container_of(sul, struct worker, poll_sul);

	poll_source(w);
	lws_sul_schedule(w->ctx, 0, &w->poll_sul, poll_timer,
			 (lws_usec_t)w->cfg->pushd_poll_secs * LWS_US_PER_SEC);
}

/* --- stop and reload ---------------------------------------------------------- */

static void stop_timer(lws_sorted_usec_list_t *sul)
{
	struct worker *w = lws_container_of(sul, struct worker, stop_sul);

	w->done = 1;
}

static void worker_stop(struct worker *w)
{
	if (w->stopping)
		return;
	w->stopping = 1;
	log_debug("worker %d: stopping, %lld client(s)", w->a->index, (long long)w->nclients);
	for (struct pss *p = w->clients; p; p = p->next)
		client_close(w, p, LWS_CLOSE_STATUS_GOINGAWAY);
	if (!w->nclients)
		w->done = 1;
	lws_sul_schedule(w->ctx, 0, &w->stop_sul, stop_timer, STOP_GRACE_US);
}

/*
 * Keepalive is ours, not lws's: lws 4.1.6 keeps one "validity" timer per
 * connection in a sorted linked list and re-inserts it on every pong and
 * every new connection, walking the list: O(clients) each, O(clients^2) per
 * ping round or connect storm (seconds of CPU per worker at 15 000 clients).
 * A zero hang-up time turns lws's timers off; this tick walks the client list
 * instead, pings the idle ones and drops those that did not answer. It runs
 * every fifth of the shorter of the two times (at most every 5 s), so a ping
 * or a drop is at most that late; each run also wakes poll(), which scans all
 * of the worker's descriptors, so it does not run more often than needed.
 */
static lws_usec_t keepalive_period(const struct config *cfg)
{
	long s = cfg->pushd_ping_secs < cfg->pushd_ping_timeout_secs ? cfg->pushd_ping_secs
								       : cfg->pushd_ping_timeout_secs;
	lws_usec_t us = (lws_usec_t)s * LWS_US_PER_SEC / 5;

	return us < KEEPALIVE_TICK_MAX_US ? us : KEEPALIVE_TICK_MAX_US;
}

static void keepalive_tick(lws_sorted_usec_list_t *sul)
{
	struct worker *w = lws_container_of(sul, struct worker, keepalive_sul);
	lws_usec_t now = lws_now_usecs();
	lws_usec_t ping = (lws_usec_t)w->cfg->pushd_ping_secs * LWS_US_PER_SEC;
	lws_usec_t hang = (lws_usec_t)w->cfg->pushd_ping_timeout_secs * LWS_US_PER_SEC;

	for (struct pss *p = w->clients; p; p = p->next) {
		if (p->close_code)
			continue;
		if (p->ping_at) {
			if (now - p->ping_at >= hang) { /* as lws did: a plain TCP close */
				p->close_code = -1;
				lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
			}
		} else if (now - p->valid_at >= ping) {
			p->ping_at = now;
			p->ping_due = 1;
			lws_callback_on_writable(p->wsi);
		}
	}
	lws_sul_schedule(w->ctx, 0, &w->keepalive_sul, keepalive_tick, keepalive_period(w->cfg));
}

static void worker_reload(struct worker *w)
{
	/* a refused pushd_max_backlog is logged once, by the parent */
	if (reload_config(w->cfg, w->a->ring_slack, NULL) == RELOAD_FAILED) {
		log_warn("worker %d: reload failed; keeping the old configuration", w->a->index);
		return;
	}
	log_set_level(w->cfg->log_level);
	/* keepalive_tick reads the ping times each run; run it at the new pace from now */
	lws_sul_schedule(w->ctx, 0, &w->keepalive_sul, keepalive_tick, keepalive_period(w->cfg));
}

/* --- the WebSocket protocol ------------------------------------------------------ */

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

static void established(struct worker *w, struct lws *wsi, struct pss *p)
{
	struct ring *r = &w->ring;
	uint64_t behind;

	p->wsi = wsi;
	p->established = 1;
	p->valid_at = lws_now_usecs();
	p->next = w->clients;
	if (w->clients)
		w->clients->prev = p;
	w->clients = p;
	w->nclients++;
	stats_add(&w->st->clients, 1);
	p->seq = r->head;
	if (p->has_since) {
		p->seq = ring_seq_after(r, p->since);
		stats_add(&w->st->replays, 1);
		if (ring_has_gap(r, p->since)) {
			p->gap_pending = 1;
			p->gap_oldest = ring_oldest_id(r);
			stats_add(&w->st->gaps, 1);
		}
	}
	behind = r->head - p->seq;
	p->max_lag = (uint64_t)w->cfg->pushd_max_backlog + behind;
	if (p->max_lag > r->cap)
		p->max_lag = r->cap;
	if (behind || p->gap_pending)
		lws_callback_on_writable(wsi);
}

static void closed(struct worker *w, struct pss *p)
{
	if (p->counted)
		stats_add(&w->a->stats->clients_total, -1);
	p->counted = 0;
	if (!p->established)
		return;
	p->established = 0;
	if (p->prev)
		p->prev->next = p->next;
	else
		w->clients = p->next;
	if (p->next)
		p->next->prev = p->prev;
	w->nclients--;
	stats_add(&w->st->clients, -1);
	if (w->stopping && !w->nclients)
		w->done = 1;
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
		return -1;
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
		if (n < 0 || send_text(w, wsi, buf + LWS_PRE, (size_t)n))
			return -1;
	} else if ((e = ring_get(&w->ring, p->seq))) {
		if (send_text(w, wsi, e->buf + ring_pre, e->len))
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
		established(w, wsi, p);
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return writeable(w, wsi, p);
	case LWS_CALLBACK_RECEIVE:
		return receive(w, wsi, len);
	case LWS_CALLBACK_RECEIVE_PONG:
		p->valid_at = lws_now_usecs();
		p->ping_at = 0;
		break;
	case LWS_CALLBACK_CLOSED:
		if (p)
			closed(w, p);
		break;
	default:
		break;
	}
	return 0;
}

/* --- the listener and the parent's command socket --------------------------------- */

/* Out of descriptors: accept one with the spare and close it, so the backlog moves. */
static void shed(struct worker *w, int lfd)
{
	int c;

	if (w->spare_fd >= 0)
		close(w->spare_fd);
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c >= 0)
		close(c);
	w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	stats_add(&w->st->refused_limit, 1);
	if (time(NULL) != w->emfile_said)
		log_warn("worker %d: out of file descriptors; refusing connections", w->a->index);
	w->emfile_said = time(NULL);
}

static void accept_burst(struct worker *w, int lfd)
{
	for (int i = 0; i < ACCEPT_BURST && !w->stopping; i++) {
		int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE)
				shed(w, lfd);
			else if (errno != EAGAIN)
				log_warn("worker %d: accept: %s", w->a->index, strerror(errno));
			return;
		}
		/* a fixed send buffer bounds the kernel memory a stuck client can pin */
		setsockopt(c, SOL_SOCKET, SO_SNDBUF, &(int){SNDBUF_BYTES}, sizeof(int));
		if (!lws_adopt_socket_vhost(w->vh, c)) /* closes c on failure */
			stats_add(&w->st->refused_limit, 1);
	}
}

static int relay_rx(struct worker *w, int fd)
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
		poll_source(w);
	return 0;
}

static int cb_raw(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		  size_t len)
{
	struct worker *w = worker_of(wsi);
	int fd = lws_get_socket_fd(wsi);

	(void)user, (void)in, (void)len;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (fd == w->a->listen_fd) {
			accept_burst(w, fd);
			return 0;
		}
		return relay_rx(w, fd);
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

static const struct lws_protocols protocols[] = {
	{"http", lws_callback_http_dummy, 0, 0, 0, NULL, 0},
	/* rx_buffer_size 128: lws allocates it per connection; it is what sets memory per client */
	{"jokes", cb_jokes, sizeof(struct pss), 128, 0, NULL, PUSHD_TX_MAX},
	{"pushd-raw", cb_raw, 0, 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0}
};

static const struct lws_protocol_vhost_options pvo_default = {NULL, NULL, "default", "1"};
static const struct lws_protocol_vhost_options pvo = {NULL, &pvo_default, "jokes", ""};

static void lws_log_emit(int level, const char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		log_warn("lws: %.*s", (int)n, line);
	else
		log_debug("lws: %.*s", (int)n, line);
}

/* Context, vhost, and the two adopted descriptors. 0 or -1 (logged). */
static int worker_setup(struct worker *w)
{
	struct lws_context_creation_info info;
	lws_sock_file_fd_type fd;

	lws_set_log_level(w->cfg->log_level >= LOG_LEVEL_DEBUG ? LLL_ERR | LLL_WARN : LLL_ERR,
			  lws_log_emit);
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	info.user = w;
	info.timeout_secs = (unsigned int)w->cfg->pushd_handshake_secs;
	info.timeout_secs_ah_idle = info.timeout_secs;
	w->ctx = lws_create_context(&info);
	if (!w->ctx)
		return -1;
	info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
	info.vhost_name = "pushd";
	info.protocols = protocols;
	info.pvo = &pvo;
	info.keepalive_timeout = 5;
	info.retry_and_idle_policy = &w->retry;
	w->vh = lws_create_vhost(w->ctx, &info);
	if (!w->vh)
		return -1;
	fd.filefd = w->a->listen_fd;
	if (!lws_adopt_descriptor_vhost(w->vh, LWS_ADOPT_RAW_FILE_DESC, fd, "pushd-raw", NULL))
		return -1;
	fd.filefd = w->a->relay_fd;
	if (!lws_adopt_descriptor_vhost(w->vh, LWS_ADOPT_RAW_FILE_DESC, fd, "pushd-raw", NULL))
		return -1;
	return 0;
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
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the parent */
	if (getppid() == 1)
		return EX_UNAVAILABLE;
	/* w.retry stays zero: no lws validity timers (see keepalive_tick) */
	source_init(&w.src, a->cfg->db_path);
	if (ring_init(&w.ring, (size_t)a->cfg->pushd_ring_size, (size_t)a->ring_slack) ||
	    worker_setup(&w)) {
		log_error("worker %d: cannot start the event loop", a->index);
		ex = EX_SOFTWARE;
		goto out;
	}
	poll_source(&w); /* warm the ring */
	lws_sul_schedule(w.ctx, 0, &w.poll_sul, poll_timer,
			 (lws_usec_t)w.cfg->pushd_poll_secs * LWS_US_PER_SEC);
	lws_sul_schedule(w.ctx, 0, &w.keepalive_sul, keepalive_tick, keepalive_period(w.cfg));
	while (!w.done)
		if (lws_service(w.ctx, 0) < 0)
			break;
out:
	if (w.ctx)
		lws_context_destroy(w.ctx);
	ring_free(&w.ring);
	source_close(&w.src);
	return ex;
}
