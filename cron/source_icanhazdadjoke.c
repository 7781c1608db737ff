/*
 * source_icanhazdadjoke.c - icanhazdadjoke.com (Accept: application/json): {"id","joke","status"};
 * it serves dad jokes only and classifies none.
 */
#include "source.h"

#include <string.h>

int
source_parse_icanhazdadjoke(const char *body, size_t len, struct joke *j, char *err,
			    size_t errsize)
{
	json_t *root = source_json_object(body, len, err, errsize);
	const json_t *status;
	const char *text;
	size_t tlen;
	int rc = -1;

	if (root == NULL)
		return -1;
	memset(j, 0, sizeof(*j));
	memcpy(j->source, "icanhazdadjoke", sizeof("icanhazdadjoke"));
	status = json_object_get(root, "status");
	if (status != NULL && !(json_is_integer(status) && json_integer_value(status) == 200)) {
		snprintf(err, errsize, "status is not 200");
		goto out;
	}
	text = source_string(root, "joke", &tlen, err, errsize);
	if (text != NULL && source_set_id(j, json_object_get(root, "id"), err, errsize) == 0)
		rc = source_set_text(j, text, tlen, NULL, 0, err, errsize);
	source_set_category(j, NULL);
out:
	json_decref(root);
	return rc;
}
