/* lock.c - flock-based exclusion of overlapping jokes-fetch runs. */
#include "lock.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

int
lock_take(const char *path, int *exit_code)
{
	mode_t old = umask(022); /* 0644 whatever umask cron gave us */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

	umask(old);

	if (fd < 0 && errno == EACCES) { /* flock needs no write access: leave it to the database */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 && errno == ENOENT)
			errno = EACCES; /* no lock file, and no right to create one */
	}
	if (fd < 0) {
		*exit_code = errno == EACCES || errno == EPERM || errno == EROFS ? EX_NOPERM
										  : EX_CANTCREAT;
		log_error("%s: cannot open the lock file: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		*exit_code = e == EWOULDBLOCK ? EX_TEMPFAIL : EX_IOERR;
		if (e == EWOULDBLOCK)
			log_error("%s: another jokes-fetch is running; leaving this run", path);
		else
			log_error("%s: cannot lock: %s", path, strerror(e));
		close(fd);
		return -1;
	}
	return fd;
}
