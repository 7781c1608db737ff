/* clients.c - one worker's clients: list, broadcast, slow judging, keepalive. */
#include "clients.h"

#include "log.h"
#include "sse.h"

#include <errno.h>
#include <sys/socket.h>

#define SLOW_GRACE_US (1 * LWS_US_PER_SEC)

/* a byte more and every client costs the next malloc chunk (16 bytes) */
_Static_assert(sizeof(struct pss) <= 88, "struct pss grew past 88 bytes");

/* Ask for a WRITEABLE callback (an event stream must also be read from for it: sse.h). */
static void wake(struct pss *p)
{
	if (p->sse)
		sse_wake(p);
	else
		lws_callback_on_writable(p->wsi);
}

void clients_close(struct worker *w, struct pss *p, int code)
{
	if (p->close_code)
		return;
	p->close_code = (int16_t)code;
	wake(p);
	/* a choked client never becomes writable: drop it anyway after a moment */
	lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, w->stopping ? 2 : 1);
}

void clients_close_all(struct worker *w)
{
	for (struct pss *p = w->clients; p; p = p->next)
		clients_close(w, p, LWS_CLOSE_STATUS_GOINGAWAY);
}

/* One message of len payload bytes went to a client. */
static void counted(struct worker *w, size_t len)
{
	stats_add(&w->st->sent, 1);
	stats_add(&w->st->bytes_sent, (int64_t)len);
}

int clients_send(struct worker *w, struct pss *p, unsigned char *payload, size_t len)
{
	if (lws_write(p->wsi, payload, len, p->sse ? LWS_WRITE_HTTP : LWS_WRITE_TEXT) < (int)len)
		return -1;
	counted(w, len);
	return 0;
}

/*
 * A WebSocket client's ring entry as one send() of the frame the ring built
 * once, not through lws_write(): per client and joke that saves lws's write
 * path, which reads several cache lines of a connection lws keeps apart from
 * ours (at 19 000 clients, most of what pushd spent above the reference's
 * CPU). Only when lws holds nothing of an earlier write: send_now() asks,
 * and lws calls WRITEABLE only once it has sent what it held. What the
 * socket does not take is given to lws as raw bytes: it keeps them and sends
 * them when the socket is writable, as it does its own partial writes.
 * 0, or -1 when the connection failed.
 */
static int send_frame(struct worker *w, struct pss *p, const struct ring_entry *e)
{
	ssize_t n = send(p->fd, e->frame, e->frame_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	size_t rest;

	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		return -1;
	rest = e->frame_len - (n < 0 ? 0 : (size_t)n);
	if (rest && lws_write(p->wsi, e->frame + e->frame_len - rest, rest, LWS_WRITE_HTTP) < (int)rest)
		return -1;
	counted(w, e->len);
	return 0;
}

int clients_send_entry(struct worker *w, struct pss *p, const struct ring_entry *e)
{
	return p->sse ? clients_send(w, p, e->sse, e->sse_len) : send_frame(w, p, e);
}

/*
 * One AND per entry stepped over, and each entry is stepped over once per client:
 * O(1) per joke per client, filtered or not, with no write and no WRITEABLE round for
 * a joke the client does not take.
 */
const struct ring_entry *clients_next(struct worker *w, struct pss *p)
{
	const struct ring_entry *e;

	while ((e = ring_get(&w->ring, p->seq)) &&
	       (!(e->bit & p->mask) || (p->has_since && e->id <= p->since)))
		p->seq++;
	return e;
}

/* p has sent its entry: on to the next one it takes (or the head). */
static void step(struct worker *w, struct pss *p)
{
	p->seq++;
	clients_next(w, p);
}

/*
 * Write a client's next joke now instead of asking lws for a WRITEABLE
 * callback: that round arms and disarms the socket's POLLOUT (two
 * epoll_ctl() on libuv; on lws's own poll() loop it cost a scan of all the
 * worker's descriptors). lws 4.1.6 sends the frame at once, or keeps what the
 * socket did not take and sends it when the socket is writable. Only when
 * nothing of an earlier write is still held and nothing else (ping, gap
 * notice, close) must go first. 1 sent, 0 not now, -1 the connection is gone
 * (it is dropped as a failed write would be).
 */
static int send_now(struct worker *w, struct pss *p)
{
	const struct ring_entry *e = clients_next(w, p);

	if (!e || p->ping_due || p->gap_pending || lws_partial_buffered(p->wsi))
		return 0;
	if (clients_send_entry(w, p, e)) {
		p->close_code = -1;
		lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return -1;
	}
	if (p->sse && lws_partial_buffered(p->wsi))
		sse_wake(p); /* lws sends the rest when the socket is writable */
	step(w, p);
	return 1;
}

int clients_ping(struct pss *p)
{
	/* with a payload: lws 4.1.6 does not report an empty pong */
	unsigned char ping[LWS_PRE + 1] = {0};

	ping[LWS_PRE] = 'k';
	return lws_write(p->wsi, ping + LWS_PRE, 1, LWS_WRITE_PING) < 1 ? -1 : 0;
}

int clients_write_next(struct worker *w, struct pss *p)
{
	const struct ring_entry *e;

	if (p->gap_pending) {
		unsigned char buf[LWS_PRE + 128];
		char *text = (char *)buf + LWS_PRE;
		int n = p->sse ? ring_gap_event(p->since, p->gap_oldest, text, 128) :
				 ring_gap_message(p->since, p->gap_oldest, text, 128);

		p->gap_pending = 0;
		return n < 0 || clients_send(w, p, buf + LWS_PRE, (size_t)n) ? -1 : 0;
	}
	if ((e = clients_next(w, p))) {
		if (clients_send_entry(w, p, e))
			return -1;
		step(w, p);
	}
	return 0;
}

/*
 * Ping a client now, as send_now() writes a joke: the WRITEABLE round it
 * saves (POLLOUT armed and disarmed) was most of what a ping cost. A ping may
 * go between two messages, never inside one: when lws still holds part of a
 * frame, the ping waits for the WRITEABLE callback.
 */
static void ping_now(struct pss *p)
{
	if (lws_partial_buffered(p->wsi)) {
		p->ping_due = 1;
		lws_callback_on_writable(p->wsi);
	} else if (clients_ping(p)) {
		p->close_code = -1;
		lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	}
}

/* The furthest any live client has got (slow.h's lead). O(clients). */
static uint64_t lead_of(struct worker *w)
{
	uint64_t lead = 0;

	for (struct pss *p = w->clients; p; p = p->next) {
		if (p->close_code)
			continue;
		clients_next(w, p);
		if (p->seq > lead)
			lead = p->seq;
	}
	return lead;
}

/*
 * Wake every client that is behind, close the slow ones, note the slowest
 * served. One walk of the list, O(clients): a client's record is read from
 * memory once per joke (the send() between two clients leaves little of the
 * last one cached: at 19 000 clients a second walk, and the first touch of
 * each record, were most of this function's time), and the next record is
 * asked for while this client's send() runs. The lead (slow.h) is needed
 * only to judge a client already in a slowness window and past its backlog:
 * then, once per scan, a second walk finds it.
 */
void clients_scan(struct worker *w)
{
	struct slow_view v = {
		.head = w->ring.head,
		.tail = ring_tail(&w->ring),
		.cap = w->ring.cap,
		.backlog = (uint64_t)w->cfg->pushd_max_backlog,
		.now = lws_now_usecs(),
		.grace = SLOW_GRACE_US,
	};
	int lead_known = 0;

	w->min_seq = w->ring.head;
	w->watching = 0;
	for (struct pss *p = w->clients, *n; p; p = n) {
		uint64_t lag;

		n = p->next;
		if (n)
			__builtin_prefetch(n);
		if (p->close_code)
			continue;
		/* past the jokes it does not take: a filter is never a slow reader */
		clients_next(w, p);
		lag = w->ring.head - p->seq;
		if (!lag)
			continue;
		if (p->mark.at && lag > p->max_lag && !lead_known) {
			v.lead = lead_of(w);
			lead_known = 1;
		}
		if (slow_judge(&p->mark, p->seq, p->max_lag, &v)) {
			char peer[64];
			const char *who = lws_get_peer_simple(p->wsi, peer, sizeof(peer));

			log_warn("worker %d: %s client %s fell %llu jokes behind; closing it%s",
				 w->a->index, p->sse ? "event stream" : "WebSocket", who ? who : "?",
				 (unsigned long long)lag, p->sse ? "" : " (1008)");
			stats_add(&w->st->culled, 1);
			clients_close(w, p, LWS_CLOSE_STATUS_POLICY_VIOLATION);
			continue;
		}
		if (send_now(w, p) < 0)
			continue;
		if (p->seq < w->min_seq)
			w->min_seq = p->seq;
		if (p->mark.at)
			w->watching = 1;
		if (p->seq < w->ring.head)
			wake(p);
	}
}

void clients_keepalive(struct worker *w)
{
	lws_usec_t now = lws_now_usecs();
	lws_usec_t ping = (lws_usec_t)w->cfg->pushd_ping_secs * LWS_US_PER_SEC;
	lws_usec_t hang = (lws_usec_t)w->cfg->pushd_ping_timeout_secs * LWS_US_PER_SEC;

	for (struct pss *p = w->clients; p; p = p->next) {
		if (p->close_code)
			continue;
		if (p->sse) {
			if (now - p->alive_at >= ping)
				sse_keepalive(p, now);
		} else if (p->ping_out) {
			/*
			 * Past its time at two walks in a row, so that the worker has read
			 * its socket in between: libuv runs timers before it polls, and a
			 * worker that was busy for longer than the timeout (a fan-out to
			 * tens of thousands on shared cores) would otherwise close clients
			 * whose pongs are waiting unread. As lws did: a plain TCP close.
			 */
			if (now - p->alive_at < hang)
				continue;
			if (!p->ping_late) {
				p->ping_late = 1;
				continue;
			}
			p->close_code = -1;
			lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		} else if (now - p->alive_at >= ping) {
			p->alive_at = now;
			p->ping_out = 1;
			p->ping_late = 0;
			ping_now(p);
		}
	}
}

/* Where a client starts in the ring: after its ?since= (a gap notice first), else at the head. */
static void seat(struct worker *w, struct pss *p, int count)
{
	struct ring *r = &w->ring;
	uint64_t behind;

	p->seq = r->head;
	p->gap_pending = 0;
	if (p->has_since) {
		p->seq = ring_seq_after(r, p->since);
		if (count)
			stats_add(&w->st->replays, 1);
		if (ring_has_gap(r, p->since)) {
			p->gap_pending = 1;
			p->gap_oldest = ring_oldest_id(r);
			stats_add(&w->st->gaps, 1);
		}
	}
	clients_next(w, p); /* its first joke: the replay it takes, not the whole window */
	behind = r->head - p->seq;
	p->max_lag = (uint64_t)w->cfg->pushd_max_backlog + behind;
	if (p->max_lag > r->cap)
		p->max_lag = r->cap;
	if (behind || p->gap_pending)
		wake(p);
}

void clients_add(struct worker *w, struct lws *wsi, struct pss *p)
{
	p->wsi = wsi;
	p->fd = lws_get_socket_fd(wsi);
	p->established = 1;
	p->alive_at = lws_now_usecs();
	/* at the tail: a fan-out writes in the order the clients came */
	p->prev = w->clients_tail;
	if (p->prev)
		p->prev->next = p;
	else
		w->clients = p;
	w->clients_tail = p;
	if (++w->nclients > w->trim_peak) /* the heap_trim() of loop.c */
		w->trim_peak = w->nclients;
	stats_add(p->sse ? &w->st->sse_clients : &w->st->clients, 1);
	if (p->mask != CATEGORY_ALL)
		stats_add(&w->st->filtered, 1);
	seat(w, p, 1);
}

void clients_hole(struct worker *w, int64_t since, int64_t oldest)
{
	for (struct pss *p = w->clients; p; p = p->next) {
		if (p->close_code)
			continue;
		clients_next(w, p); /* jokes it does not take do not hold it back */
		if (p->seq != w->ring.head) { /* still behind: its gap notice would come too early */
			clients_close(w, p, LWS_CLOSE_STATUS_GOINGAWAY);
			continue;
		}
		p->has_since = 1; /* it has every joke up to since */
		p->since = since;
		p->gap_pending = 1;
		p->gap_oldest = oldest;
		stats_add(&w->st->gaps, 1);
		wake(p);
	}
}

void clients_reseat(struct worker *w)
{
	for (struct pss *p = w->clients; p; p = p->next)
		if (!p->close_code)
			seat(w, p, 0);
}

void clients_remove(struct worker *w, struct pss *p)
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
	else
		w->clients_tail = p->prev;
	w->nclients--;
	stats_add(p->sse ? &w->st->sse_clients : &w->st->clients, -1);
	if (p->mask != CATEGORY_ALL)
		stats_add(&w->st->filtered, -1);
}
