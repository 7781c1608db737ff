/* redis_url.c - parse redis_url and check redis_stream against a whitelist. */
#include "redis_url.h"

#include "cli.h"
#include "config.h"

#include <stdio.h>
#include <string.h>

#define PASSWORD_CHARS                                                                     \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;="
#define PATH_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._-"

static int
parse_unix(const char *path, struct redis_url *out, const char **why)
{
	size_t len = strlen(path);

	if (path[0] != '/')
		return *why = "unix: needs an absolute path", -1;
	if (len > REDIS_URL_PATH_MAX)
		return *why = "unix: path longer than 107 bytes", -1;
	if (strspn(path, PATH_CHARS) != len)
		return *why = "unix: path may hold only letters, digits and /._-", -1;
	out->is_unix = 1;
	memcpy(out->path, path, len + 1);
	return 0;
}

/* ":PASSWORD@" at the start of *s: copy it out and move *s past the '@'. */
static int
parse_password(const char **s, struct redis_url *out, const char **why)
{
	const char *at = strchr(*s, '@'), *p = *s;
	size_t len;

	if (at == NULL)
		return 0;
	if (p[0] != ':')
		return *why = "a user name is not supported: use redis://:PASSWORD@HOST", -1;
	len = (size_t)(at - p - 1);
	if (len == 0)
		return *why = "empty password", -1;
	if (len > REDIS_URL_PASSWORD_MAX)
		return *why = "password longer than 256 bytes", -1;
	if (strspn(p + 1, PASSWORD_CHARS) != len)
		return *why = "the password may hold only A-Z a-z 0-9 and -._~!$&'()*+,;=", -1;
	memcpy(out->password, p + 1, len);
	out->password[len] = '\0';
	*s = at + 1;
	return 0;
}

/* HOST[:PORT] in [s, s+len), checked by config_host_ok. */
static int
parse_host(const char *s, size_t len, struct redis_url *out, const char **why)
{
	const char *h = s, *colon;
	size_t hlen;
	long port = REDIS_URL_DEFAULT_PORT;

	if (len == 0 || !config_host_ok(s, len))
		return *why = "needs a host name or address, then an optional :PORT (1 to 65535)", -1;
	if (s[0] == '[') {
		const char *end = memchr(s, ']', len);

		h = s + 1;
		hlen = (size_t)(end - h);
		colon = end + 1 < s + len ? end + 1 : NULL;
	} else {
		colon = memchr(s, ':', len);
		hlen = colon ? (size_t)(colon - s) : len;
	}
	if (colon != NULL) {
		char digits[8];
		size_t n = len - (size_t)(colon + 1 - s);

		memcpy(digits, colon + 1, n); /* config_host_ok took 1..5 digits */
		digits[n] = '\0';
		if (cli_long(digits, 1, 65535, &port) < 0)
			return *why = "port is not 1 to 65535", -1;
	}
	if (hlen > REDIS_URL_HOST_MAX)
		return *why = "host name too long", -1;
	memcpy(out->host, h, hlen);
	out->host[hlen] = '\0';
	out->port = (int)port;
	return 0;
}

int
redis_url_parse(const char *s, struct redis_url *out, const char **why)
{
	const char *slash;
	long db = 0;

	memset(out, 0, sizeof(*out));
	if (*s == '\0')
		return 0;
	out->set = 1;
	if (strncmp(s, "unix:", 5) == 0)
		return parse_unix(s + 5, out, why);
	if (strncmp(s, "redis://", 8) != 0)
		return *why = "must be redis://[:PASSWORD@]HOST[:PORT][/DB] or unix:PATH", -1;
	s += 8;
	if (parse_password(&s, out, why) < 0)
		return -1;
	slash = s + strcspn(s, "/");
	if (parse_host(s, (size_t)(slash - s), out, why) < 0)
		return -1;
	if (*slash == '/' && slash[1] != '\0' && cli_long(slash + 1, 0, REDIS_URL_DB_MAX, &db) < 0)
		return *why = "the database after / is not a number from 0 to 65535", -1;
	out->db = (int)db;
	return 0;
}

int
redis_stream_valid(const char *name)
{
	size_t len = strlen(name);

	return len >= 1 && len <= REDIS_STREAM_MAX &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") ==
		       len;
}

const char *
redis_url_redact(const char *s, char *buf, size_t size)
{
	const char *at = strrchr(s, '@');

	/* whatever comes before the last '@' may be a password, well formed or not */
	if (at == NULL)
		snprintf(buf, size, "%s", s);
	else if (strncmp(s, "redis://:", 9) == 0)
		snprintf(buf, size, "redis://:***%s", at);
	else
		snprintf(buf, size, "%s***%s", strncmp(s, "redis://", 8) == 0 ? "redis://" : "", at);
	return buf;
}
