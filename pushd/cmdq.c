/* cmdq.c - the parent's pending commands to one worker (see cmdq.h). */
#include "cmdq.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void cmdq_reset(struct cmdq *q)
{
	q->len = 0;
}

int cmdq_flush(struct cmdq *q, int fd)
{
	while (q->len) {
		ssize_t n = write(fd, q->cmd, (size_t)q->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -1;
		memmove(q->cmd, q->cmd + n, (size_t)(q->len - (int)n));
		q->len -= (int)n;
	}
	return 0;
}

int cmdq_send(struct cmdq *q, int fd, char cmd)
{
	if (!memchr(q->cmd, cmd, (size_t)q->len)) {
		if (q->len == CMDQ_MAX) { /* cannot happen with the three commands of worker.h */
			errno = ENOBUFS;
			return -1;
		}
		q->cmd[q->len++] = cmd;
	}
	return cmdq_flush(q, fd);
}

int cmdq_pending(const struct cmdq *q)
{
	return q->len > 0;
}
