/* joke.c - validation and JSON of the joke record (jansson). */
#include "joke.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

size_t
utf8_seq_len(const char *str, size_t avail)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned c = s[0], cp, min;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 1, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 2, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 3, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (avail <= n)
		return 0;
	for (size_t i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n + 1;
}

int
utf8_valid(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t n = s[i] == '\0' ? 0 : utf8_seq_len(s + i, len - i);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

int
joke_source_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > JOKE_SOURCE_MAX)
		return 0;
	for (const char *p = name; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_' ||
		      *p == '-'))
			return 0;
	return 1;
}

int
joke_time_valid(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	int mon, day, hour, min, sec;

	if (strlen(t) != JOKE_TIME_LEN)
		return 0;
	for (size_t i = 0; i < JOKE_TIME_LEN; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)t[i]) : t[i] != shape[i])
			return 0;
	mon = (t[5] - '0') * 10 + t[6] - '0';
	day = (t[8] - '0') * 10 + t[9] - '0';
	hour = (t[11] - '0') * 10 + t[12] - '0';
	min = (t[14] - '0') * 10 + t[15] - '0';
	sec = (t[17] - '0') * 10 + t[18] - '0';
	return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && hour <= 23 && min <= 59 &&
	       sec <= 60;
}

/* the two digits at t */
static int
two(const char *t)
{
	return (t[0] - '0') * 10 + t[1] - '0';
}

int64_t
joke_time_unix(const char *t)
{
	struct tm tm = {0};

	if (!joke_time_valid(t))
		return 0;
	tm.tm_year = two(t) * 100 + two(t + 2) - 1900;
	tm.tm_mon = two(t + 5) - 1;
	tm.tm_mday = two(t + 8);
	tm.tm_hour = two(t + 11);
	tm.tm_min = two(t + 14);
	tm.tm_sec = two(t + 17);
	return (int64_t)timegm(&tm);
}

int64_t
joke_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
joke_time_now(char *out)
{
	time_t now = (time_t)(joke_wall_ms() / 1000);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, JOKE_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
joke_text_key(const char *text, char *out, size_t size)
{
	size_t o = 0;
	int space = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p && o + 2 < size; p++) {
		if (*p >= 0x80 || isalnum(*p)) {
			if (space && o > 0)
				out[o++] = ' ';
			space = 0;
			out[o++] = (char)tolower(*p);
		} else
			space = 1;
	}
	out[o] = '\0';
}

json_t *
joke_to_json(const struct joke *j)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)j->id, "text", j->text,
	                 "source", j->source, "category",
	                 j->category[0] ? j->category : CATEGORY_DEFAULT, "fetched_at",
	                 j->fetched_at);
}

int
joke_dump(const struct joke *j, char *buf, size_t size)
{
	json_t *obj = joke_to_json(j);
	size_t n;

	if (obj == NULL)
		return -1;
	n = json_dumpb(obj, buf, size, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (n == 0 || n >= size)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

static int
fail(char *err, size_t errsize, const char *why)
{
	snprintf(err, errsize, "%s", why);
	return -1;
}

/* "category": a known name, or a well-formed unknown one read as the default. */
static int
set_category(const json_t *v, struct joke *j)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);

	if (!json_is_string(v) || len == 0 || len > CATEGORY_NAME_MAX ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyz-") != len)
		return -1;
	snprintf(j->category, sizeof(j->category), "%s",
	         category_index(s, len) >= 0 ? s : CATEGORY_DEFAULT);
	return 0;
}

int
joke_from_json(const json_t *obj, struct joke *j, char *err, size_t errsize)
{
	const char *key;
	json_t *v;
	int have = 0;

	if (!json_is_object(obj))
		return fail(err, errsize, "not a JSON object");
	memset(j, 0, sizeof(*j));
	json_object_foreach((json_t *)obj, key, v)
	{
		if (!strcmp(key, "id")) {
			if (!json_is_integer(v) || json_integer_value(v) <= 0)
				return fail(err, errsize, "id is not a positive integer");
			j->id = json_integer_value(v);
			have |= 1;
		} else if (!strcmp(key, "text")) {
			size_t len = json_string_length(v);
			if (!json_is_string(v) || len == 0 || len > JOKE_TEXT_MAX ||
			    !utf8_valid(json_string_value(v), len))
				return fail(err, errsize, "text is not 1 to 2000 bytes of UTF-8");
			memcpy(j->text, json_string_value(v), len + 1);
			have |= 2;
		} else if (!strcmp(key, "source")) {
			if (!json_is_string(v) || !joke_source_valid(json_string_value(v)))
				return fail(err, errsize, "source is not a source name");
			memcpy(j->source, json_string_value(v), strlen(json_string_value(v)) + 1);
			have |= 4;
		} else if (!strcmp(key, "fetched_at")) {
			if (!json_is_string(v) || !joke_time_valid(json_string_value(v)))
				return fail(err, errsize, "fetched_at is not a UTC time");
			memcpy(j->fetched_at, json_string_value(v), JOKE_TIME_LEN + 1);
			have |= 8;
		} else if (!strcmp(key, "category")) {
			if (set_category(v, j) < 0)
				return fail(err, errsize, "category is not a category name");
		}
		/* other members are a newer writer's: ignored, so it can add them safely */
	}
	if (have != 15)
		return fail(err, errsize, "missing key");
	if (j->category[0] == '\0')
		memcpy(j->category, CATEGORY_DEFAULT, sizeof(CATEGORY_DEFAULT));
	return 0;
}

int
joke_parse_line(const char *line, size_t len, struct joke *j, char *err, size_t errsize)
{
	json_error_t jerr;
	json_t *obj;
	int rc;

	if (len > NOTIFY_LINE_MAX)
		return fail(err, errsize, "line too long");
	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL)
		return fail(err, errsize, "not valid JSON");
	rc = joke_from_json(obj, j, err, errsize);
	json_decref(obj);
	return rc;
}
