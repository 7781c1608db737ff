/*
 * source_jokeapi.c - JokeAPI v2: {"error":false,"category":"Programming","type":"single",
 * "joke":"…","flags":{"explicit":false,…},"safe":true,"id":N,…} or type "twopart" with "setup"
 * and "delivery" (stored as two lines); {"error":true,…} on errors. We ask with safe-mode;
 * a joke that is not "safe": true, or whose flags.explicit is anything but false, is not
 * stored.
 */
#include "source.h"

#include <stdio.h>
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

/* SOURCE_EXPLICIT with the mark in err unless the answer says the joke is safe. */
static int
explicit_mark(const json_t *root, char *err, size_t errsize)
{
	const json_t *marked = json_object_get(json_object_get(root, "flags"), "explicit");

	if (!json_is_true(json_object_get(root, "safe"))) {
		snprintf(err, errsize, "\"safe\" is not true");
		return SOURCE_EXPLICIT;
	}
	if (marked != NULL && !json_is_false(marked)) {
		snprintf(err, errsize, "its flags.explicit is not false");
		return SOURCE_EXPLICIT;
	}
	return SOURCE_OK;
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
	if (rc == 0) {
		source_set_category(j, json_object_get(root, "category"));
		rc = explicit_mark(root, err, errsize);
	}
out:
	json_decref(root);
	return rc;
}
