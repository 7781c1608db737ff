/* request.c - checks the upgrade and the event stream share (see request.h). */
#include "request.h"

#include "category.h"
#include "log.h"
#include "origin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define URL_ARG_MAX 256 /* bytes of one ?name=value we read; a longer one is refused */
#define URL_ARGS_MAX 16 /* arguments in one URL */

static const char *reason_of(int status)
{
	switch (status) {
	case HTTP_STATUS_BAD_REQUEST:
		return "Bad Request";
	case HTTP_STATUS_FORBIDDEN:
		return "Forbidden";
	case HTTP_STATUS_NOT_FOUND:
		return "Not Found";
	case HTTP_STATUS_METHOD_NOT_ALLOWED:
		return "Method Not Allowed";
	default:
		return "Service Unavailable";
	}
}

int request_refuse_why(struct lws *wsi, int status, int64_t *counter, const char *why)
{
	char buf[REQUEST_WHY_MAX + 200], body[REQUEST_WHY_MAX + 64];
	const char *reason = reason_of(status);
	int head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
	int len = snprintf(body, sizeof(body), "%s%s%s\n", reason, why ? ": " : "", why ? why : "");
	int n;

	if (len < 0 || (size_t)len >= sizeof(body))
		len = snprintf(body, sizeof(body), "%s\n", reason);
	n = snprintf(buf, sizeof(buf),
		     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
		     "%sConnection: close\r\n\r\n%s",
		     status, reason, len, status == HTTP_STATUS_METHOD_NOT_ALLOWED ? "Allow: GET\r\n" : "",
		     head ? "" : body);
	if (counter)
		stats_add(counter, 1);
	if (n > 0 && (size_t)n < sizeof(buf) &&
	    send(lws_get_socket_fd(wsi), buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("refusal %d not sent: %s", status, strerror(errno));
	return 1;
}

int request_refuse(struct lws *wsi, int status, int64_t *counter)
{
	return request_refuse_why(wsi, status, counter, NULL);
}

int request_parse_id(const char *v, int64_t *id)
{
	size_t n = strlen(v);
	char *end;
	long long x;

	if (!n || n > REQUEST_ID_DIGITS_MAX || strspn(v, "0123456789") != n)
		return -1;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno || *end)
		return -1;
	*id = x;
	return 0;
}

/* 1 when arg is name=... or the bare name (name without its '='): an empty value. */
static int is_arg(const char *arg, const char *name, size_t nlen)
{
	return !strncmp(arg, name, nlen) || (!strncmp(arg, name, nlen - 1) && !arg[nlen - 1]);
}

/*
 * The URL argument name= (name ends with '=') into buf, *value pointing at its value
 * in buf ("" for the bare name): 1 found, 0 absent, -1 refused. Walks the arguments
 * itself: lws_get_urlarg_by_name() in 4.1.6 stops at the first argument longer than its buffer and answers "absent",
 * which would serve live jokes to a client that asked for a replay (or every
 * category to one that asked for a few). So an argument too long to read, more
 * than URL_ARGS_MAX of them, or name= twice is refused. lws has percent-decoded
 * each argument already (once: "%2C" arrives as ','; "%00" fails its parser).
 */
static int find_arg(struct lws *wsi, const char *name, char *buf, int size, const char **value)
{
	size_t nlen = strlen(name);
	int found = 0;

	for (int i = 0;; i++) {
		if (lws_hdr_copy_fragment(wsi, buf, size, WSI_TOKEN_HTTP_URI_ARGS, i) < 0) {
			if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i) > 0)
				return -1; /* there, but longer than buf */
			break;
		}
		if (i == URL_ARGS_MAX)
			return -1;
		if (is_arg(buf, name, nlen)) {
			if (found)
				return -1;
			found = i + 1;
		}
	}
	if (!found)
		return 0;
	if (lws_hdr_copy_fragment(wsi, buf, size, WSI_TOKEN_HTTP_URI_ARGS, found - 1) < 0)
		return -1;
	*value = buf[nlen - 1] ? buf + nlen : buf + nlen - 1;
	return 1;
}

int request_since(struct lws *wsi, int64_t *since)
{
	char buf[URL_ARG_MAX];
	const char *v;
	int rc = find_arg(wsi, "since=", buf, sizeof(buf), &v);

	if (rc <= 0)
		return rc;
	return request_parse_id(v, since) ? -1 : 1;
}

int request_category(struct lws *wsi, unsigned *mask, char *why, size_t size)
{
	char buf[URL_ARG_MAX], err[REQUEST_WHY_MAX];
	const char *v = "";
	int rc = find_arg(wsi, "category=", buf, sizeof(buf), &v);

	*mask = CATEGORY_ALL;
	if (!rc)
		return 0;
	if (rc < 0)
		snprintf(err, sizeof(err), "category given twice, or the URL arguments are too long");
	else if (!category_parse_list(v, strlen(v), mask, err, sizeof(err)))
		return 1;
	*mask = CATEGORY_ALL;
	/* category_parse_list() names the known list for an unknown name only: always name it */
	if (strstr(err, category_known()))
		snprintf(why, size, "?category=: %s", err);
	else
		snprintf(why, size, "?category=: %s (known: %s)", err, category_known());
	return -1;
}

int request_origin(struct worker *w, struct lws *wsi, int allow_missing)
{
	char origin[256], host[256];

	if (lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) < 0)
		origin[0] = '\0';
	if (lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) < 0)
		host[0] = '\0';
	if (!origin_check(origin, host, w->cfg->pushd_allowed_origins, allow_missing))
		return 0;
	log_info("worker %d: refused a request from Origin '%s' for Host '%s'", w->a->index, origin,
		 host);
	return request_refuse(wsi, HTTP_STATUS_FORBIDDEN, &w->st->refused_origin);
}

int request_confirm_upgrade(struct lws *wsi, const char *upgrade)
{
	if (!upgrade || strcasecmp(upgrade, "h2c"))
		return 0;
	request_refuse(wsi, HTTP_STATUS_BAD_REQUEST, NULL);
	return -1;
}

int request_count(struct worker *w, struct lws *wsi, struct pss *p)
{
	if (__atomic_add_fetch(&w->a->stats->clients_total, 1, __ATOMIC_RELAXED) >
	    w->cfg->pushd_max_clients) {
		stats_add(&w->a->stats->clients_total, -1);
		return request_refuse(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, &w->st->refused_limit);
	}
	p->counted = 1;
	return 0;
}
