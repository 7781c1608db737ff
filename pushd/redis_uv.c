/* redis_uv.c - a hiredis async connection driven by a libuv loop (see redis_uv.h). */
#include "redis_uv.h"

#include <stdlib.h>

struct rio {
	uv_poll_t poll;
	redisAsyncContext *ac; /* NULL once hiredis let go of it */
	int events;
};

static void rio_cb(uv_poll_t *h, int status, int events)
{
	struct rio *io = h->data;

	if (io->ac && status < 0) {
		if (io->ac->c.flags & REDIS_CONNECTED)
			redisAsyncHandleRead(io->ac);
		else
			redisAsyncHandleWrite(io->ac); /* hiredis checks the connect's result */
		return;
	}
	if (io->ac && (events & UV_READABLE))
		redisAsyncHandleRead(io->ac);
	if (io->ac && (events & UV_WRITABLE))
		redisAsyncHandleWrite(io->ac);
}

static void rio_update(struct rio *io, int add, int ev)
{
	io->events = add ? io->events | ev : io->events & ~ev;
	if (io->events)
		uv_poll_start(&io->poll, io->events, rio_cb);
	else
		uv_poll_stop(&io->poll);
}

static void rio_add_read(void *p)
{
	rio_update(p, 1, UV_READABLE);
}
static void rio_del_read(void *p)
{
	rio_update(p, 0, UV_READABLE);
}
static void rio_add_write(void *p)
{
	rio_update(p, 1, UV_WRITABLE);
}
static void rio_del_write(void *p)
{
	rio_update(p, 0, UV_WRITABLE);
}

static void rio_closed(uv_handle_t *h)
{
	free(h->data);
}

static void rio_cleanup(void *p)
{
	struct rio *io = p;

	io->ac = NULL;
	uv_close((uv_handle_t *)&io->poll, rio_closed);
}

int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
	struct rio *io = calloc(1, sizeof(*io));

	if (!io)
		return -1;
	if (uv_poll_init(loop, &io->poll, ac->c.fd)) {
		free(io);
		return -1;
	}
	io->poll.data = io;
	io->ac = ac;
	ac->ev.data = io;
	ac->ev.addRead = rio_add_read;
	ac->ev.delRead = rio_del_read;
	ac->ev.addWrite = rio_add_write;
	ac->ev.delWrite = rio_del_write;
	ac->ev.cleanup = rio_cleanup;
	return 0;
}
