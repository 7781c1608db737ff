/*
 * source_chucknorris.c - api.chucknorris.io: {"id":"…","value":"…","categories":[…],…}.
 * "categories" ["dev"] is a programming joke, any other a chuck one; "explicit" among them: not
 * stored (SOURCE_EXPLICIT).
 */
#include "source.h"

#include <stdio.h>
#include <string.h>

int
source_parse_chucknorris(const char *body, size_t len, struct joke *j, char *err, size_t errsize)
{
	json_t *root = source_json_object(body, len, err, errsize);
	const json_t *categories;
	const char *text;
	size_t tlen;
	int rc = -1;

	if (root == NULL)
		return -1;
	memset(j, 0, sizeof(*j));
	memcpy(j->source, "chucknorris", sizeof("chucknorris"));
	text = source_string(root, "value", &tlen, err, errsize);
	if (text != NULL && source_set_id(j, json_object_get(root, "id"), err, errsize) == 0)
		rc = source_set_text(j, text, tlen, NULL, 0, err, errsize);
	if (rc == 0) {
		categories = json_object_get(root, "categories");
		source_set_category_list(j, categories);
		if (source_list_has(categories, "explicit")) {
			snprintf(err, errsize, "its categories hold \"explicit\"");
			rc = SOURCE_EXPLICIT;
		}
	}
	json_decref(root);
	return rc;
}
