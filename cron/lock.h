/* lock.h - the exclusive run lock of jokes-fetch (flock on a file beside the database). */
#ifndef JOKES_CRON_LOCK_H
#define JOKES_CRON_LOCK_H

/*
 * Open or create path and take an exclusive, non-blocking flock on it. Returns the
 * descriptor (kept open for the run), or -1 with one line logged and *exit_code
 * set: 75 when another run holds it, 77 when permission is denied, 73 otherwise.
 */
int lock_take(const char *path, int *exit_code);

#endif
