/* fuzz_stream_entry.c - libFuzzer target: one stream entry as Redis sends it (RESP), read by
 * hiredis's reader, then lib/stream_entry.c.
 *
 * An accepted entry must be a valid record whose ID is "<id>-0" and that serialises again.
 * hiredis 0.14's reader has no limit on an array's count: "*999999999\r\n" makes it calloc
 * 8 GB for the element vector at once (found here). Redis is trusted with that; the target
 * skips inputs declaring an array of more than 64 elements so the fuzzer looks at our code.
 */
#include "joke.h"
#include "stream_entry.h"

#include <assert.h>
#include <hiredis.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 when some "*N" in the input has N > 64 (or more digits than that). */
static int
huge_array(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		size_t n = 0, digits = 0;

		if (data[i] != '*')
			continue;
		while (i + 1 < size && data[i + 1] >= '0' && data[i + 1] <= '9' && digits < 4)
			n = n * 10 + (size_t)(data[++i] - '0'), digits++;
		if (n > 64 || digits >= 4)
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128], out[NOTIFY_LINE_MAX], id[STREAM_ID_MAX + 1];
	redisReader *r = redisReaderCreate();
	void *reply = NULL;
	struct joke j;

	assert(r != NULL);
	if (huge_array(data, size)) {
		redisReaderFree(r);
		return 0;
	}
	redisReaderFeed(r, (const char *)data, size);
	while (redisReaderGetReply(r, &reply) == REDIS_OK && reply != NULL) {
		if (stream_entry_from_reply(reply, &j, err, sizeof(err)) == 0) {
			const redisReply *e = reply;

			assert(j.id > 0);
			assert(utf8_valid(j.text, strlen(j.text)) && j.text[0]);
			assert(joke_dump(&j, out, sizeof(out)) > 0);
			assert(stream_entry_id(j.id, id, sizeof(id)) > 0);
			assert(strcmp(e->element[0]->str, id) == 0);
		} else
			assert(err[0] != '\0');
		freeReplyObject(reply);
		reply = NULL;
	}
	redisReaderFree(r);
	return 0;
}
