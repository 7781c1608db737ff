/* fuzz_pushd_notify.c - libFuzzer target: pushd's notify path (line splitter + record parser).
 *
 * The input is a byte stream cut into chunks at the positions its first byte
 * picks, as a notify connection delivers it. Every line must be bounded by the
 * cap, and an accepted record must be valid and serialise again.
 */
#include "../../pushd/linebuf.h"
#include "joke.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_line(void *arg, const char *line, size_t len, int too_long)
{
	struct joke j;
	char err[128], out[NOTIFY_LINE_MAX];

	(void)arg;
	if (too_long)
		return 0;
	assert(len < NOTIFY_LINE_MAX);
	if (joke_parse_line(line, len, &j, err, sizeof(err)) == 0) {
		assert(j.id > 0);
		assert(utf8_valid(j.text, strlen(j.text)) && j.text[0]);
		assert(joke_dump(&j, out, sizeof(out)) > 0);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linebuf lb;
	size_t chunk, off = 0;

	if (!size)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	data++, size--;
	linebuf_init(&lb, NOTIFY_LINE_MAX);
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		linebuf_feed(&lb, (const char *)data + off, n, on_line, NULL);
		off += n;
	}
	assert(lb.len < NOTIFY_LINE_MAX);
	linebuf_free(&lb);
	return 0;
}
