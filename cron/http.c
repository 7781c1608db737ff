/* http.c - bounded GET requests with libcurl for the joke sources. */
#include "http.h"

#include "joke.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_AFTER_MAX (24 * 3600) /* a hostile or silly value rests a source one day at most */

struct http_client {
	CURL *curl;
	struct curl_slist *headers;
};

struct sink {
	struct http_response *resp;
	size_t cap, max;
	int over;
};

struct http_client *
http_client_new(void)
{
	struct http_client *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		goto fail;
	c->curl = curl_easy_init();
	c->headers = curl_slist_append(NULL, "Accept: application/json");
	if (c->curl == NULL || c->headers == NULL)
		goto fail;
	return c;
fail:
	http_client_free(c);
	return NULL;
}

void
http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	curl_slist_free_all(c->headers);
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	curl_global_cleanup();
	free(c);
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	struct http_response *r = s->resp;
	size_t n = size * nmemb;

	if (n > s->max - r->len) {
		s->over = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (r->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		char *p;
		while (cap < r->len + n + 1)
			cap *= 2;
		p = realloc(r->body, cap);
		if (p == NULL)
			return 0;
		r->body = p;
		s->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_response *r = arg;
	size_t n = size * nmemb;
	char value[128];
	size_t vlen;

	if (n > 12 && strncasecmp(data, "Retry-After:", 12) == 0) {
		vlen = n - 12 < sizeof(value) - 1 ? n - 12 : sizeof(value) - 1;
		memcpy(value, data + 12, vlen);
		value[vlen] = '\0';
		r->retry_after = http_retry_after(value, (time_t)(joke_wall_ms() / 1000));
	}
	return n;
}

time_t
http_retry_after(const char *value, time_t now)
{
	const char *p = value;
	long secs = 0;
	time_t when;

	while (*p == ' ' || *p == '\t')
		p++;
	if (isdigit((unsigned char)*p)) {
		for (; isdigit((unsigned char)*p); p++)
			if (secs <= RETRY_AFTER_MAX)
				secs = secs * 10 + (*p - '0');
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '\0')
			return 0;
		return now + (secs > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : secs);
	}
	when = curl_getdate(p, NULL);
	if (when <= 0)
		return 0;
	if (when <= now)
		return now;
	return when - now > RETRY_AFTER_MAX ? now + RETRY_AFTER_MAX : when;
}

static void
set_options(CURL *curl, const struct http_request *req, struct http_client *c)
{
	curl_easy_setopt(curl, CURLOPT_URL, req->url);
	curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, req->user_agent);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 3L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/*
	 * Ask for every encoding libcurl decodes (gzip, deflate, br, zstd as built) and decode
	 * what comes, asked or not. on_body sees the decoded bytes, so max_body caps the decoded
	 * size and a small compressed bomb stops there; MAXFILESIZE only refuses a declared
	 * Content-Length (compressed) over the cap before reading.
	 */
	curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_body);
}

int
http_get(struct http_client *c, const struct http_request *req, struct http_response *resp)
{
	struct sink s = {.resp = resp, .max = req->max_body};
	CURLcode rc;

	memset(resp, 0, sizeof(*resp));
	set_options(c->curl, req, c);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, resp);
	rc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (rc == CURLE_OK)
		return 0;
	if (s.over || rc == CURLE_FILESIZE_EXCEEDED)
		snprintf(resp->err, sizeof(resp->err), "answer larger than %zu bytes", req->max_body);
	else if (rc == CURLE_OPERATION_TIMEDOUT) {
		resp->timed_out = 1;
		snprintf(resp->err, sizeof(resp->err), "timed out after %ld ms", req->timeout_ms);
	}
	else
		snprintf(resp->err, sizeof(resp->err), "%s", curl_easy_strerror(rc));
	return -1;
}

void
http_response_free(struct http_response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}
