/* accept.h - a worker's listener: accept in bursts, shed when out of descriptors.
 *
 * The listening socket is adopted by lws as a raw file descriptor; each time
 * it is readable the worker accepts up to a burst of connections and hands
 * each to lws as a new HTTP connection (which may upgrade to WebSocket).
 */
#ifndef PUSHD_ACCEPT_H
#define PUSHD_ACCEPT_H

#include "wstate.h"

/* Accept what is waiting on lfd (at most a burst); none while stopping. */
void accept_burst(struct worker *w, int lfd);

#endif
