/* redis_url.h - the redis_url and redis_stream keys, read into what a connection needs.
 *
 * Accepted, and nothing else:
 *   redis://HOST[:PORT][/DB]              PORT 1..65535 (default 6379), DB 0..REDIS_URL_DB_MAX
 *   redis://:PASSWORD@HOST[:PORT][/DB]    a password means AUTH PASSWORD after connecting
 *   unix:PATH                             an absolute path to Redis's Unix socket
 * HOST as config_host_ok takes it (a DNS name, an IPv4 address or [IPv6]). PASSWORD is
 * 1..REDIS_URL_PASSWORD_MAX of the URL's unreserved and sub-delimiter characters
 * (A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; =), taken as written (no %-decoding). A user name
 * (Redis 6 ACL "user:password@") is refused.
 */
#ifndef JOKES_REDIS_URL_H
#define JOKES_REDIS_URL_H

#include <stddef.h>

#define REDIS_URL_HOST_MAX 255
#define REDIS_URL_PATH_MAX 107 /* sun_path less its NUL */
#define REDIS_URL_PASSWORD_MAX 256
#define REDIS_URL_DB_MAX 65535
#define REDIS_URL_DEFAULT_PORT 6379
#define REDIS_STREAM_MAX 128 /* redis_stream: 1..128 of A-Z a-z 0-9 . _ : - */

struct redis_url {
	int set;     /* 0: redis_url is empty, Redis is off; the rest is zero */
	int is_unix; /* 1: path; 0: host and port */
	char host[REDIS_URL_HOST_MAX + 1]; /* without the brackets of an IPv6 address */
	int port;
	char path[REDIS_URL_PATH_MAX + 1];
	char password[REDIS_URL_PASSWORD_MAX + 1]; /* "": no AUTH */
	int db;                                    /* SELECT db when not 0 */
};

/*
 * Parse s into *out (zeroed first; an empty s gives set = 0). 0, or -1 with *why set to a
 * short reason that never repeats the password.
 */
int redis_url_parse(const char *s, struct redis_url *out, const char **why);

/* 1 when name is a valid redis_stream value, else 0. */
int redis_stream_valid(const char *name);

/*
 * s with what is before its last '@' (the password) replaced by "***" into buf, for -n and
 * logs, parsed or not; returns buf.
 */
const char *redis_url_redact(const char *s, char *buf, size_t size);

#endif
