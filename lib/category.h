/* category.h - the fixed vocabulary of joke categories, their bits and the ?category= list.
 *
 * Every joke has exactly one category. A category's bit is 1 << its index in the
 * vocabulary (the order below never changes; new names are appended), so a set of
 * categories is one unsigned mask and "does this client want this joke" is one AND.
 */
#ifndef JOKES_CATEGORY_H
#define JOKES_CATEGORY_H

#include <stddef.h>

#define CATEGORY_COUNT 8
#define CATEGORY_NAME_MAX 15  /* longest name ("knock-knock") fits with room */
#define CATEGORY_LIST_MAX 128 /* bytes of one ?category= value after decoding */
#define CATEGORY_ALL ((1u << CATEGORY_COUNT) - 1)
#define CATEGORY_DEFAULT "misc" /* what a joke gets when nothing says otherwise */

/* The name of category i (0 <= i < CATEGORY_COUNT), else NULL. */
const char *category_name(int i);

/* The index of an exact, lower-case name (len bytes), else -1. */
int category_index(const char *name, size_t len);

/* 1 when name (NUL-terminated) is a known category. */
int category_valid(const char *name);

/* The bit of a known name (NUL-terminated), 0 for an unknown one. */
unsigned category_bit(const char *name);

/* "programming, dad, …": every name, for help texts and error messages. */
const char *category_known(void);

/*
 * Parse one ?category= value (already percent-decoded, len bytes): 1 to
 * CATEGORY_COUNT names separated by single commas, ASCII letters matched
 * without regard to case. Empty, an unknown or repeated name, an empty item,
 * a space, more than CATEGORY_LIST_MAX bytes: refused. Returns 0 with *mask
 * set, or -1 with a short reason in err (which names the known categories
 * when a name is unknown).
 */
int category_parse_list(const char *s, size_t len, unsigned *mask, char *err, size_t errsize);

/* The names in mask, comma-separated and in vocabulary order, into out. Returns the length. */
size_t category_format_list(unsigned mask, char *out, size_t size);

#endif
