/* source.h - the joke sources: names, endpoints, politeness and their answer parsers. */
#ifndef JOKES_CRON_SOURCE_H
#define JOKES_CRON_SOURCE_H

#include "config.h"
#include "joke.h"

#include <jansson.h>
#include <stddef.h>

#define SOURCE_MAX 8

/* What a parser returns besides -1 (refused). */
enum source_parse_result {
	SOURCE_OK = 0,	     /* a joke to store */
	SOURCE_EXPLICIT = 1, /* a good joke its source marks explicit: not to be stored */
};

/*
 * A parser turns one HTTP body (len bytes, not NUL-terminated, hostile) into
 * j->source, j->source_id, the cleaned j->text and j->category (from the source's own
 * classification through cron/category_map.c; never outside the vocabulary). Returns
 * SOURCE_OK, SOURCE_EXPLICIT with j filled and the source's mark in err, or -1 with a
 * short reason in err. It never reads past len and never keeps pointers.
 */
typedef int (*source_parse_fn)(const char *body, size_t len, struct joke *j, char *err,
			       size_t errsize);

struct source {
	const char *name;
	size_t url_offset;     /* offset of its URL in struct config; 0 for bundled */
	source_parse_fn parse; /* NULL for bundled */
	int min_interval_secs; /* rest at least this long after each request (published budgets) */
};

/* Every known source, in the default order. */
const struct source *source_list(size_t *count);
/* The source called name, or NULL. */
const struct source *source_find(const char *name);
/* Its URL in cfg ("" for bundled). */
const char *source_url(const struct source *s, const struct config *cfg);

/*
 * Parse cfg->fetch_sources ("a, b, c") into out[SOURCE_MAX]. Returns the count, or
 * -1 after logging a line naming the key (unknown name, repeated name, empty list).
 */
int source_parse_list(const char *list, const struct source **out);

int source_parse_chucknorris(const char *body, size_t len, struct joke *j, char *err, size_t errsize);
int source_parse_icanhazdadjoke(const char *body, size_t len, struct joke *j, char *err, size_t errsize);
int source_parse_jokeapi(const char *body, size_t len, struct joke *j, char *err, size_t errsize);
int source_parse_official(const char *body, size_t len, struct joke *j, char *err, size_t errsize);

/* Helpers the parsers share (cron/source.c). */

/* The body as a JSON object, or NULL with err (not valid UTF-8, not JSON, not an object). */
json_t *source_json_object(const char *body, size_t len, char *err, size_t errsize);
/* id: a string of 1..JOKE_SOURCE_ID_MAX printable ASCII bytes, or a non-negative integer. */
int source_set_id(struct joke *j, const json_t *id, char *err, size_t errsize);
/* A string member, or NULL with err naming it. *len gets its length (NULs included). */
const char *source_string(const json_t *obj, const char *key, size_t *len, char *err,
			  size_t errsize);
/* Clean text (or "part1\npart2" when part2 is not NULL) into j->text; 0 or -1 with err. */
int source_set_text(struct joke *j, const char *part1, size_t len1, const char *part2,
		    size_t len2, char *err, size_t errsize);

/*
 * j->category from a source's classification v, a JSON string (NULL: the member is missing):
 * a string of 1..CATEGORY_MAP_VALUE_MAX bytes without NUL is looked up (category_map); a
 * missing one is the source's default; any other type or length is CATEGORY_DEFAULT. It
 * never refuses the joke: a joke is still good when its classification is not.
 */
void source_set_category(struct joke *j, const json_t *v);
/*
 * The same for an array of such strings (chucknorris.io's "categories"): the first element
 * the table knows decides, else the source's default (also for [] or no member); not an
 * array, more than SOURCE_CATEGORY_LIST_MAX elements, or one element that is not such a
 * string: CATEGORY_DEFAULT.
 */
#define SOURCE_CATEGORY_LIST_MAX 16
void source_set_category_list(struct joke *j, const json_t *v);
/* 1 when v is an array with the string s among its elements (others ignored), else 0. */
int source_list_has(const json_t *v, const char *s);

#endif
