/* category_map.h - each source's own classification of a joke, mapped to our vocabulary. */
#ifndef JOKES_CRON_CATEGORY_MAP_H
#define JOKES_CRON_CATEGORY_MAP_H

#include <stddef.h>

/*
 * The longest value of a source's classification that is looked up (bytes). Every value a
 * source publishes is far shorter ("knock-knock", "Programming"); a longer one is not read.
 */
#define CATEGORY_MAP_VALUE_MAX 32

/*
 * Our category (one of lib/category.h's names, never anything else) for a source's own
 * classification: value (len bytes, compared exactly) when the table has it, else the
 * source's default when it has one (chucknorris: chuck, icanhazdadjoke: dad), else
 * CATEGORY_DEFAULT. value NULL: the source gave none (the source's default too).
 */
const char *category_map(const char *source, const char *value, size_t len);

/* 1 when the table has a row for value of source (len bytes), so a list can pick it. */
int category_map_known(const char *source, const char *value, size_t len);

#endif
