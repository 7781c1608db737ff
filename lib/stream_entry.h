/* stream_entry.h - one entry of the jokes stream in Redis: its ID and its one field.
 *
 * Entry shape (docs/design.md, contracts): ID "<joke id>-0", exactly one field "joke" whose
 * value is the record JSON (lib/joke.h), at most NOTIFY_LINE_MAX bytes. jokes-fetch writes
 * them (XADD stream <id>-0 MAXLEN ~ N joke <record>); jokes-pushd reads them back here.
 */
#ifndef JOKES_STREAM_ENTRY_H
#define JOKES_STREAM_ENTRY_H

#include "joke.h"

#include <stddef.h>
#include <stdint.h>

#define STREAM_ID_MAX 41 /* "<20 digits>-<20 digits>" */
#define STREAM_FIELD "joke"

struct redisReply;

/* A stream ID "MS-SEQ", both decimal 64-bit unsigned. */
struct stream_id {
	uint64_t ms, seq;
};

/*
 * Parse an entry ID of len bytes ("MS-SEQ": 1..20 digits, '-', 1..20 digits, each at most
 * 2^64-1). 0, or -1 (nothing stored). For any entry, even one stream_entry_parse refuses:
 * a reader resumes after it.
 */
int stream_id_parse(const char *s, size_t len, struct stream_id *out);

/* The entry ID of joke id: "<id>-0" into buf (STREAM_ID_MAX + 1 bytes). Length, or -1. */
int stream_entry_id(int64_t id, char *buf, size_t size);

/*
 * One entry from its parts: the ID (id_len bytes) and nitems strings, field and value
 * alternating (items[i] of lens[i] bytes; need not be NUL-terminated). Fills *j and returns
 * 0 when the ID is "<j->id>-0", there is exactly one field, named "joke", and its value is
 * a record joke_parse_line accepts (at most NOTIFY_LINE_MAX bytes; unknown members are
 * ignored). Otherwise -1 with a short reason in err; *j is then undefined.
 */
int stream_entry_parse(const char *id, size_t id_len, size_t nitems, const char *const *items,
		       const size_t *lens, struct joke *j, char *err, size_t errsize);

/*
 * The same from one entry as hiredis returns it in an XRANGE, XREVRANGE or XREAD reply: an
 * array of two, the ID (a string) and an array of strings. Any other reply type, element
 * type or count is refused (-1 and the reason). The reply stays the caller's.
 */
int stream_entry_from_reply(const struct redisReply *entry, struct joke *j, char *err,
			    size_t errsize);

/*
 * Only the ID of one entry as hiredis returns it (an array whose first element is a
 * string), whatever its fields: a reader resumes after an entry it refuses. 0, or -1.
 */
int stream_entry_reply_id(const struct redisReply *entry, struct stream_id *id);

#endif
