/* notify.h - the wake-up line jokes-fetch sends to jokes-pushd's notify socket.
 *
 * One joke record as compact JSON followed by '\n', at most NOTIFY_LINE_MAX bytes,
 * on a Unix stream socket. Delivery is at-least-once and only a wake-up: pushd
 * reads the rows from the database itself.
 */
#ifndef JOKES_NOTIFY_H
#define JOKES_NOTIFY_H

#include "joke.h"

/*
 * Connect to path and send the record of j as one line, giving up after
 * timeout_ms in all. Returns 0, or -1 with errno set (ENOENT, ECONNREFUSED,
 * ETIMEDOUT, ...) and nothing logged: the caller decides how loud to be.
 */
int notify_send(const char *path, const struct joke *j, int timeout_ms);

#endif
