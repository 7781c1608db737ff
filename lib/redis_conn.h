/* redis_conn.h - a blocking Redis connection (hiredis) with bounded waits.
 *
 * For jokes-fetch, which adds a few entries per run and leaves: connect within a timeout,
 * then every command waits at most the same timeout (redisSetTimeout: SO_RCVTIMEO and
 * SO_SNDTIMEO), AUTH when the URL has a password, SELECT when it names a database other
 * than 0. Name resolution (getaddrinfo) is not bounded by hiredis 0.14: give an address, or
 * a name /etc/hosts answers, where that matters.
 */
#ifndef JOKES_REDIS_CONN_H
#define JOKES_REDIS_CONN_H

#include "redis_url.h"

#include <stddef.h>

struct redisContext;

enum redis_conn_status {
	REDIS_CONN_OK = 0,
	REDIS_CONN_DOWN,    /* cannot connect, timed out, connection lost: try again later */
	REDIS_CONN_REFUSED, /* Redis answered with an error: wrong password, NOAUTH, bad db */
};

/*
 * Connect to u (u->set must be 1). Returns the context, or NULL with *status set and a
 * short reason in err (never the password), nothing logged. Close with redis_conn_close.
 */
struct redisContext *redis_conn_open(const struct redis_url *u, int timeout_ms,
				     enum redis_conn_status *status, char *err, size_t errsize);

/* Close c; NULL allowed. */
void redis_conn_close(struct redisContext *c);

/*
 * One command, argv[0..argc) of lens[i] bytes each. Returns the reply (the caller frees it
 * with freeReplyObject) when it is not an error reply; NULL with *status and err set
 * otherwise (an error reply's text is copied into err, REDIS_CONN_REFUSED).
 */
struct redisReply *redis_conn_command(struct redisContext *c, int argc, const char **argv,
				      const size_t *lens, enum redis_conn_status *status,
				      char *err, size_t errsize);

#endif
