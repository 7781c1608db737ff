/* listener.c - the parent's accept loop, with a rest after a failure (see listener.h). */
#include "listener.h"

#include "log.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LISTENER_PAUSE_MS 250	     /* a listener whose accept() failed rests this long */
#define LISTENER_SAY_MS (60 * 1000) /* and says so at most this often */

int64_t listener_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * accept() failed: 1 when errno means "try again now" (a signal, a client that left), 0 when
 * there is nothing more to take now, or after a real failure such as EMFILE: then the
 * connection stays queued, and the listener rests.
 */
static int failed(struct listener *l)
{
	int64_t now;

	if (errno == EINTR || errno == ECONNABORTED)
		return 1;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	now = listener_now_ms();
	l->until = now + LISTENER_PAUSE_MS;
	if (!l->said || now - l->said >= LISTENER_SAY_MS) {
		log_warn("%s: accept: %s; retrying every %d ms", l->name, strerror(errno),
			 LISTENER_PAUSE_MS);
		l->said = now;
	}
	return 0;
}

void listener_accept(struct listener *l, int (*take)(void *ctx, int fd), void *ctx)
{
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (failed(l))
				continue;
			return;
		}
		if (take(ctx, fd) < 0)
			close(fd);
	}
}

int listener_poll_fd(const struct listener *l, int64_t now, int *timeout)
{
	if (l->fd < 0 || now >= l->until)
		return l->fd;
	if (l->until - now < *timeout)
		*timeout = (int)(l->until - now);
	return -1;
}
