/* http.h - one bounded HTTP GET with libcurl: timeouts, body cap, Retry-After. */
#ifndef JOKES_CRON_HTTP_H
#define JOKES_CRON_HTTP_H

#include <stddef.h>
#include <time.h>

struct http_request {
	const char *url;
	const char *user_agent;
	long connect_timeout_ms;
	long timeout_ms; /* the whole exchange */
	size_t max_body; /* a longer answer (decoded, when it came compressed) is an error */
};

struct http_response {
	long status;	   /* 0 when no answer came */
	char *body;	   /* NUL-terminated, owned: http_response_free */
	size_t len;
	time_t retry_after; /* absolute time from Retry-After (seconds or HTTP date), or 0 */
	int timed_out;	   /* the -1 of http_get was a connect or total timeout */
	char err[160];	   /* why the exchange failed, when http_get returns -1 */
};

struct http_client;

/* One client per run; NULL if libcurl cannot start. Connections are reused between requests. */
struct http_client *http_client_new(void);
void http_client_free(struct http_client *c);

/*
 * GET req->url (http or https only, at most 3 redirects), asking for compressed answers
 * and decoding them (asked or not). Returns 0 when an HTTP answer arrived in full (any
 * status), -1 otherwise with resp->err set: connect error, timeout (resp->timed_out), body
 * over the cap once decoded, bad encoding, redirect loop. resp is always initialised.
 */
int http_get(struct http_client *c, const struct http_request *req, struct http_response *resp);
void http_response_free(struct http_response *resp);

/* Parse a Retry-After value (delta seconds or HTTP date) relative to now; 0 if unusable. */
time_t http_retry_after(const char *value, time_t now);

#endif
