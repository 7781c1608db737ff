/* sock.h - listening sockets of jokes-pushd: TCP (optionally SO_REUSEPORT) and
 * Unix stream sockets with the stale-socket probe and mode 0660.
 */
#ifndef PUSHD_SOCK_H
#define PUSHD_SOCK_H

/* 1 when addr is "unix:/path" (path then points after "unix:"). */
int sock_is_unix(const char *addr, const char **path);

/*
 * A non-blocking listening socket on "HOST:PORT" ("[v6]:PORT" too). Returns the
 * fd, or -1 after one log line with *ex set: 78 bad address, 75 in use, 74 other.
 */
int sock_tcp_listen(const char *hostport, int reuseport, int *ex);

/*
 * A non-blocking listening Unix socket at path, mode 0660, group set when
 * group is not empty. An existing socket file nobody answers on is replaced
 * (one log line); a live one gives -1 with *ex = 75; a missing directory or a
 * non-socket file 73; an unknown group 78.
 */
int sock_unix_listen(const char *path, const char *group, int *ex);

/* Set O_NONBLOCK and FD_CLOEXEC. 0 or -1. */
int sock_nonblock(int fd);

#endif
