/* app.c - routing of one jokes-fcgi request, the HTML handlers and the HTTP header block. */
#include "app.h"

#include "log.h"
#include "static_version.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* no inline script or style, nothing from another origin; ws(s) only to this host, or to
 * the origin of an absolute fcgi_ws_url (push nodes on another host) */
#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	    "connect-src 'self'%s; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

#define DB_UNREADABLE "The joke database cannot be read right now."

struct list {
	struct buf *b;
	const struct site *s;
	int n;
	int64_t first, last;
	struct joke *rows;	/* collect instead of rendering (ascending queries) */
};

void
app_init(struct app *app, const struct config *cfg)
{
	memset(app, 0, sizeof(*app));
	app->cfg = cfg;
	app->store.path = cfg->db_path;
	app->index_newest = -1;
}

void
app_reload(struct app *app)
{
	store_close(&app->store);
	app->store.path = app->cfg->db_path;
	app->index_newest = -1;
}

void
app_free(struct app *app)
{
	store_close(&app->store);
	buf_free(&app->index);
}

void
app_http_date(const char *t, char *out, size_t size)
{
	struct tm tm = {0};
	time_t when;

	out[0] = '\0';
	if (!joke_time_valid(t) || strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
		return;
	when = timegm(&tm);
	strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&when, &tm));
}

/* Characters allowed in a URL path or Host we echo: a safe subset, checked before use. */
static int
safe_token(const char *s, size_t max, const char *extra)
{
	size_t n = 0;

	for (; s[n]; n++) {
		char c = s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr(extra, c) != NULL))
			return 0;
	}
	return n > 0 && n < max;
}

/* Set s->base and return the path after it ("" or "/..."), from PATH_INFO or REQUEST_URI. */
static const char *
route_path(const struct req *r, struct site *s, char *buf, size_t size)
{
	const char *sn = r->script_name;
	size_t n;

	snprintf(s->base, sizeof(s->base), "/jokes");
	if (r->path_info != NULL) {
		if (sn != NULL && *sn == '/' && safe_token(sn, sizeof(s->base), "/_.-~"))
			snprintf(s->base, sizeof(s->base), "%s", sn);
		if (strcmp(s->base, "/") == 0)
			s->base[0] = '\0';
		return r->path_info;
	}
	/* no PATH_INFO (some CGI set-ups): the raw URI minus the query and the /jokes prefix */
	if (r->request_uri == NULL)
		return "";
	n = strcspn(r->request_uri, "?");
	if (n >= size)
		return "/?"; /* too long: no route matches */
	memcpy(buf, r->request_uri, n);
	buf[n] = '\0';
	if (strncmp(buf, "/jokes", 6) == 0 && (buf[6] == '/' || buf[6] == '\0'))
		return buf + 6;
	return buf;
}

/* Does this well-formed host carry a port? */
static int
has_port(const char *host)
{
	const char *end = host[0] == '[' ? strchr(host, ']') : host;

	return end != NULL && strchr(end, ':') != NULL;
}

/* s->url and out->ws_src: see app_handle in app.h. */
static void
site_origin(const struct req *r, struct site *s, struct resp *out)
{
	const char *base = s->cfg->fcgi_base_url, *auth, *ws;
	int tls = (r->https != NULL && (strcmp(r->https, "on") == 0 || strcmp(r->https, "1") == 0)) ||
		  (r->scheme != NULL && strcmp(r->scheme, "https") == 0);
	const char *host = r->host != NULL && config_host_ok(r->host, strlen(r->host)) ? r->host
										    : "localhost";
	size_t n;

	if (base[0] != '\0') { /* checked by lib/config.c */
		tls = strncmp(base, "https:", 6) == 0;
		snprintf(s->url, sizeof(s->url), "%s", base);
	} else {
		int n0 = snprintf(s->url, sizeof(s->url), "%s://%s", tls ? "https" : "http", host);
		const char *port = r->server_port;

		if (!has_port(host) && port != NULL && strcmp(port, tls ? "443" : "80") != 0 &&
		    n0 > 0 && (size_t)n0 + strlen(port) + 1 < sizeof(s->url)) {
			snprintf(s->url + n0, sizeof(s->url) - (size_t)n0, ":%s", port);
			auth = s->url + (tls ? 8 : 7);
			if (!config_host_ok(auth, strlen(auth)))
				s->url[n0] = '\0'; /* not a port: leave it out */
		}
	}
	n = strlen(s->url);
	while (n > 0 && s->url[n - 1] == '/')
		s->url[--n] = '\0';
	ws = s->cfg->fcgi_ws_url;
	if (ws[0] != '/') { /* ws:// or wss:// (lib/config.c): that origin alone */
		auth = strstr(ws, "://") + 3;
		n = (size_t)(auth - ws) + strcspn(auth, "/");
		snprintf(out->ws_src, sizeof(out->ws_src), " %.*s", (int)n, ws);
		return;
	}
	auth = s->url + (tls ? 8 : 7);
	n = strcspn(auth, "/");
	if (tls) /* an https page may not open ws:// */
		snprintf(out->ws_src, sizeof(out->ws_src), " wss://%.*s", (int)n, auth);
	else
		snprintf(out->ws_src, sizeof(out->ws_src), " ws://%.*s wss://%.*s", (int)n, auth,
			 (int)n, auth);
}

static void
set_error(struct resp *out, const struct site *s, int status, const char *message)
{
	buf_reset(&out->body);
	out->status = status;
	out->type = "text/html; charset=utf-8";
	out->cache = "no-store";
	out->etag[0] = out->last_modified[0] = '\0';
	page_error(&out->body, s, status, message);
}

/* Validators for a representation that changes only when a joke is added. */
static int
fresh(const struct req *r, struct resp *out, const char *etag, const char *modified_at)
{
	snprintf(out->etag, sizeof(out->etag), "W/\"%s-" STATIC_VERSION "\"", etag);
	app_http_date(modified_at, out->last_modified, sizeof(out->last_modified));
	if (r->if_none_match != NULL)
		return strstr(r->if_none_match, out->etag) != NULL ||
		       strcmp(r->if_none_match, "*") == 0;
	return r->if_modified_since != NULL && out->last_modified[0] != '\0' &&
	       strcmp(r->if_modified_since, out->last_modified) == 0;
}

static int
list_hit(const struct joke *j, const char *marked, void *arg)
{
	struct list *l = arg;

	if (l->n++ == 0)
		l->first = j->id;
	l->last = j->id;
	page_joke(l->b, l->s, j, marked);
	return 0;
}

static int
list_one(const struct joke *j, void *arg)
{
	struct list *l = arg;

	if (l->rows != NULL) {
		l->rows[l->n++] = *j;
		return 0;
	}
	return list_hit(j, NULL, arg);
}

/* ?since=ID: the page just newer than ID, shown newest first. */
static int
html_since(struct app *app, const struct query *q, int limit,
	   struct list *l)
{
	struct joke *rows = calloc((size_t)limit, sizeof(*rows));
	int n;

	if (rows == NULL)
		return -1;
	l->rows = rows;
	n = store_since(&app->store, q->since, q->categories, limit, list_one, l);
	l->rows = NULL;
	l->n = 0;
	for (int i = n - 1; i >= 0; i--)
		list_one(&rows[i], l);
	free(rows);
	return n;
}

static int
html_search(struct app *app, const struct site *s, const struct query *q, int limit,
	    struct list *l)
{
	char fts[QUERY_Q_MAX * 2 + 3 * STORE_TERMS_MAX + 8];

	(void)s;
	if (store_fts_query(q->q, fts, sizeof(fts)) <= 0)
		return 0;
	return store_search(&app->store, fts, q->before, q->categories, limit, list_hit, l);
}

/* Is there a newer page? Filtered, the newest id overall says nothing: a page before an id
 * has newer ones, a full page since an id may have. */
static int
newer_link(const struct query *q, const struct site *s, int search, int n, int limit,
	   const struct list *l)
{
	if (search || n == 0)
		return 0;
	if (q->categories)
		return q->before > 0 || (q->has_since && n == limit);
	return l->first < s->newest;
}

/* Render a list page into b. The number of jokes shown, or -1 when a query failed. */
static int
html_list_body(struct app *app, const struct site *s, const struct query *q, int ready,
	       struct buf *b)
{
	int limit = q->limit ? (int)q->limit : (int)app->cfg->fcgi_page_size;
	int search = q->has_q && strspn(q->q, " \t") < strlen(q->q);
	int live = !q->before && !q->has_since && !search;
	struct list l = {.b = b, .s = s};
	char title[CATEGORY_LIST_MAX + 32];
	int n = 0;

	snprintf(title, sizeof(title), "%s%s%s", search ? "Search · Jokes" : "Jokes",
		 q->categories ? " · " : "", q->category);
	page_top(b, s, title, q->has_q ? q->q : NULL, q->categories, live);
	page_categories(b, s, q->categories);
	buf_adds(b, "<div id=\"jokes\" class=\"jokes\" aria-live=\"polite\" aria-relevant=\"additions\">\n");
	if (ready > 0 && search)
		n = html_search(app, s, q, limit, &l);
	else if (ready > 0 && q->has_since)
		n = html_since(app, q, limit, &l);
	else if (ready > 0)
		n = store_before(&app->store, q->before, q->categories, limit, list_one, &l);
	if (n < 0)
		return -1;
	buf_adds(b, "</div>\n");
	if (ready <= 0)
		page_empty(b, "No jokes yet. The first one is on its way.");
	else if (n == 0)
		page_empty(b, search		? "No joke matches these words."
			      : q->categories ? "No jokes of this category here."
					      : "No jokes here.");
	page_pager(b, s, search ? q->q : NULL, q->categories, q->limit,
		   newer_link(q, s, search, n, limit, &l) ? l.first : 0,
		   (q->has_since && !search ? n > 0 && q->since > 0 : n == limit) ? l.last : 0);
	page_bottom(b, s);
	return n;
}

static void
html_list(struct app *app, const struct req *r, const struct site *s, int ready, struct resp *out)
{
	struct query q;
	const char *why;
	char tag[48]; /* "a" + 18 digits + "-" + 16 hex digits */
	int plain;

	if (query_parse(r->query, &q, &why) < 0) {
		set_error(out, s, 400, why);
		return;
	}
	snprintf(tag, sizeof(tag), "%lld-%lx", (long long)s->newest, s->counts_sum);
	out->cache = "public, max-age=1";
	if (fresh(r, out, tag, s->newest_at)) {
		out->status = 304;
		return;
	}
	plain = !q.before && !q.has_since && !q.limit && !q.has_q && !q.categories;
	if (plain && app->index.p != NULL && app->index_newest == s->newest &&
	    app->index_sum == s->counts_sum && strcmp(app->index_base, s->base) == 0) {
		buf_add(&out->body, app->index.p, app->index.len);
		return;
	}
	if (html_list_body(app, s, &q, ready, &out->body) < 0) {
		set_error(out, s, 503, DB_UNREADABLE); /* never kept, here or by a proxy */
		return;
	}
	if (plain && !out->body.failed) {
		buf_reset(&app->index);
		buf_add(&app->index, out->body.p, out->body.len);
		app->index_newest = s->newest;
		app->index_sum = s->counts_sum;
		snprintf(app->index_base, sizeof(app->index_base), "%s", s->base);
	}
}

static void
html_joke(struct app *app, const struct req *r, const struct site *s, int64_t id, int ready,
	  struct resp *out)
{
	struct joke j;
	char tag[48], title[48];
	int found = ready > 0 ? store_get(&app->store, id, &j) : 0;

	if (found < 0) {
		set_error(out, s, 503, DB_UNREADABLE);
		return;
	}
	if (found == 0) {
		set_error(out, s, 404, "There is no joke with this number.");
		return;
	}
	snprintf(tag, sizeof(tag), "j%lld-%s", (long long)id, j.category);
	out->cache = "public, max-age=3600";
	if (fresh(r, out, tag, j.fetched_at)) {
		out->status = 304;
		return;
	}
	snprintf(title, sizeof(title), "Joke #%lld", (long long)id);
	page_top(&out->body, s, title, NULL, 0, 0);
	buf_adds(&out->body, "<div id=\"jokes\" class=\"jokes permalink\">\n");
	page_joke(&out->body, s, &j, NULL);
	buf_adds(&out->body, "</div>\n");
	page_bottom(&out->body, s);
}

/* "/123" → 1 and 123; a path of more than 18 digits → -1 (400); anything else 0 (404). */
static int
path_id(const char *p, int64_t *id)
{
	size_t n = strlen(p);

	if (n == 0 || strspn(p, "0123456789") != n)
		return 0;
	if (n > 18)
		return -1;
	return query_id(p, n, id) == 0 ? 1 : 0; /* zero or a leading zero: no such joke */
}

static void
api_route(struct app *app, const struct req *r, const struct site *s, const char *rest,
	  int ready, struct resp *out)
{
	struct query q;
	const char *why;
	int64_t id = 0;
	int kind;

	if (rest[0] == '\0') {
		char tag[48]; /* "a" + 18 digits + "-" + 16 hex digits */

		if (query_parse(r->query, &q, &why) < 0)
			return api_error(out, 400, why);
		snprintf(tag, sizeof(tag), "a%lld-%lx", (long long)s->newest, s->counts_sum);
		if (fresh(r, out, tag, s->newest_at)) {
			out->status = 304;
			out->cache = "public, max-age=1";
			return;
		}
		return api_list(app, s, &q, out);
	}
	kind = rest[0] == '/' ? path_id(rest + 1, &id) : 0;
	if (kind < 0)
		return api_error(out, 400, "id out of range");
	if (kind == 0)
		return api_error(out, 404, "no such resource");
	(void)ready;
	api_one(app, s, id, out);
}

static void
route(struct app *app, const struct req *r, struct site *s, const char *path, int ready,
      struct resp *out)
{
	int64_t id = 0;
	int kind;

	if (path[0] == '\0' || strcmp(path, "/") == 0)
		return html_list(app, r, s, ready, out);
	if (strncmp(path, "/api/jokes", 10) == 0 && (path[10] == '\0' || path[10] == '/'))
		return api_route(app, r, s, path + 10, ready, out);
	if (strcmp(path, "/feed.atom") == 0) {
		struct query q;
		const char *why;
		char tag[48];

		if (query_parse(r->query, &q, &why) < 0)
			return set_error(out, s, 400, why);
		snprintf(tag, sizeof(tag), "f%lld-%lx", (long long)s->newest, s->counts_sum);
		out->cache = "public, max-age=60";
		if (fresh(r, out, tag, s->newest_at)) {
			out->status = 304;
			return;
		}
		return api_feed(app, s, &q, out);
	}
	kind = path[0] == '/' ? path_id(path + 1, &id) : 0;
	if (kind < 0)
		return set_error(out, s, 400, "This joke number is out of range.");
	if (kind == 0)
		return set_error(out, s, 404, "There is no page at this address.");
	html_joke(app, r, s, id, ready, out);
}

void
app_handle(struct app *app, const struct req *r, struct resp *out)
{
	struct site s = {.cfg = app->cfg};
	char pathbuf[512];
	const char *path = route_path(r, &s, pathbuf, sizeof(pathbuf));
	int ready;

	buf_reset(&out->body);
	out->status = 200;
	out->type = "text/html; charset=utf-8";
	out->cache = "no-store";
	out->allow = NULL;
	out->etag[0] = out->last_modified[0] = '\0';
	site_origin(r, &s, out);
	if (r->method == NULL || (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)) {
		set_error(out, &s, 405, "Only GET and HEAD are served here.");
		out->allow = "GET, HEAD";
		return;
	}
	ready = store_ready(&app->store);
	if (ready > 0 && store_newest(&app->store, &s.newest, s.newest_at) < 0) {
		store_close(&app->store); /* reopened on the next request */
		ready = -1;
	}
	if (ready > 0) {
		s.counts = app->store.counts;
		s.counts_sum = app->store.counts_sum;
	}
	if (ready < 0) {
		set_error(out, &s, 503, DB_UNREADABLE);
		return;
	}
	route(app, r, &s, path, ready, out);
	if (out->body.failed)
		set_error(out, &s, 503, "The answer is too large.");
	/* A failed query: open the database afresh next time, as SQLite's page cache may hold
	 * what it read from a damaged file, and a repaired file is not seen through it. */
	if (out->status == 503)
		store_close(&app->store);
}

int
app_bodyless(const struct req *r, const struct resp *out)
{
	return out->status == 304 || (r->method != NULL && strcmp(r->method, "HEAD") == 0);
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

void
app_finish(struct resp *out)
{
	struct buf *h = &out->head;

	buf_reset(h);
	buf_addf(h, "Status: %d %s\r\n", out->status, reason(out->status));
	if (out->status != 304)
		buf_addf(h, "Content-Type: %s\r\nContent-Length: %lu\r\n", out->type,
			 (unsigned long)out->body.len);
	buf_addf(h, "Cache-Control: %s\r\n", out->cache);
	if (out->etag[0])
		buf_addf(h, "ETag: %s\r\n", out->etag);
	if (out->last_modified[0])
		buf_addf(h, "Last-Modified: %s\r\n", out->last_modified);
	if (out->allow != NULL)
		buf_addf(h, "Allow: %s\r\n", out->allow);
	if (out->status == 503)
		buf_adds(h, "Retry-After: 5\r\n");
	buf_adds(h, "X-Content-Type-Options: nosniff\r\nReferrer-Policy: same-origin\r\n");
	buf_adds(h, "Content-Security-Policy: ");
	buf_addf(h, CSP, out->ws_src);
	buf_adds(h, "\r\n\r\n");
}
