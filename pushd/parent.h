/* parent.h - the jokes-pushd parent: owns the sockets, the notify listener and
 * the metrics listener, starts the workers, relays every notify to each of
 * them, restarts a worker that dies, and stops them all on SIGTERM.
 */
#ifndef PUSHD_PARENT_H
#define PUSHD_PARENT_H

#include "config.h"

/* Run the daemon in the foreground. Returns the process exit code. */
int parent_run(struct config *cfg);

#endif
