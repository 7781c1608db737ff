/* app.h - one HTTP request of jokes-fcgi: its CGI variables, the routing and the response. */
#ifndef JOKES_FCGI_APP_H
#define JOKES_FCGI_APP_H

#include "buf.h"
#include "config.h"
#include "joke.h"
#include "query.h"
#include "store.h"

#include <stdint.h>

#define APP_BASE_MAX 64
#define APP_URL_MAX 300 /* "https://" + a host of 255 + ":65535", or fcgi_base_url */

/* The CGI variables a request is routed on (NULL when unset). */
struct req {
	const char *method;
	const char *script_name;
	const char *path_info;
	const char *request_uri;
	const char *query;
	const char *if_none_match;
	const char *if_modified_since;
	const char *host;
	const char *https;
	const char *scheme;
	const char *server_port;
};

struct resp {
	int status;
	const char *type;	/* Content-Type */
	const char *cache;	/* Cache-Control */
	const char *allow;	/* Allow, for 405 */
	char etag[64];
	char last_modified[40];
	char ws_src[2 * APP_URL_MAX + 16];	/* the CSP's WebSocket sources, " ws://host:port ..." */
	struct buf body;
	struct buf head;	/* the header block, built by app_finish */
};

/* What every renderer needs to know about the site and the request. */
struct site {
	const struct config *cfg;
	char base[APP_BASE_MAX];	/* the script's URL path, e.g. "/jokes" */
	char url[APP_URL_MAX];		/* the site's address, "http://host:port[/path]", no '/'
					 * at the end: fcgi_base_url, or else from the request */
	int64_t newest;
	char newest_at[JOKE_TIME_LEN + 1];
	const long *counts;		/* jokes per category (store.h), NULL without a database */
	unsigned long counts_sum;	/* changes with the counts: part of the list validators */
};

struct app {
	const struct config *cfg;
	struct store store;
	/* the first page, kept while the newest id does not change */
	struct buf index;
	int64_t index_newest;
	unsigned long index_sum;
	char index_base[APP_BASE_MAX];
};

void app_init(struct app *app, const struct config *cfg);
void app_free(struct app *app);
/* After a config reload: reopen the database on the next request, drop the cached page. */
void app_reload(struct app *app);

/*
 * Route and answer one request into out (reset first). HEAD answers like GET
 * with the body dropped by the caller. app_finish then builds out->head.
 * Absolute URLs (the feed's) and the CSP's WebSocket sources use fcgi_base_url; when it
 * is empty, the request's Host if it is a well-formed host[:port] (else "localhost"),
 * with SERVER_PORT added when Host has no port and it is not the scheme's default.
 */
void app_handle(struct app *app, const struct req *r, struct resp *out);
void app_finish(struct resp *out);
/* 1 when the body must not be sent (HEAD, 304). */
int app_bodyless(const struct req *r, const struct resp *out);

/* page.c: HTML. cats is a category mask (lib/category.h), 0 when the page is not filtered. */
void page_top(struct buf *b, const struct site *s, const char *title, const char *q,
	      unsigned cats, int live);
/* The row of category links with their counts, the current one marked. */
void page_categories(struct buf *b, const struct site *s, unsigned cats);
void page_joke(struct buf *b, const struct site *s, const struct joke *j, const char *marked);
void page_empty(struct buf *b, const char *what);
void page_pager(struct buf *b, const struct site *s, const char *q, unsigned cats, long limit,
		int64_t newer_since, int64_t older_before);
void page_bottom(struct buf *b, const struct site *s);
void page_error(struct buf *b, const struct site *s, int status, const char *message);

/* api.c: JSON and Atom */
void api_list(struct app *app, const struct site *s, const struct query *q, struct resp *out);
void api_one(struct app *app, const struct site *s, int64_t id, struct resp *out);
void api_error(struct resp *out, int status, const char *message);
void api_feed(struct app *app, const struct site *s, const struct query *q, struct resp *out);

/* Format fetched_at as an HTTP date into out (at least 30 bytes); "" if invalid. */
void app_http_date(const char *fetched_at, char *out, size_t size);

#endif
