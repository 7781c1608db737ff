/* fuzz_url_args.c - libFuzzer target: the values of jokes-pushd's URL arguments and the
 * Last-Event-ID header: ids (pushd/request.c request_parse_id) and category lists
 * (lib/category.c category_parse_list), as the WebSocket upgrade and the event stream take them.
 *
 * An accepted id is 1..18 digits and never negative; an accepted list is a non-empty set of
 * known categories that, written out again, parses to the same set.
 */
#include "../../pushd/request.h"
#include "category.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char v[300], err[160], out[CATEGORY_LIST_MAX + 1];
	unsigned mask = 0, again = 0;
	int64_t id = -1;

	if (size >= sizeof(v))
		return 0;
	memcpy(v, data, size);
	v[size] = '\0';
	if (request_parse_id(v, &id) == 0) { /* a C string, as lws hands it over */
		size_t n = strlen(v);
		assert(id >= 0 && n >= 1 && n <= REQUEST_ID_DIGITS_MAX);
		assert(strspn(v, "0123456789") == n);
	}
	if (category_parse_list(v, size, &mask, err, sizeof(err)) == 0) {
		assert(mask != 0 && (mask & ~CATEGORY_ALL) == 0);
		size_t n = category_format_list(mask, out, sizeof(out));
		assert(n > 0 && n <= size);
		assert(category_parse_list(out, n, &again, err, sizeof(err)) == 0 && again == mask);
	} else {
		assert(err[0] != '\0');
	}
	return 0;
}
