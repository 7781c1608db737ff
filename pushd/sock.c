/* sock.c - listening sockets with the checks jokes-pushd needs (see sock.h). */
#include "sock.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#define SOCK_BACKLOG 4096

int sock_is_unix(const char *addr, const char **path)
{
	if (strncmp(addr, "unix:", 5))
		return 0;
	if (path)
		*path = addr + 5;
	return 1;
}

int sock_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Split "host:port" / "[v6]:port" into host and port. 0 or -1. */
static int split_hostport(const char *s, char *host, size_t hsize, char *port, size_t psize)
{
	const char *colon;
	size_t hlen;

	if (*s == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -1;
		s++;
		colon = end + 1;
		hlen = (size_t)(end - s);
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		hlen = (size_t)(colon - s);
	}
	if (!hlen || hlen >= hsize || !colon[1] || strlen(colon + 1) >= psize)
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memcpy(port, colon + 1, strlen(colon + 1) + 1);
	return strspn(port, "0123456789") == strlen(port) ? 0 : -1;
}

static int bind_listen(const struct addrinfo *ai, int reuseport)
{
	int one = 1;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, SOCK_BACKLOG)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int sock_tcp_listen(const char *hostport, int reuseport, int *ex)
{
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	char host[256], port[16];
	int fd, rc;

	if (split_hostport(hostport, host, sizeof(host), port, sizeof(port))) {
		log_error("%s: not HOST:PORT or unix:/path", hostport);
		*ex = EX_CONFIG;
		return -1;
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		log_error("%s: %s", hostport, gai_strerror(rc));
		*ex = EX_CONFIG;
		return -1;
	}
	fd = bind_listen(res, reuseport);
	if (fd < 0) {
		*ex = errno == EADDRINUSE ? EX_TEMPFAIL : EX_IOERR;
		log_error("listen on %s: %s", hostport, strerror(errno));
	}
	freeaddrinfo(res);
	return fd;
}

/* 1 when something accepts connections on path, 0 when nobody does. */
static int unix_alive(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int alive;

	if (fd < 0)
		return 0;
	alive = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0 || errno == EAGAIN;
	close(fd);
	return alive;
}

/* Check what is at path now: 0 free (maybe after removing a stale socket), else an exit code. */
static int unix_clear(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		log_error("%s: %s", path, strerror(errno));
		return EX_CANTCREAT;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_error("%s: exists and is not a socket", path);
		return EX_CANTCREAT;
	}
	if (unix_alive(sun)) {
		log_error("%s: another jokes-pushd is running on this socket", path);
		return EX_TEMPFAIL;
	}
	if (unlink(path) && errno != ENOENT) {
		log_error("%s: cannot remove stale socket: %s", path, strerror(errno));
		return EX_CANTCREAT;
	}
	log_info("%s: removed a stale socket nobody answered on", path);
	return 0;
}

/* chown to group (if any) and chmod 0660. 0, or an exit code. */
static int unix_perms(const char *path, const char *group)
{
	if (group && *group) {
		struct group *gr = getgrnam(group);
		if (!gr) {
			log_error("%s: no group named %s (pushd_socket_group, pushd_notify_group)", path,
				  group);
			return EX_CONFIG;
		}
		if (chown(path, (uid_t)-1, gr->gr_gid)) {
			log_error("%s: chown to group %s: %s", path, group, strerror(errno));
			return EX_CANTCREAT;
		}
	}
	if (chmod(path, 0660)) {
		log_error("%s: chmod: %s", path, strerror(errno));
		return EX_CANTCREAT;
	}
	return 0;
}

int sock_unix_listen(const char *path, const char *group, int *ex)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	mode_t old;
	int fd;

	if (!*path || strlen(path) >= sizeof(sun.sun_path)) {
		log_error("%s: Unix socket path empty or too long", path);
		*ex = EX_CONFIG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	*ex = unix_clear(path, &sun);
	if (*ex)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*ex = EX_OSERR;
		return -1;
	}
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, SOCK_BACKLOG)) {
		int e = errno;
		umask(old);
		log_error("%s: cannot listen: %s", path, strerror(e));
		close(fd);
		*ex = e == EADDRINUSE ? EX_TEMPFAIL : EX_CANTCREAT;
		return -1;
	}
	umask(old);
	*ex = unix_perms(path, group);
	if (*ex) {
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}
