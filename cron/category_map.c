/*
 * category_map.c - the one table from a source's own classification (JokeAPI's "category",
 * the Official Joke API's "type", chucknorris.io's "categories") to our category names.
 */
#include "category_map.h"

#include "category.h"

#include <string.h>

struct category_row {
	const char *source;
	const char *value; /* NULL: the source's default, for a value not in the table or none */
	const char *category;
};

/* Anything a source says that is not here is CATEGORY_DEFAULT ("misc"), or its default. */
static const struct category_row rows[] = {
	{"jokeapi", "Programming", "programming"},
	{"jokeapi", "Misc", "misc"},
	{"jokeapi", "Pun", "pun"},
	{"jokeapi", "Spooky", "spooky"},
	{"jokeapi", "Christmas", "christmas"},
	{"official", "general", "misc"},
	{"official", "programming", "programming"},
	{"official", "knock-knock", "knock-knock"},
	{"official", "dad", "dad"},
	{"chucknorris", "dev", "programming"},
	{"chucknorris", NULL, "chuck"},
	{"icanhazdadjoke", NULL, "dad"},
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* 1 when row r is for source and value (len bytes; NULL: the source's default row). */
static int
row_is(const struct category_row *r, const char *source, const char *value, size_t len)
{
	if (strcmp(r->source, source) != 0)
		return 0;
	if (r->value == NULL || value == NULL)
		return r->value == value;
	return strlen(r->value) == len && memcmp(r->value, value, len) == 0;
}

static const struct category_row *
find(const char *source, const char *value, size_t len)
{
	for (size_t i = 0; i < NROWS; i++)
		if (row_is(&rows[i], source, value, len))
			return &rows[i];
	return NULL;
}

int
category_map_known(const char *source, const char *value, size_t len)
{
	return value != NULL && find(source, value, len) != NULL;
}

const char *
category_map(const char *source, const char *value, size_t len)
{
	const struct category_row *r = value ? find(source, value, len) : NULL;

	if (r == NULL)
		r = find(source, NULL, 0);
	/* the table is ours, but a name outside the vocabulary must never reach the database */
	return r != NULL && category_valid(r->category) ? r->category : CATEGORY_DEFAULT;
}
