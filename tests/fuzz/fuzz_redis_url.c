/* fuzz_redis_url.c - libFuzzer target: the redis_url parser and its redaction.
 *
 * An accepted URL names a host and port 1..65535 or an absolute socket path, a database in
 * range, and a password of the whitelist; the redacted text never holds the password.
 */
#include "redis_url.h"

#include <assert.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[600], shown[700];
	const char *why = NULL;
	struct redis_url u;

	if (size >= sizeof(in))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (redis_url_parse(in, &u, &why) < 0) {
		assert(why != NULL);
		return 0;
	}
	if (!u.set) {
		assert(in[0] == '\0');
		return 0;
	}
	if (u.is_unix)
		assert(u.path[0] == '/' && strlen(u.path) <= REDIS_URL_PATH_MAX);
	else
		assert(u.host[0] && u.port >= 1 && u.port <= 65535);
	assert(u.db >= 0 && u.db <= REDIS_URL_DB_MAX);
	redis_url_redact(in, shown, sizeof(shown));
	if (u.password[0] != '\0')
		assert(strstr(shown, u.password) == NULL || strstr(shown, "***") != NULL);
	return 0;
}
