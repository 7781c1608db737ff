/* api.c - the JSON API (jansson) and the Atom feed of jokes-fcgi. */
#include "app.h"

#include "escape.h"
#include "log.h"

#include <jansson.h>
#include <string.h>

#define FEED_SIZE 50

struct feed {
	const struct site *s;
	struct buf *b;
};

struct collect {
	json_t *arr;
	int n;
	int64_t last;
};

static void
set_json(struct resp *out, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	buf_reset(&out->body);
	out->type = "application/json; charset=utf-8";
	if (text == NULL) {
		out->status = 503;
		out->cache = "no-store";
		buf_adds(&out->body, "{\"error\":\"out of memory\"}\n");
	} else {
		buf_adds(&out->body, text);
		buf_addc(&out->body, '\n');
	}
	free(text);
	json_decref(doc);
}

void
api_error(struct resp *out, int status, const char *message)
{
	out->status = status;
	out->cache = "no-store";
	out->etag[0] = out->last_modified[0] = '\0';
	set_json(out, json_pack("{s:s}", "error", message));
}

static int
collect_one(const struct joke *j, void *arg)
{
	struct collect *c = arg;

	json_array_append_new(c->arr, joke_to_json(j));
	c->n++;
	c->last = j->id;
	return 0;
}

static int
collect_hit(const struct joke *j, const char *marked, void *arg)
{
	(void)marked;
	return collect_one(j, arg);
}

static int
run_list(struct app *app, const struct query *q, int limit, struct collect *c)
{
	char fts[QUERY_Q_MAX * 2 + 3 * STORE_TERMS_MAX + 8];

	if (app->store.db == NULL)
		return 0;
	if (q->has_q) {
		if (store_fts_query(q->q, fts, sizeof(fts)) <= 0)
			return 0;
		return store_search(&app->store, fts, q->before, q->categories, limit, collect_hit,
				    c);
	}
	if (q->has_since)
		return store_since(&app->store, q->since, q->categories, limit, collect_one, c);
	return store_before(&app->store, q->before, q->categories, limit, collect_one, c);
}

/* The cursor of the following page, or NULL when this one was not full. */
static json_t *
next_url(const struct site *s, const struct query *q, int limit, const struct collect *c)
{
	struct buf url = {0};
	json_t *v;

	if (c->n < limit)
		return json_null();
	buf_addf(&url, "%s/api/jokes?%s=%lld&limit=%d", s->base, q->has_since ? "since" : "before",
		 (long long)c->last, limit);
	if (q->has_q) {
		buf_adds(&url, "&q=");
		esc_url(&url, q->q, strlen(q->q));
	}
	if (q->categories) {
		buf_adds(&url, "&category=");
		buf_adds(&url, q->category); /* names and commas: nothing to percent-encode */
	}
	v = url.failed ? json_null() : json_string(url.p);
	buf_free(&url);
	return v;
}

void
api_list(struct app *app, const struct site *s, const struct query *q, struct resp *out)
{
	int limit = q->limit ? (int)q->limit : (int)app->cfg->fcgi_page_size;
	struct collect c = {.arr = json_array()};
	int n = run_list(app, q, limit, &c);

	if (n < 0) {
		json_decref(c.arr);
		return api_error(out, 503, "database error");
	}
	out->cache = "public, max-age=1";
	set_json(out, json_pack("{s:o,s:o}", "jokes", c.arr, "next", next_url(s, q, limit, &c)));
}

void
api_one(struct app *app, const struct site *s, int64_t id, struct resp *out)
{
	struct joke j;
	int found = app->store.db != NULL ? store_get(&app->store, id, &j) : 0;

	(void)s;
	if (found < 0)
		return api_error(out, 503, "database error");
	if (found == 0)
		return api_error(out, 404, "no joke with this id");
	out->cache = "public, max-age=3600";
	set_json(out, joke_to_json(&j));
}

static int
feed_entry(const struct joke *j, void *arg)
{
	const struct site *s = ((struct feed *)arg)->s;
	struct buf *b = ((struct feed *)arg)->b;

	buf_addf(b, "<entry>\n<title>Joke #%lld</title>\n<id>", (long long)j->id);
	esc_htmls(b, s->url);
	esc_htmls(b, s->base);
	buf_addf(b, "/%lld</id>\n<link rel=\"alternate\" type=\"text/html\" href=\"", (long long)j->id);
	esc_htmls(b, s->url);
	esc_htmls(b, s->base);
	buf_addf(b, "/%lld\"/>\n<updated>", (long long)j->id);
	esc_htmls(b, j->fetched_at);
	buf_adds(b, "</updated>\n<category term=\"");
	esc_htmls(b, category_valid(j->category) ? j->category : CATEGORY_DEFAULT);
	buf_adds(b, "\"/>\n<content type=\"text\">");
	esc_htmls(b, j->text);
	buf_adds(b, "</content>\n</entry>\n");
	return 0;
}

/* An absolute URL of this site: path, then ?category= when the feed is filtered. */
static void
feed_url(struct buf *b, const struct site *s, const char *path, const char *category)
{
	esc_htmls(b, s->url);
	esc_htmls(b, s->base);
	buf_adds(b, path);
	if (category[0] != '\0') {
		buf_adds(b, "?category=");
		esc_htmls(b, category); /* names are [a-z-]: nothing to percent-encode */
	}
}

static void
feed_link(struct buf *b, const struct site *s, const char *rel, const char *type,
	  const char *path, const char *category)
{
	buf_addf(b, "<link rel=\"%s\" type=\"%s\" href=\"", rel, type);
	feed_url(b, s, path, category);
	buf_adds(b, "\"/>\n");
}

void
api_feed(struct app *app, const struct site *s, const struct query *q, struct resp *out)
{
	struct buf *b = &out->body;
	struct feed f = {s, b};

	out->type = "application/atom+xml; charset=utf-8";
	buf_adds(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		    "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<title>Jokes");
	if (q->categories) {
		buf_adds(b, " · ");
		esc_htmls(b, q->category);
	}
	buf_adds(b, "</title>\n<id>");
	feed_url(b, s, "/", q->category);
	buf_adds(b, "</id>\n");
	feed_link(b, s, "self", "application/atom+xml", "/feed.atom", q->category);
	feed_link(b, s, "alternate", "text/html", "/", q->category);
	buf_adds(b, "<updated>");
	esc_htmls(b, s->newest_at[0] ? s->newest_at : "1970-01-01T00:00:00Z");
	buf_adds(b, "</updated>\n<author><name>jokes</name></author>\n");
	if (app->store.db != NULL &&
	    store_before(&app->store, 0, q->categories, FEED_SIZE, feed_entry, &f) < 0)
		return api_error(out, 503, "database error");
	buf_adds(b, "</feed>\n");
}
