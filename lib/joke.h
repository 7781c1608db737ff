/* joke.h - the joke record every part agrees on, its limits and its JSON.
 *
 * Wire shape (notify line, WebSocket message body, JSON API):
 *   {"id":42,"text":"…","source":"chucknorris","category":"chuck","fetched_at":"2026-11-24T10:00:15Z"}
 * A two-part joke is one text with setup and punchline separated by one '\n'.
 */
#ifndef JOKES_JOKE_H
#define JOKES_JOKE_H

#include "category.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define JOKE_TEXT_MAX 2000	/* bytes of valid UTF-8 after cleaning */
#define JOKE_SOURCE_MAX 31	/* [a-z0-9_-], 1..31 bytes */
#define JOKE_SOURCE_ID_MAX 127	/* opaque id given by the source */
#define JOKE_TIME_LEN 20	/* "2026-11-24T10:00:15Z" */
#define NOTIFY_LINE_MAX 16384	/* one notify line, newline included */

struct joke {
	int64_t id; /* > 0 once stored */
	char source[JOKE_SOURCE_MAX + 1];
	char category[CATEGORY_NAME_MAX + 1]; /* one of lib/category.h's names */
	char source_id[JOKE_SOURCE_ID_MAX + 1];
	char fetched_at[JOKE_TIME_LEN + 1];
	char text[JOKE_TEXT_MAX + 1];
};

/* Length (1..4) of the valid UTF-8 sequence at s, given avail > 0 bytes; 0 when invalid. */
size_t utf8_seq_len(const char *s, size_t avail);

/* 1 when s[0..len) is valid UTF-8 (no overlongs, surrogates or NUL), else 0. */
int utf8_valid(const char *s, size_t len);

/* 1 when name is a valid source name ([a-z0-9_-]{1,31}). */
int joke_source_valid(const char *name);

/* 1 when t is "YYYY-MM-DDTHH:MM:SSZ" with digits in range. */
int joke_time_valid(const char *t);

/* Unix time of a valid "YYYY-MM-DDTHH:MM:SSZ" (joke_time_valid), else 0. */
int64_t joke_time_unix(const char *t);

/*
 * CLOCK_REALTIME in milliseconds: the one wall clock of jokes-fetch (slots, fetched_at,
 * rests). glibc's time() reads a coarser clock that can lag it by a tick, so a fetch
 * started at a whole second by this clock could be stamped with the second before.
 */
int64_t joke_wall_ms(void);

/* Current UTC time (joke_wall_ms) as "YYYY-MM-DDTHH:MM:SSZ" into out[JOKE_TIME_LEN + 1]. */
void joke_time_now(char *out);

/*
 * Normalised text used to spot the same joke from two sources: ASCII letters
 * lowered, every run of non-alphanumeric ASCII folded to one space, trimmed;
 * other UTF-8 bytes kept. out must hold JOKE_TEXT_MAX + 1 bytes.
 */
void joke_text_key(const char *text, char *out, size_t size);

/* The record as a new JSON object (caller decrefs), NULL on allocation failure. */
json_t *joke_to_json(const struct joke *j);

/*
 * Serialise the record, compact, into buf (NUL-terminated, no newline).
 * Returns the length, or -1 if it does not fit.
 */
int joke_dump(const struct joke *j, char *buf, size_t size);

/*
 * Fill j from a JSON object that has every one of the record's keys with valid
 * values (id > 0, source name, text 1..JOKE_TEXT_MAX bytes of UTF-8 without
 * NUL, fetched_at time). Members it does not know are ignored (a newer writer
 * may add some), a known one of the wrong type is refused. "category" may be
 * missing (a writer older than categories): the joke is then CATEGORY_DEFAULT;
 * a well-formed name this program does not know (a newer vocabulary's) is read
 * as CATEGORY_DEFAULT too, anything else ([a-z-], 1..CATEGORY_NAME_MAX) is
 * refused. Returns 0, or -1 with a short reason in err.
 */
int joke_from_json(const json_t *obj, struct joke *j, char *err, size_t errsize);

/* joke_from_json on one notify line of at most NOTIFY_LINE_MAX bytes. */
int joke_parse_line(const char *line, size_t len, struct joke *j, char *err, size_t errsize);

#endif
