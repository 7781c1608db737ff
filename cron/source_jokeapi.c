/*
 * source_jokeapi.c - JokeAPI v2: {"error":false,"type":"single","joke":"…","id":N,…} or
 * type "twopart" with "setup" and "delivery" (stored as two lines); {"error":true,…} on errors.
 */
#include "source.h"

#include <string.h>

static int
parse_text(const json_t *root, struct joke *j, char *err, size_t errsize)
{
	const json_t *type = json_object_get(root, "type");
	const char *a, *b;
	size_t alen, blen;

	if (!json_is_string(type)) {
		snprintf(err, errsize, "\"type\" missing or not a string");
		return -1;
	}
	if (strcmp(json_string_value(type), "single") == 0) {
		a = source_string(root, "joke", &alen, err, errsize);
		return a ? source_set_text(j, a, alen, NULL, 0, err, errsize) : -1;
	}
	if (strcmp(json_string_value(type), "twopart") == 0) {
		a = source_string(root, "setup", &alen, err, errsize);
		b = a ? source_string(root, "delivery", &blen, err, errsize) : NULL;
		return b ? source_set_text(j, a, alen, b, blen, err, errsize) : -1;
	}
	snprintf(err, errsize, "unknown joke type");
	return -1;
}

int
source_parse_jokeapi(const char *body, size_t len, struct joke *j, char *err, size_t errsize)
{
	json_t *root = source_json_object(body, len, err, errsize);
	const json_t *error;
	int rc = -1;

	if (root == NULL)
		return -1;
	memset(j, 0, sizeof(*j));
	memcpy(j->source, "jokeapi", sizeof("jokeapi"));
	error = json_object_get(root, "error");
	if (!json_is_false(error)) {
		snprintf(err, errsize, "\"error\" is not false");
		goto out;
	}
	if (source_set_id(j, json_object_get(root, "id"), err, errsize) == 0)
		rc = parse_text(root, j, err, errsize);
out:
	json_decref(root);
	return rc;
}
