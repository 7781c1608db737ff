/*
 * log.c - stderr logging: "prog: level: message", one line each, errno preserved. A message
 * may carry what a peer sent (an Origin, a Host, an API's error body): every control byte and
 * every byte that is not valid UTF-8 is written as \xHH, so a line stays one line and no
 * terminal escape gets through. A call site that logs more than LOG_BURST lines in a second
 * (a peer repeating a bad request) is held back until the next second, which begins with one
 * line saying how many were held; debug lines, asked for, are never held back.
 */
#include "log.h"

#include "joke.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LOG_BURST 50 /* lines of one call site (format) per second before the rest are held */
#define LOG_SITES 16 /* call sites tracked at once; the least recent one gives way */

/* The module's state: what log_init set, and the recent call sites (one process each). */
static const char *log_prog = "jokes";
static enum log_level log_max = LOG_LEVEL_INFO;
static struct site {
	const char *fmt;
	long sec;	  /* the second its count is for */
	unsigned lines;	  /* written in that second */
	unsigned held;	  /* held back in that second */
} sites[LOG_SITES];

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

/* in as text: control bytes and bytes outside valid UTF-8 as \xHH, cut to fit out. */
static void
escape(const char *in, char *out, size_t size)
{
	size_t o = 0, n = strlen(in);

	for (size_t i = 0; i < n && o + 5 < size;) {
		unsigned char c = (unsigned char)in[i];
		size_t len = c >= 0x80 ? utf8_seq_len(in + i, n - i) : (c >= 0x20 && c != 0x7f);

		if (len == 0) {
			snprintf(out + o, size - o, "\\x%02x", c);
			o += 4;
			i++;
			continue;
		}
		if (o + len + 1 >= size)
			break;
		memcpy(out + o, in + i, len);
		o += len;
		i += len;
	}
	out[o] = '\0';
}

static long
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long)ts.tv_sec;
}

/* 1 when this call site may write now; says once per site how many lines were held. */
static int
site_allows(const char *fmt)
{
	long now = now_sec();
	struct site *s = NULL, *oldest = &sites[0];

	for (int i = 0; i < LOG_SITES; i++) {
		struct site *t = &sites[i];
		if (t->sec != now && t->held) {
			fprintf(stderr, "%s: warn: %u more lines like \"%.60s\" held back\n", log_prog,
				t->held, t->fmt);
			t->held = 0;
		}
		if (t->fmt == fmt)
			s = t;
		else if (t->sec < oldest->sec)
			oldest = t;
	}
	if (s == NULL)
		*(s = oldest) = (struct site){.fmt = fmt, .sec = now};
	else if (s->sec != now)
		*s = (struct site){.fmt = fmt, .sec = now};
	if (++s->lines <= LOG_BURST)
		return 1;
	s->held++;
	return 0;
}

static void
log_emit(enum log_level level, const char *fmt, va_list ap)
{
	char line[1024], shown[1024];
	int saved = errno;

	if (level > log_max || (level != LOG_LEVEL_DEBUG && !site_allows(fmt))) {
		errno = saved;
		return;
	}
	vsnprintf(line, sizeof(line), fmt, ap);
	escape(line, shown, sizeof(shown));
	/* One write per line so lines from several processes do not interleave. */
	fprintf(stderr, "%s: %s: %s\n", log_prog, level_names[level], shown);
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
