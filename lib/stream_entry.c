/* stream_entry.c - read one jokes-stream entry back into the record, refusing anything else. */
#include "stream_entry.h"

#include <hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int
fail(char *err, size_t errsize, const char *why)
{
	snprintf(err, errsize, "%s", why);
	return -1;
}

/* 1..20 decimal digits that fit 64 bits; 0, or -1. */
static int
u64_parse(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
stream_id_parse(const char *s, size_t len, struct stream_id *out)
{
	const char *dash = memchr(s, '-', len);
	struct stream_id id;

	if (dash == NULL || u64_parse(s, (size_t)(dash - s), &id.ms) < 0 ||
	    u64_parse(dash + 1, len - (size_t)(dash + 1 - s), &id.seq) < 0)
		return -1;
	*out = id;
	return 0;
}

int
stream_entry_id(int64_t id, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%" PRId64 "-0", id);

	return n < 0 || (size_t)n >= size ? -1 : n;
}

int
stream_entry_parse(const char *id, size_t id_len, size_t nitems, const char *const *items,
		   const size_t *lens, struct joke *j, char *err, size_t errsize)
{
	char want[STREAM_ID_MAX + 1], why[96];
	struct stream_id sid;
	int n;

	if (stream_id_parse(id, id_len, &sid) < 0)
		return fail(err, errsize, "the ID is not MS-SEQ");
	if (sid.seq != 0)
		return fail(err, errsize, "the ID's sequence is not 0");
	if (nitems != 2)
		return fail(err, errsize, "not exactly one field");
	if (lens[0] != strlen(STREAM_FIELD) || memcmp(items[0], STREAM_FIELD, lens[0]) != 0)
		return fail(err, errsize, "the field is not \"joke\"");
	if (lens[1] > NOTIFY_LINE_MAX)
		return fail(err, errsize, "the record is larger than 16384 bytes");
	if (joke_parse_line(items[1], lens[1], j, why, sizeof(why)) < 0) {
		snprintf(err, errsize, "not a record: %s", why);
		return -1;
	}
	n = stream_entry_id(j->id, want, sizeof(want));
	if (n < 0 || (size_t)n != id_len || memcmp(want, id, id_len) != 0)
		return fail(err, errsize, "the ID is not the record's id followed by -0");
	return 0;
}

int
stream_entry_from_reply(const struct redisReply *entry, struct joke *j, char *err,
			size_t errsize)
{
	const redisReply *id, *fields;
	const char *items[2];
	size_t lens[2];

	if (entry == NULL || entry->type != REDIS_REPLY_ARRAY || entry->elements != 2)
		return fail(err, errsize, "the entry is not an array of ID and fields");
	id = entry->element[0];
	fields = entry->element[1];
	if (id->type != REDIS_REPLY_STRING)
		return fail(err, errsize, "the ID is not a string");
	if (fields->type != REDIS_REPLY_ARRAY)
		return fail(err, errsize, "the fields are not an array");
	if (fields->elements != 2)
		return fail(err, errsize, "not exactly one field");
	for (size_t i = 0; i < 2; i++) {
		if (fields->element[i]->type != REDIS_REPLY_STRING)
			return fail(err, errsize, "a field or value is not a string");
		items[i] = fields->element[i]->str;
		lens[i] = fields->element[i]->len;
	}
	return stream_entry_parse(id->str, id->len, 2, items, lens, j, err, errsize);
}

int
stream_entry_reply_id(const struct redisReply *entry, struct stream_id *id)
{
	if (entry == NULL || entry->type != REDIS_REPLY_ARRAY || entry->elements < 1 ||
	    entry->element[0]->type != REDIS_REPLY_STRING)
		return -1;
	return stream_id_parse(entry->element[0]->str, entry->element[0]->len, id);
}
