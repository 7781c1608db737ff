/* reload.h - SIGHUP in jokes-pushd: the configuration again, minus what cannot change while running.
 *
 * Both the parent and every worker reload (each holds its own copy). A worker's
 * replay ring is allocated once with room for pushd_max_backlog jokes beyond
 * the replay window (ring.h): a larger backlog at run time would let a client
 * fall further behind than the ring holds, so it is refused until a restart.
 * Lowering it is fine.
 */
#ifndef PUSHD_RELOAD_H
#define PUSHD_RELOAD_H

#include "config.h"

enum reload_result {
	RELOAD_OK,
	RELOAD_FAILED,	     /* errors in the file: cfg unchanged */
	RELOAD_KEPT_BACKLOG, /* reloaded, but pushd_max_backlog kept at its old value */
};

/*
 * Reload cfg from its file, environment and flags. slack: the pushd_max_backlog
 * the rings were made for. On RELOAD_KEPT_BACKLOG *asked (may be NULL) is the
 * refused value. Logs nothing: the caller says what it means.
 */
enum reload_result reload_config(struct config *cfg, long slack, long *asked);

#endif
