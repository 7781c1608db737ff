/* notify.c - send one notify line to jokes-pushd with a bounded wait. */
#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long
ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

static int
wait_writable(int fd, const struct timespec *deadline)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	long left = ms_left(deadline);
	int rc;

	if (left <= 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	rc = poll(&p, 1, (int)left);
	if (rc == 0)
		errno = ETIMEDOUT;
	return rc > 0 ? 0 : -1;
}

int
notify_send(const char *path, const struct joke *j, int timeout_ms)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char line[NOTIFY_LINE_MAX];
	struct timespec deadline;
	int fd, n, err = 0;
	size_t off = 0;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	n = joke_dump(j, line, sizeof(line) - 1);
	if (n < 0) {
		errno = EMSGSIZE;
		return -1;
	}
	line[n++] = '\n';
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* A full listen backlog answers EAGAIN at once: try again until the deadline. */
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (errno == EINPROGRESS) {
			if (wait_writable(fd, &deadline) < 0)
				goto fail;
			break;
		}
		if (errno != EAGAIN && errno != EINTR)
			goto fail;
		if (ms_left(&deadline) <= 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		usleep(2000);
	}
	while (off < (size_t)n) {
		ssize_t w = send(fd, line + off, (size_t)n - off, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			goto fail;
		if (wait_writable(fd, &deadline) < 0)
			goto fail;
	}
	close(fd);
	return 0;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}
