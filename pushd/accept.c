/* accept.c - a worker's listener: accept bursts, shedding when out of descriptors. */
#include "accept.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACCEPT_BURST 64		 /* accepts per listener wake-up, so one flood does not starve */
#define SNDBUF_BYTES (32 * 1024) /* the kernel doubles it */

/* Out of descriptors: accept one with the spare and close it, so the backlog moves. */
static void shed(struct worker *w, int lfd)
{
	int c;

	if (w->spare_fd >= 0)
		close(w->spare_fd);
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c >= 0)
		close(c);
	w->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	stats_add(&w->st->refused_limit, 1);
	if (time(NULL) != w->emfile_said)
		log_warn("worker %d: out of file descriptors; refusing connections", w->a->index);
	w->emfile_said = time(NULL);
}

void accept_burst(struct worker *w, int lfd)
{
	for (int i = 0; i < ACCEPT_BURST && !w->stopping; i++) {
		int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE)
				shed(w, lfd);
			else if (errno != EAGAIN)
				log_warn("worker %d: accept: %s", w->a->index, strerror(errno));
			return;
		}
		/* a fixed send buffer bounds the kernel memory a stuck client can pin */
		setsockopt(c, SOL_SOCKET, SO_SNDBUF, &(int){SNDBUF_BYTES}, sizeof(int));
		if (!lws_adopt_socket_vhost(w->vh, c)) /* closes c on failure */
			stats_add(&w->st->refused_limit, 1);
	}
}
