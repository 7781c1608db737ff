/* cmdq.h - the parent's commands to one worker, so that none is lost.
 *
 * Commands are single bytes on a non-blocking stream socket (worker.h). When
 * the socket is full (a busy or stopped worker), a command waits here and is
 * written when the socket can take it. Each command is pending at most once:
 * a second wake-up, reload or stop is merged into the one already waiting
 * (the worker reads the newest file and the newest rows anyway), so the
 * queue has a fixed size and order is kept.
 */
#ifndef PUSHD_CMDQ_H
#define PUSHD_CMDQ_H

#define CMDQ_MAX 3 /* distinct commands: notify, reload, stop */

struct cmdq {
	char cmd[CMDQ_MAX];
	int len;
};

void cmdq_reset(struct cmdq *q);

/*
 * Queue cmd (merged when already pending) and write what is pending to fd.
 * 0 all written, 1 some still pending (poll fd for POLLOUT, then cmdq_flush),
 * -1 the socket failed (errno set; the queue is kept).
 */
int cmdq_send(struct cmdq *q, int fd, char cmd);

/* Write what is pending. Same returns as cmdq_send. */
int cmdq_flush(struct cmdq *q, int fd);

/* 1 when something waits for the socket to become writable. */
int cmdq_pending(const struct cmdq *q);

#endif
