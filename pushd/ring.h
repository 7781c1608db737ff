/* ring.h - the replay ring: the last jokes as ready-to-send WebSocket frames
 * and Server-Sent Events.
 *
 * Every client holds one sequence number into the ring (the next entry it
 * will send), so a broadcast costs O(1) per client write and a burst is never
 * dropped for a connected client. Entries are shared, never copied per client.
 * Each entry carries its joke's category bit, set once as it is pushed: a client
 * filtering on categories steps past an entry outside its mask with one AND.
 */
#ifndef PUSHD_RING_H
#define PUSHD_RING_H

#include "joke.h"

#include <stddef.h>
#include <stdint.h>

struct ring_entry {
	int64_t id;
	unsigned bit;	    /* the joke's category bit (lib/category.h): a client's mask takes it or not */
	size_t len;	    /* payload bytes after the headroom */
	unsigned char *buf; /* RING_PRE bytes of headroom, then the JSON text */
	/* the whole WebSocket text frame: its header written once into the headroom, then the text */
	unsigned char *frame;
	size_t frame_len;
	/* the same joke as one event, "id: ID\nevent: joke\ndata: JSON\n\n", in buf's block */
	unsigned char *sse;
	size_t sse_len;
};

struct ring {
	struct ring_entry *e;
	size_t cap;	   /* replay + slack: a connected client may lag by the slack */
	size_t replay;	   /* newest entries offered to ?since= */
	uint64_t head;	   /* sequence number of the next push */
	size_t count;	   /* entries held: sequence numbers [head - count, head) */
	int64_t newest_id; /* 0 when nothing was ever pushed */
	int64_t newest_at; /* unix time the newest joke was fetched (its fetched_at), 0 before */
	int64_t lost_max;  /* newest id known to exist but not held (evicted or not loaded) */
};

/* Headroom in front of every frame (LWS_PRE of the libwebsockets we build with). */
extern const size_t ring_pre;

/*
 * replay: jokes offered to a reconnecting client; slack: how far a connected
 * client may fall behind (max backlog). 0, or -1 when replay is 0 or memory is short.
 */
int ring_init(struct ring *r, size_t replay, size_t slack);
void ring_free(struct ring *r);

/*
 * Append j (ids must grow; an id <= newest_id is ignored and returns 0) as
 * {"type":"joke",...record}, and as the event carrying that text (built here,
 * once per joke, like the frame), with the bit of j's category (of "misc" when j has
 * none or an unknown one, as the record says). The oldest entry falls out when full. Returns 1
 * when appended, 0 when ignored, -1 on allocation failure.
 */
int ring_push(struct ring *r, const struct joke *j);

/* Note that id exists but is not held (warm-up stopped before it). */
void ring_note_lost(struct ring *r, int64_t id);

uint64_t ring_tail(const struct ring *r);

/* The entry with sequence number seq, or NULL when not held (yet or any more). */
const struct ring_entry *ring_get(const struct ring *r, uint64_t seq);

/* Sequence number of the first joke in the replay window with id > since (head when none). */
uint64_t ring_seq_after(const struct ring *r, int64_t since);

/* 1 when jokes with id > since may exist that the replay window does not hold. */
int ring_has_gap(const struct ring *r, int64_t since);

/* Id of the oldest joke of the replay window, 0 when empty. */
int64_t ring_oldest_id(const struct ring *r);

/* The gap message into buf (after ring_pre headroom is the caller's). Length or -1. */
int ring_gap_message(int64_t since, int64_t oldest, char *buf, size_t size);

/* The gap notice as an event ("event: gap\ndata: MESSAGE\n\n", no id) into buf. Length or -1. */
int ring_gap_event(int64_t since, int64_t oldest, char *buf, size_t size);

#endif
