/* redis_uv.h - a hiredis async connection driven by a libuv loop: what hiredis's
 * adapters/libuv.h does, but for one thing. libuv reports a socket error (POLLERR: a refused
 * connect, a reset) as a status < 0 and stops the handle; that adapter (hiredis 0.14) ignores
 * it, so a connect to a Redis that is down never ended (until the caller's own deadline).
 * Here the error goes to hiredis (redisAsyncHandleWrite while connecting, which reads the
 * connect's result; redisAsyncHandleRead after), which finds the cause and disconnects.
 */
#ifndef PUSHD_REDIS_UV_H
#define PUSHD_REDIS_UV_H

#include <hiredis/async.h>
#include <uv.h>

/*
 * Watch ac's socket on loop with a uv_poll_t of its own, freed (uv_close) when hiredis lets
 * go of ac. 0, or -1 when memory is short or libuv refuses the descriptor (ac untouched).
 */
int redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop);

#endif
