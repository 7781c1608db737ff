/* category.c - the joke categories: one table, name <-> bit, and the ?category= list parser. */
#include "category.h"

#include <stdio.h>
#include <string.h>

/* Append only: a name's position is its bit, which pushd and the page rely on. */
static const char *const names[CATEGORY_COUNT] = {
    "programming", "dad", "pun", "knock-knock", "chuck", "spooky", "christmas", "misc",
};

const char *
category_name(int i)
{
	return i >= 0 && i < CATEGORY_COUNT ? names[i] : NULL;
}

int
category_index(const char *name, size_t len)
{
	for (int i = 0; i < CATEGORY_COUNT; i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return i;
	return -1;
}

int
category_valid(const char *name)
{
	return category_index(name, strlen(name)) >= 0;
}

unsigned
category_bit(const char *name)
{
	int i = category_index(name, strlen(name));

	return i < 0 ? 0 : 1u << i;
}

const char *
category_known(void)
{
	return "programming, dad, pun, knock-knock, chuck, spooky, christmas, misc";
}

/* One item of the list, lowered into a bounded buffer; its bit, or 0 with err. */
static unsigned
item_bit(const char *s, size_t len, char *err, size_t errsize)
{
	char low[CATEGORY_NAME_MAX + 1];
	int i;

	if (len == 0) {
		snprintf(err, errsize, "empty category in the list");
		return 0;
	}
	for (size_t k = 0; k < len && k < CATEGORY_NAME_MAX; k++)
		low[k] = (char)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] - 'A' + 'a' : s[k]);
	i = len <= CATEGORY_NAME_MAX ? category_index(low, len) : -1;
	if (i < 0) {
		snprintf(err, errsize, "unknown category (known: %s)", category_known());
		return 0;
	}
	return 1u << i;
}

int
category_parse_list(const char *s, size_t len, unsigned *mask, char *err, size_t errsize)
{
	unsigned m = 0, bit;
	size_t start = 0;

	if (len == 0 || len > CATEGORY_LIST_MAX) {
		snprintf(err, errsize, len ? "category list too long" : "empty category");
		return -1;
	}
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ',')
			continue;
		bit = item_bit(s + start, i - start, err, errsize);
		if (bit == 0)
			return -1;
		if (m & bit) {
			snprintf(err, errsize, "category repeated in the list");
			return -1;
		}
		m |= bit;
		start = i + 1;
	}
	*mask = m;
	return 0;
}

size_t
category_format_list(unsigned mask, char *out, size_t size)
{
	size_t n = 0;

	if (size == 0)
		return 0;
	out[0] = '\0';
	for (int i = 0; i < CATEGORY_COUNT; i++) {
		if (!(mask & (1u << i)))
			continue;
		int w = snprintf(out + n, size - n, "%s%s", n ? "," : "", names[i]);
		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
	}
	return n;
}
