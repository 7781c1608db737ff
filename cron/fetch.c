/* fetch.c - failover over the sources with retries, backoff, rests and duplicate checks. */
#include "fetch.h"

#include "bundled.h"
#include "db.h"
#include "log.h"
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define BACKOFF_FIRST_MS 250
#define MIN_REQUEST_MS 100 /* less time left than this: do not start a request */
#define MIN_SHARE_MS 200   /* a source's share of the budget is at least this (if left) */
#define RATE_LIMIT_REST 60 /* a 429 without Retry-After */

enum try_result { TRY_STORED, TRY_ONLY_DUPS, TRY_FAILED, TRY_RESTING, TRY_BUSY, TRY_DB, TRY_SKIPPED };

/*
 * How one request ended: a timeout is not retried in the same fetch; REQ_EXPLICIT is a good
 * answer with a joke its source marks explicit, passed over like one already stored.
 */
enum request_result { REQ_OK, REQ_FAILED, REQ_TIMED_OUT, REQ_RESTING, REQ_EXPLICIT };

/* What one source gave during one fetch. */
struct attempt {
	const struct source *src;
	struct source_state st, saved;
	int64_t until; /* end of its share of the fetch's budget (CLOCK_MONOTONIC ms) */
	char why[200];
};

int64_t
fetch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wall-clock seconds for rests, from the same clock as the slots and fetched_at. */
static int64_t
wall_secs(void)
{
	return joke_wall_ms() / 1000;
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	if (ms > 0)
		nanosleep(&ts, NULL);
}

int
fetch_init(struct fetch *f, const struct config *cfg, sqlite3 *db, const char *only)
{
	memset(f, 0, sizeof(*f));
	f->cfg = cfg;
	f->db = db;
	if (only != NULL) {
		f->order[0] = source_find(only);
		if (f->order[0] == NULL) {
			log_error("--source: unknown source \"%s\"", only);
			return -1;
		}
		f->nsources = 1;
	} else if ((f->nsources = source_parse_list(cfg->fetch_sources, f->order)) < 0)
		return -1;
	snprintf(f->user_agent, sizeof(f->user_agent), "jokes/%s (+%s)", JOKES_VERSION,
		 cfg->fetch_contact_url);
	return 0;
}

void
fetch_free(struct fetch *f)
{
	http_client_free(f->http);
	f->http = NULL;
}

/* Store j unless it is already there; 1 stored, 0 duplicate, TRY_BUSY/TRY_DB negated on error. */
static int
store(struct fetch *f, struct joke *j, int check_text)
{
	enum db_status status = DB_OK;
	int rc;

	if (check_text && db_text_seen(f->db, j->text, NULL))
		return 0;
	rc = db_insert_joke(f->db, j, &status);
	if (rc >= 0)
		return rc;
	return status == DB_BUSY ? -TRY_BUSY : -TRY_DB;
}

/* One request, ending by a->until: REQ_OK with the parsed joke in j, or the reason in a->why. */
static enum request_result
request(struct fetch *f, struct attempt *a, struct joke *j)
{
	const struct config *cfg = f->cfg;
	struct http_request req = {
		.url = source_url(a->src, cfg),
		.user_agent = f->user_agent,
		.connect_timeout_ms = cfg->fetch_connect_timeout_ms,
		.timeout_ms = cfg->fetch_timeout_ms,
		.max_body = (size_t)cfg->fetch_max_body,
	};
	struct http_response resp;
	int64_t left = a->until - fetch_now_ms();
	enum request_result rc = REQ_FAILED;
	char err[160];
	int parsed;

	if (left < req.timeout_ms)
		req.timeout_ms = left;
	if (req.connect_timeout_ms > req.timeout_ms)
		req.connect_timeout_ms = req.timeout_ms;
	if (f->http == NULL && (f->http = http_client_new()) == NULL) {
		snprintf(a->why, sizeof(a->why), "cannot start libcurl");
		return REQ_FAILED;
	}
	if (a->src->min_interval_secs > 0)
		a->st.rest_until = wall_secs() + a->src->min_interval_secs;
	if (http_get(f->http, &req, &resp) < 0) {
		snprintf(a->why, sizeof(a->why), "%s", resp.err);
		if (resp.timed_out)
			rc = REQ_TIMED_OUT;
	} else if ((resp.status == 429 || resp.status == 503) && resp.retry_after > 0) {
		a->st.rest_until = resp.retry_after;
		snprintf(a->why, sizeof(a->why), "HTTP %ld, Retry-After", resp.status);
		rc = REQ_RESTING;
	} else if (resp.status == 429) {
		a->st.rest_until = wall_secs() + RATE_LIMIT_REST;
		snprintf(a->why, sizeof(a->why), "HTTP 429");
		rc = REQ_RESTING;
	} else if (resp.status < 200 || resp.status > 299)
		snprintf(a->why, sizeof(a->why), "HTTP %ld", resp.status);
	else if ((parsed = a->src->parse(resp.body, resp.len, j, err, sizeof(err))) < 0)
		snprintf(a->why, sizeof(a->why), "bad answer: %s", err);
	else if (parsed == SOURCE_EXPLICIT) {
		snprintf(a->why, sizeof(a->why), "%s", err);
		rc = REQ_EXPLICIT;
	} else
		rc = REQ_OK;
	http_response_free(&resp);
	return rc;
}

/*
 * Ask one network source, with retries and backoff, until a new joke, the limits or the end
 * of its share (a->until; deadline is the whole fetch's). A timeout is not retried: the time
 * a slow source took again would be taken from the sources after it. A joke its source marks
 * explicit is passed over as one already stored is (one info line each): the source works,
 * so it is asked again up to FETCH_DUP_MAX answers in all, then the next source.
 */
static enum try_result
try_network(struct fetch *f, struct attempt *a, int64_t deadline, struct joke *j)
{
	/* A source with a tight published budget (official: 100/hour) is asked once per run. */
	int once = a->src->min_interval_secs > 1;
	long retries = once ? 0 : f->cfg->fetch_retries;
	int tries = 0, dups = 0, rc; /* dups: answers passed over (already stored, explicit) */

	for (;;) {
		int64_t left = a->until - fetch_now_ms();
		enum request_result got;
		if (left < MIN_REQUEST_MS) {
			if (tries == 0) /* not asked (again): not its failure */
				return dups ? TRY_ONLY_DUPS : TRY_SKIPPED;
			size_t used = strlen(a->why);
			snprintf(a->why + used, sizeof(a->why) - used, "; then %s",
				 a->until < deadline ? "its share of the time budget is spent"
						     : "the time budget is spent");
			return TRY_FAILED;
		}
		got = request(f, a, j);
		if (got == REQ_RESTING)
			return TRY_RESTING;
		if (got == REQ_TIMED_OUT)
			return TRY_FAILED;
		if (got == REQ_EXPLICIT) {
			log_info("%s: joke %s not stored: its source marks it explicit (%s)",
				 a->src->name, j->source_id, a->why);
			if (++dups >= FETCH_DUP_MAX || once)
				return TRY_ONLY_DUPS;
			continue;
		}
		if (got == REQ_OK) {
			rc = store(f, j, 1);
			if (rc < 0)
				return (enum try_result)-rc;
			if (rc == 1)
				return TRY_STORED;
			log_debug("%s: joke %s is already stored; asking again", a->src->name,
				  j->source_id);
			if (++dups >= FETCH_DUP_MAX || once)
				return TRY_ONLY_DUPS;
			continue;
		}
		log_debug("%s: %s", a->src->name, a->why);
		if (tries++ >= retries)
			return TRY_FAILED;
		left = a->until - fetch_now_ms() - MIN_REQUEST_MS;
		sleep_ms(BACKOFF_FIRST_MS << (tries - 1) < left ? BACKOFF_FIRST_MS << (tries - 1)
								 : left);
	}
}

/*
 * Rest, failure count and the one log line for the outcome of a source; state saved. When
 * the state cannot be saved after j was stored, the joke stands (TRY_STORED, one warning):
 * the source only misses one rest or one reset of its failure count.
 */
static enum try_result
settle(struct fetch *f, struct attempt *a, enum try_result r, const struct joke *j)
{
	int64_t now = wall_secs();
	int busy = 0;

	if (r == TRY_FAILED) {
		a->st.failures++;
		if (a->st.failures >= FETCH_FAILS_TO_REST) {
			int shift = a->st.failures - FETCH_FAILS_TO_REST;
			int64_t rest = shift > 6 ? FETCH_REST_MAX : (int64_t)60 << shift;
			if (rest > FETCH_REST_MAX)
				rest = FETCH_REST_MAX;
			if (a->st.rest_until < now + rest)
				a->st.rest_until = now + rest;
		}
		log_warn("%s: %s; trying the next source", a->src->name, a->why);
	} else if (r == TRY_SKIPPED)
		log_info("%s: not asked, the time budget of this fetch is spent", a->src->name);
	else if (r == TRY_RESTING)
		log_warn("%s: %s; resting %lld s", a->src->name, a->why,
			 (long long)(a->st.rest_until - now));
	else if (r == TRY_STORED || r == TRY_ONLY_DUPS)
		a->st.failures = 0;
	if ((a->st.rest_until == a->saved.rest_until && a->st.failures == a->saved.failures) ||
	    state_put(f->db, a->src->name, &a->st, &busy) == 0)
		return r;
	if (r == TRY_STORED) {
		log_warn("%s: joke %lld is stored, but saving the source's rest and failure count "
			 "failed: %s", a->src->name, (long long)j->id, sqlite3_errmsg(f->db));
		return r;
	}
	if (busy) /* fetch_run says so */
		return TRY_BUSY;
	log_error("%s: saving the source's rest and failure count: %s", a->src->name,
		  sqlite3_errmsg(f->db));
	return TRY_DB;
}

static enum try_result
try_source(struct fetch *f, struct attempt *a, int64_t deadline, struct joke *j)
{
	int64_t now = wall_secs();
	int rc;

	if (a->src->parse == NULL) { /* bundled */
		if (bundled_pick(f->db, j) < 0)
			return TRY_DB;
		rc = store(f, j, 0);
		return rc == 1 ? TRY_STORED : rc == 0 ? TRY_ONLY_DUPS : (enum try_result)-rc;
	}
	if (a->st.rest_until > now) {
		if (f->nsources == 1) /* the only source: say why nothing is asked */
			log_info("%s: resting for %lld s more", a->src->name,
				 (long long)(a->st.rest_until - now));
		else
			log_debug("%s: resting for %lld s more", a->src->name,
				  (long long)(a->st.rest_until - now));
		return TRY_RESTING;
	}
	return settle(f, a, try_network(f, a, deadline, j), j);
}

/* The stored state of every network source of this fetch into a[]; 0, or -1 (logged). */
static int
load_states(const struct fetch *f, struct attempt *a)
{
	for (int i = 0; i < f->nsources; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].src = f->order[i];
		if (a[i].src->parse != NULL && state_get(f->db, a[i].src->name, &a[i].st) < 0)
			return -1;
		a[i].saved = a[i].st;
	}
	return 0;
}

/*
 * The end of source i's share of what is left before deadline: an equal part for it and
 * for each network source after it that is not resting, so one slow source cannot take
 * the time of all the others. What a source leaves unused goes to the ones after it.
 */
static int64_t
share_end(const struct fetch *f, const struct attempt *a, int i, int64_t deadline)
{
	int64_t now = fetch_now_ms(), wall = wall_secs(), left = deadline - now, share;
	int n = 1;

	for (int k = i + 1; k < f->nsources; k++)
		if (a[k].src->parse != NULL && a[k].st.rest_until <= wall)
			n++;
	share = left / n;
	if (share < MIN_SHARE_MS)
		share = left < MIN_SHARE_MS ? left : MIN_SHARE_MS;
	return now + share;
}

enum fetch_result
fetch_run(struct fetch *f, int64_t deadline_ms, struct joke *j)
{
	struct attempt a[SOURCE_MAX];
	int only_dups = 0;

	if (load_states(f, a) < 0)
		return FETCH_DB_ERROR;
	for (int i = 0; i < f->nsources; i++) {
		a[i].until = share_end(f, a, i, deadline_ms);
		switch (try_source(f, &a[i], deadline_ms, j)) {
		case TRY_STORED:
			log_debug("%s: stored joke %lld (%s)", j->source, (long long)j->id,
				  j->source_id);
			return FETCH_STORED;
		case TRY_ONLY_DUPS:
			only_dups = 1;
			break;
		case TRY_FAILED:
		case TRY_RESTING:
		case TRY_SKIPPED:
			break;
		case TRY_BUSY:
			log_error("%s: database locked by another writer", f->cfg->db_path);
			return FETCH_BUSY;
		case TRY_DB:
			return FETCH_DB_ERROR;
		}
	}
	if (only_dups) {
		log_info("nothing new: the sources answered only with jokes already stored or "
			 "marked explicit");
		return FETCH_NOTHING_NEW;
	}
	log_error("every source failed or is resting; nothing stored");
	return FETCH_FAILED;
}
