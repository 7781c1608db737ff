/*
 * source_official.c - Official Joke API: {"type":"…","setup":"…","punchline":"…","id":N}; its
 * "type" (general, programming, knock-knock, dad) is the joke's category.
 */
#include "source.h"

#include <string.h>

int
source_parse_official(const char *body, size_t len, struct joke *j, char *err, size_t errsize)
{
	json_t *root = source_json_object(body, len, err, errsize);
	const char *setup, *punchline = NULL;
	size_t slen, plen = 0;
	int rc = -1;

	if (root == NULL)
		return -1;
	memset(j, 0, sizeof(*j));
	memcpy(j->source, "official", sizeof("official"));
	setup = source_string(root, "setup", &slen, err, errsize);
	if (setup != NULL)
		punchline = source_string(root, "punchline", &plen, err, errsize);
	if (punchline != NULL && source_set_id(j, json_object_get(root, "id"), err, errsize) == 0)
		rc = source_set_text(j, setup, slen, punchline, plen, err, errsize);
	source_set_category(j, json_object_get(root, "type"));
	json_decref(root);
	return rc;
}
