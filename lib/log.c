/* log.c - stderr logging: "prog: level: message", one line each, errno preserved. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *log_prog = "jokes";
static enum log_level log_max = LOG_LEVEL_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void
log_init(const char *prog, enum log_level level)
{
	log_prog = prog;
	log_max = level;
}

void
log_set_level(enum log_level level)
{
	log_max = level;
}

enum log_level
log_get_level(void)
{
	return log_max;
}

int
log_level_parse(const char *name)
{
	for (int i = 0; i <= LOG_LEVEL_DEBUG; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	return level_names[level];
}

static void
log_emit(enum log_level level, const char *fmt, va_list ap)
{
	char line[1024];
	int saved = errno;

	if (level > log_max) {
		errno = saved;
		return;
	}
	vsnprintf(line, sizeof(line), fmt, ap);
	/* One write per line so lines from several processes do not interleave. */
	fprintf(stderr, "%s: %s: %s\n", log_prog, level_names[level], line);
	errno = saved;
}

#define LOG_FN(name, level)                                                                        \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_emit(level, fmt, ap);                                                          \
		va_end(ap);                                                                        \
	}

LOG_FN(log_error, LOG_LEVEL_ERROR)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)
