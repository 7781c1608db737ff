/* ring.c - the replay ring of prebuilt joke frames (see ring.h). */
#include "ring.h"

#include "category.h"

#include <jansson.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const size_t ring_pre = LWS_PRE;
_Static_assert(LWS_PRE >= 10, "no room for a WebSocket frame header");

int ring_init(struct ring *r, size_t replay, size_t slack)
{
	memset(r, 0, sizeof(*r));
	if (!replay)
		return -1;
	r->e = calloc(replay + slack, sizeof(*r->e));
	if (!r->e)
		return -1;
	r->cap = replay + slack;
	r->replay = replay;
	return 0;
}

/* First sequence number of the replay window. */
static uint64_t window_tail(const struct ring *r)
{
	return r->head - (r->count < r->replay ? r->count : r->replay);
}

void ring_free(struct ring *r)
{
	if (!r || !r->e)
		return;
	for (size_t i = 0; i < r->cap; i++)
		free(r->e[i].buf);
	free(r->e);
	memset(r, 0, sizeof(*r));
}

#define SSE_HEAD_MAX 48 /* "id: " 19 digits "\nevent: joke\ndata: " */

/*
 * The header of an unmasked final text frame of len bytes (RFC 6455 5.2), written just
 * before text (the headroom: ring_pre >= 10). Its length. lws_write() writes the same bytes
 * there when it sends the entry itself.
 */
static size_t ws_header(unsigned char *text, size_t len)
{
	size_t h = len < 126 ? 2 : len < 65536 ? 4 : 10;
	unsigned char *f = text - h;

	f[0] = 0x81;
	if (h == 2) {
		f[1] = (unsigned char)len;
	} else {
		f[1] = h == 4 ? 126 : 127;
		for (size_t i = 2; i < h; i++)
			f[i] = (unsigned char)(len >> (8 * (h - 1 - i)));
	}
	return h;
}

/*
 * One block: ring_pre bytes of headroom, {"type":"joke",...} and its NUL, then
 * ring_pre bytes again and the event with the same text (compact JSON has no
 * newline, so it is one data: line). Sets the entry's fields; -1 on failure.
 */
static int frame_joke(const struct joke *j, struct ring_entry *e)
{
	json_t *rec = joke_to_json(j);
	json_t *msg = json_object();
	unsigned char *buf = NULL;
	char *text = NULL;
	size_t len = 0;
	int head;

	if (!rec || !msg || json_object_set_new(msg, "type", json_string("joke")) ||
	    json_object_update(msg, rec))
		goto out;
	text = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		goto out;
	len = strlen(text);
	buf = malloc(2 * ring_pre + len + 1 + SSE_HEAD_MAX + len + 2);
	if (!buf)
		goto out;
	memcpy(buf + ring_pre, text, len + 1);
	e->frame_len = ws_header(buf + ring_pre, len) + len;
	e->frame = buf + ring_pre + len - e->frame_len;
	e->sse = buf + ring_pre + len + 1 + ring_pre;
	head = snprintf((char *)e->sse, SSE_HEAD_MAX, "id: %lld\nevent: joke\ndata: ",
			(long long)j->id);
	if (head < 0 || head >= SSE_HEAD_MAX) {
		free(buf);
		buf = NULL;
		goto out;
	}
	memcpy(e->sse + head, text, len);
	memcpy(e->sse + head + len, "\n\n", 2);
	e->sse_len = (size_t)head + len + 2;
	e->len = len;
	e->buf = buf;
out:
	free(text);
	json_decref(msg);
	json_decref(rec);
	return buf ? 0 : -1;
}

int ring_push(struct ring *r, const struct joke *j)
{
	struct ring_entry *slot, e = {0};

	if (j->id <= r->newest_id)
		return 0;
	if (frame_joke(j, &e))
		return -1;
	slot = &r->e[r->head % r->cap];
	if (r->count == r->cap) {
		ring_note_lost(r, slot->id);
		free(slot->buf);
	} else {
		r->count++;
	}
	e.id = j->id;
	e.bit = category_bit(j->category);
	if (!e.bit)
		e.bit = category_bit(CATEGORY_DEFAULT);
	*slot = e;
	r->head++;
	r->newest_id = j->id;
	r->newest_at = joke_time_unix(j->fetched_at);
	return 1;
}

void ring_note_lost(struct ring *r, int64_t id)
{
	if (id > r->lost_max)
		r->lost_max = id;
}

uint64_t ring_tail(const struct ring *r)
{
	return r->head - r->count;
}

const struct ring_entry *ring_get(const struct ring *r, uint64_t seq)
{
	if (seq >= r->head || seq < ring_tail(r))
		return NULL;
	return &r->e[seq % r->cap];
}

uint64_t ring_seq_after(const struct ring *r, int64_t since)
{
	uint64_t lo = window_tail(r), hi = r->head;

	/* ids grow with the sequence: binary search for the first id > since */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (r->e[mid % r->cap].id > since)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int ring_has_gap(const struct ring *r, int64_t since)
{
	uint64_t w = window_tail(r);
	int64_t before = w > ring_tail(r) ? r->e[(w - 1) % r->cap].id : 0;

	return since < r->lost_max || since < before;
}

int64_t ring_oldest_id(const struct ring *r)
{
	return r->count ? r->e[window_tail(r) % r->cap].id : 0;
}

int ring_gap_message(int64_t since, int64_t oldest, char *buf, size_t size)
{
	int n = snprintf(buf, size, "{\"type\":\"gap\",\"since\":%lld,\"oldest\":%lld}",
			 (long long)since, (long long)oldest);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

int ring_gap_event(int64_t since, int64_t oldest, char *buf, size_t size)
{
	int n = snprintf(buf, size, "event: gap\ndata: ");
	int m;

	if (n < 0 || (size_t)n >= size)
		return -1;
	m = ring_gap_message(since, oldest, buf + n, size - (size_t)n);
	if (m < 0 || (size_t)(n + m) + 2 >= size)
		return -1;
	memcpy(buf + n + m, "\n\n", 3);
	return n + m + 2;
}
