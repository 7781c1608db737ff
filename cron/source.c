/* source.c - the table of joke sources and the JSON helpers their parsers share. */
#include "source.h"

#include "category_map.h"
#include "log.h"
#include "text.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Published budgets: the Official Joke API allows 100 requests per hour per IP, so it
 * rests 36 s after each request; JokeAPI allows 120 per minute; chucknorris.io and
 * icanhazdadjoke publish none (icanhazdadjoke asks for a User-Agent, which we send).
 */
static const struct source sources[] = {
	{"chucknorris", offsetof(struct config, fetch_chucknorris_url), source_parse_chucknorris, 0},
	{"icanhazdadjoke", offsetof(struct config, fetch_icanhazdadjoke_url),
	 source_parse_icanhazdadjoke, 0},
	{"jokeapi", offsetof(struct config, fetch_jokeapi_url), source_parse_jokeapi, 1},
	{"official", offsetof(struct config, fetch_official_url), source_parse_official, 36},
	{"bundled", 0, NULL, 0},
};

#define NSOURCES (sizeof(sources) / sizeof(sources[0]))
_Static_assert(NSOURCES <= SOURCE_MAX, "SOURCE_MAX holds every source");

const struct source *
source_list(size_t *count)
{
	*count = NSOURCES;
	return sources;
}

const struct source *
source_find(const char *name)
{
	for (size_t i = 0; i < NSOURCES; i++)
		if (strcmp(sources[i].name, name) == 0)
			return &sources[i];
	return NULL;
}

const char *
source_url(const struct source *s, const struct config *cfg)
{
	return s->url_offset ? (const char *)cfg + s->url_offset : "";
}

int
source_parse_list(const char *list, const struct source **out)
{
	char name[64];
	int n = 0;

	for (const char *p = list; *p;) {
		size_t len;
		p += strspn(p, " \t,");
		len = strcspn(p, " \t,");
		if (len == 0)
			break;
		if (len >= sizeof(name) || n >= SOURCE_MAX) {
			log_error("fetch_sources: \"%.*s\" is not a source", (int)len, p);
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		out[n] = source_find(name);
		if (out[n] == NULL) {
			log_error("fetch_sources: unknown source \"%s\"", name);
			return -1;
		}
		for (int i = 0; i < n; i++)
			if (out[i] == out[n]) {
				log_error("fetch_sources: source \"%s\" given twice", name);
				return -1;
			}
		n++;
		p += len;
	}
	if (n == 0)
		log_error("fetch_sources: no source given");
	return n > 0 ? n : -1;
}

static int
fail(char *err, size_t errsize, const char *why)
{
	snprintf(err, errsize, "%s", why);
	return -1;
}

json_t *
source_json_object(const char *body, size_t len, char *err, size_t errsize)
{
	json_error_t jerr;
	json_t *root;
	size_t bad;

	if (len == 0) {
		fail(err, errsize, "empty answer");
		return NULL;
	}
	/*
	 * Refused, not repaired: a joke of U+FFFD marks is no joke, and the next source may
	 * have a good one. jansson checks the bytes too, but says only "unable to decode byte".
	 * \u escapes that make a lone surrogate are refused by jansson itself.
	 */
	bad = text_utf8_error(body, len);
	if (bad < len) {
		snprintf(err, errsize, "answer is not valid UTF-8 (byte %zu)", bad);
		return NULL;
	}
	root = json_loadb(body, len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, errsize, "not JSON: %.60s", jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		fail(err, errsize, "answer is not a JSON object");
		return NULL;
	}
	return root;
}

int
source_set_id(struct joke *j, const json_t *id, char *err, size_t errsize)
{
	const char *s;
	size_t len;

	if (json_is_integer(id) && json_integer_value(id) >= 0) {
		snprintf(j->source_id, sizeof(j->source_id), "%lld",
			 (long long)json_integer_value(id));
		return 0;
	}
	if (!json_is_string(id))
		return fail(err, errsize, "id missing or not a string or number");
	s = json_string_value(id);
	len = json_string_length(id);
	if (len == 0 || len > JOKE_SOURCE_ID_MAX)
		return fail(err, errsize, "id empty or too long");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return fail(err, errsize, "id holds a byte outside printable ASCII");
	memcpy(j->source_id, s, len + 1);
	return 0;
}

const char *
source_string(const json_t *obj, const char *key, size_t *len, char *err, size_t errsize)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_string(v)) {
		snprintf(err, errsize, "\"%s\" missing or not a string", key);
		return NULL;
	}
	*len = json_string_length(v);
	return json_string_value(v);
}

int
source_set_text(struct joke *j, const char *part1, size_t len1, const char *part2, size_t len2,
		char *err, size_t errsize)
{
	char *both;
	int rc;

	if (part2 == NULL)
		return text_clean(part1, len1, j->text, sizeof(j->text), err, errsize) < 0 ? -1 : 0;
	both = malloc(len1 + len2 + 2);
	if (both == NULL)
		return fail(err, errsize, "out of memory");
	memcpy(both, part1, len1);
	both[len1] = '\n';
	memcpy(both + len1 + 1, part2, len2);
	rc = text_clean(both, len1 + len2 + 1, j->text, sizeof(j->text), err, errsize);
	free(both);
	return rc < 0 ? -1 : 0;
}

/* v as a value worth looking up: a string of 1..CATEGORY_MAP_VALUE_MAX bytes, no NUL. */
static const char *
category_value(const json_t *v, size_t *len)
{
	const char *s;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	*len = json_string_length(v);
	if (*len == 0 || *len > CATEGORY_MAP_VALUE_MAX || memchr(s, '\0', *len) != NULL)
		return NULL;
	return s;
}

static void
set_category(struct joke *j, const char *name)
{
	snprintf(j->category, sizeof(j->category), "%s", name);
}

void
source_set_category(struct joke *j, const json_t *v)
{
	const char *s;
	size_t len;

	if (v == NULL) {
		set_category(j, category_map(j->source, NULL, 0));
		return;
	}
	s = category_value(v, &len);
	set_category(j, s ? category_map(j->source, s, len) : CATEGORY_DEFAULT);
}

void
source_set_category_list(struct joke *j, const json_t *v)
{
	const char *s, *pick = NULL;
	size_t n, len, pick_len = 0;

	if (v == NULL) {
		set_category(j, category_map(j->source, NULL, 0));
		return;
	}
	n = json_is_array(v) ? json_array_size(v) : SOURCE_CATEGORY_LIST_MAX + 1;
	if (n > SOURCE_CATEGORY_LIST_MAX) {
		set_category(j, CATEGORY_DEFAULT);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		s = category_value(json_array_get(v, i), &len);
		if (s == NULL) {
			set_category(j, CATEGORY_DEFAULT);
			return;
		}
		if (pick == NULL && category_map_known(j->source, s, len)) {
			pick = s;
			pick_len = len;
		}
	}
	set_category(j, category_map(j->source, pick, pick_len));
}

int
source_list_has(const json_t *v, const char *s)
{
	size_t n = json_is_array(v) ? json_array_size(v) : 0, len = strlen(s);

	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);
		if (json_is_string(e) && json_string_length(e) == len &&
		    memcmp(json_string_value(e), s, len) == 0)
			return 1;
	}
	return 0;
}
