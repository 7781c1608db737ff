/* fuzz_query.c - libFuzzer target: jokes-fcgi's query-string parser and FTS5 query builder. */
#include "../../fcgi/query.h"
#include "../../fcgi/store.h"
#include "joke.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_fts(const char *q)
{
	char fts[QUERY_Q_MAX * 2 + 3 * STORE_TERMS_MAX + 8];
	int quotes = 0, terms = store_fts_query(q, fts, sizeof(fts));

	if (terms < 0 || terms > STORE_TERMS_MAX)
		__builtin_trap(); /* the buffer is sized for the longest q */
	for (const char *p = fts; *p; p++)
		quotes += *p == '"';
	if (quotes % 2 != 0 || (terms > 0 && fts[0] != '"'))
		__builtin_trap(); /* every word stays inside one quoted string */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct query q;
	const char *why;
	char *qs;

	if (size > 16 * 1024)
		return 0;
	qs = malloc(size + 1);
	if (qs == NULL)
		return 0;
	memcpy(qs, data, size);
	qs[size] = '\0';
	if (query_parse(qs, &q, &why) == 0) {
		size_t n = strlen(q.q);

		if (q.limit < 0 || q.limit > QUERY_LIMIT_MAX || q.before < 0 ||
		    q.before > QUERY_ID_MAX || q.since < 0 || q.since > QUERY_ID_MAX ||
		    (q.before && q.has_since) || n > QUERY_Q_MAX || !utf8_valid(q.q, n))
			__builtin_trap();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)q.q[i] < 0x20)
				__builtin_trap();
		check_fts(q.q);
		/* a filter: known bits only, its list in vocabulary order, names and commas only */
		char list[CATEGORY_LIST_MAX + 1];

		category_format_list(q.categories, list, sizeof(list));
		if ((q.categories & ~CATEGORY_ALL) != 0 || strcmp(list, q.category) != 0 ||
		    strspn(q.category, "abcdefghijklmnopqrstuvwxyz-,") != strlen(q.category))
			__builtin_trap();
	} else if (why == NULL || why[0] == '\0') {
		__builtin_trap(); /* a refusal always says why */
	}
	free(qs);
	return 0;
}
