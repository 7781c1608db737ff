/* redis_conn.c - blocking hiredis connection: bounded connect and commands, AUTH, SELECT. */
#include "redis_conn.h"

#include <hiredis.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static void
set_err(char *err, size_t errsize, const char *what, const char *why)
{
	snprintf(err, errsize, "%s: %s", what, why);
}

struct redisReply *
redis_conn_command(struct redisContext *c, int argc, const char **argv, const size_t *lens,
		   enum redis_conn_status *status, char *err, size_t errsize)
{
	redisReply *r = redisCommandArgv(c, argc, argv, lens);

	if (r == NULL) {
		*status = REDIS_CONN_DOWN;
		set_err(err, errsize, argv[0], c->errstr[0] ? c->errstr : "no answer");
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		*status = REDIS_CONN_REFUSED;
		set_err(err, errsize, argv[0], r->str);
		freeReplyObject(r);
		return NULL;
	}
	*status = REDIS_CONN_OK;
	return r;
}

/* AUTH and SELECT as the URL asks; 0, or -1 with *status and err set. */
static int
handshake(redisContext *c, const struct redis_url *u, enum redis_conn_status *status,
	  char *err, size_t errsize)
{
	char db[16];
	const char *argv[2];
	size_t lens[2];
	redisReply *r;

	if (u->password[0] != '\0') {
		argv[0] = "AUTH", lens[0] = 4;
		argv[1] = u->password, lens[1] = strlen(u->password);
		r = redis_conn_command(c, 2, argv, lens, status, err, errsize);
		if (r == NULL)
			return -1;
		freeReplyObject(r);
	}
	if (u->db != 0) {
		snprintf(db, sizeof(db), "%d", u->db);
		argv[0] = "SELECT", lens[0] = 6;
		argv[1] = db, lens[1] = strlen(db);
		r = redis_conn_command(c, 2, argv, lens, status, err, errsize);
		if (r == NULL)
			return -1;
		freeReplyObject(r);
	}
	return 0;
}

struct redisContext *
redis_conn_open(const struct redis_url *u, int timeout_ms, enum redis_conn_status *status,
		char *err, size_t errsize)
{
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	redisContext *c;

	if (u->is_unix)
		c = redisConnectUnixWithTimeout(u->path, tv);
	else
		c = redisConnectWithTimeout(u->host, u->port, tv);
	*status = REDIS_CONN_DOWN;
	if (c == NULL) {
		set_err(err, errsize, "connect", "out of memory");
		return NULL;
	}
	if (c->err) {
		set_err(err, errsize, "connect", c->errstr);
		redisFree(c);
		return NULL;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		set_err(err, errsize, "setting the command timeout", c->errstr);
		redisFree(c);
		return NULL;
	}
	if (handshake(c, u, status, err, errsize) < 0) {
		redisFree(c);
		return NULL;
	}
	*status = REDIS_CONN_OK;
	return c;
}

void
redis_conn_close(struct redisContext *c)
{
	if (c != NULL)
		redisFree(c);
}
