/* main.c - jokes-fetch: fetch one joke (or one per --every slot), store it, wake jokes-pushd. */
#include "bundled.h"
#include "cli.h"
#include "config.h"
#include "db.h"
#include "fetch.h"
#include "joke.h"
#include "lock.h"
#include "retention.h"
#include "log.h"
#include "notify.h"
#include "publish.h"
#include "source.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;

struct options {
	long every; /* 0: one fetch */
	const char *only;
	int list;
};

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: jokes-fetch [-c FILE] [--key=value ...] [--every SECONDS] [--source NAME]\n"
		"                   [--list-sources] [-n] [--help] [--version]\n"
		"\n"
		"Fetch one joke from the first source that answers with a new one, store it in\n"
		"the database, wake jokes-pushd and, with redis_url, add what the Redis stream\n"
		"lacks. Quiet on success; errors are one line each.\n"
		"\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"  --every SECONDS     fetch at each SECONDS slot of the current minute\n"
		"                      (fetch_window_secs), then leave before the next one\n"
		"  --source NAME       ask only this source (no failover), for checks\n"
		"  --list-sources      print the known sources, their order and URLs\n"
		"  -n                  check the configuration, print it and exit\n"
		"  -h, --help          this text; -V, --version  the version\n"
		"\n"
		"Exit: 0 stored (or nothing new), 64 usage, 73 no state_dir, 74 I/O error,\n"
		"75 every source failed / another run holds the lock / database locked,\n"
		"77 database or state_dir not writable, or a Redis password in a config file\n"
		"anyone can read, 78 configuration. Redis down is not a failure: the joke is\n"
		"stored and goes to the stream later (one warning per outage).\n",
		CONFIG_DEFAULT_FILE);
	config_usage(CONFIG_FETCH, out);
}

enum { OPT_EVERY = 1000, OPT_SOURCE, OPT_LIST };

static const struct option fetch_longs[] = {
	{"every", required_argument, NULL, OPT_EVERY},
	{"source", required_argument, NULL, OPT_SOURCE},
	{"list-sources", no_argument, NULL, OPT_LIST},
	{NULL, 0, NULL, 0},
};

/* One of jokes-fetch's own options (cli_parse). */
static int
fetch_option(void *ctx, int id, const char *arg)
{
	struct options *o = ctx;

	switch (id) {
	case OPT_EVERY:
		if (cli_long(arg, 1, 3600, &o->every) < 0) {
			log_error("--every: \"%s\" is not a number of seconds from 1 to 3600", arg);
			return EX_USAGE;
		}
		return 0;
	case OPT_SOURCE:
		o->only = arg;
		return 0;
	case OPT_LIST:
		o->list = 1;
		return 0;
	}
	return EX_USAGE;
}

/* The fetch keys beyond what the key table checks: source names and URL schemes. */
static int
check_config(const struct config *cfg)
{
	const struct source *order[SOURCE_MAX];
	int n = source_parse_list(cfg->fetch_sources, order);

	if (n < 0)
		return EX_CONFIG;
	for (int i = 0; i < n; i++) {
		const char *url = source_url(order[i], cfg);
		if (order[i]->parse != NULL && strncmp(url, "http://", 7) != 0 &&
		    strncmp(url, "https://", 8) != 0) {
			log_error("fetch_%s_url: \"%s\" is not an http:// or https:// URL",
				  order[i]->name, url);
			return EX_CONFIG;
		}
	}
	return 0;
}

static void
list_sources(const struct config *cfg)
{
	const struct source *order[SOURCE_MAX];
	size_t count;
	const struct source *all = source_list(&count);
	int n = source_parse_list(cfg->fetch_sources, order);

	for (size_t i = 0; i < count; i++) {
		char pos[16] = "-";
		for (int k = 0; k < n; k++)
			if (order[k] == &all[i])
				snprintf(pos, sizeof(pos), "#%d", k + 1);
		if (all[i].parse == NULL)
			printf("%-15s %-4s compiled in, %zu jokes\n", all[i].name, pos,
			       bundled_count());
		else
			printf("%-15s %-4s %s\n", all[i].name, pos, source_url(&all[i], cfg));
	}
}

static int
check_state_dir(const struct config *cfg)
{
	struct stat st;

	if (stat(cfg->state_dir, &st) < 0) {
		log_error("state_dir %s: %s", cfg->state_dir, strerror(errno));
		return EX_CANTCREAT;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_error("state_dir %s: not a directory", cfg->state_dir);
		return EX_CANTCREAT;
	}
	return 0;
}

/*
 * One fetch, its notify and the Redis stream (publish_run adds what the stream lacks, the
 * new joke among them, whatever the fetch did); returns the exit code of this slot.
 */
static int
one_fetch(struct fetch *f, const struct config *cfg, int64_t deadline_ms)
{
	enum fetch_result r;
	struct joke j;

	r = fetch_run(f, deadline_ms, &j);
	if (r == FETCH_STORED && cfg->notify_socket[0] != '\0' &&
	    notify_send(cfg->notify_socket, &j, (int)cfg->fetch_notify_timeout_ms) < 0)
		log_warn("notify %s: %s; joke %lld is stored, jokes-pushd will catch up",
			 cfg->notify_socket, strerror(errno), (long long)j.id);
	if (r != FETCH_BUSY && r != FETCH_DB_ERROR) {
		(void)publish_run(cfg, f->db);
		(void)retention_run(f->db, cfg->fetch_keep_days);
	}
	switch (r) {
	case FETCH_STORED:
		if (cfg->fetch_fts_optimize_every > 0 && j.id % cfg->fetch_fts_optimize_every == 0) {
			int64_t t0 = fetch_now_ms();

			if (db_fts_optimize(f->db) == 0)
				log_info("search index merged at joke %lld in %lld ms", (long long)j.id,
					 (long long)(fetch_now_ms() - t0));
		}
		return 0;
	case FETCH_NOTHING_NEW:
		return 0;
	case FETCH_FAILED:
	case FETCH_BUSY:
		return EX_TEMPFAIL;
	case FETCH_DB_ERROR:
		break;
	}
	return EX_IOERR;
}

/*
 * --every: the window (fetch_window_secs, aligned to the epoch like cron's minute) is cut
 * into slots of `every` seconds; fetch now, then at each later slot start, each fetch ending
 * before its slot does, and leave before the window ends (the next cron run).
 */
static int
run_slots(struct fetch *f, const struct config *cfg, long every)
{
	int64_t window = cfg->fetch_window_secs * 1000, step = every * 1000;
	int64_t now = joke_wall_ms(), start = now - now % window, end = start + window;
	int rc = 0;

	while (!stopping) {
		int64_t slot_end = start + ((now - start) / step + 1) * step;
		int64_t limit = cfg->fetch_budget_ms, r;
		if (slot_end > end)
			slot_end = end;
		if (slot_end - now - 200 < limit)
			limit = slot_end - now - 200;
		r = one_fetch(f, cfg, fetch_now_ms() + limit);
		if (r == EX_IOERR || (r != 0 && rc == 0))
			rc = (int)r;
		if (r == EX_IOERR || slot_end >= end)
			break;
		now = joke_wall_ms();
		if (slot_end > now) {
			struct timespec ts = {(slot_end - now) / 1000, ((slot_end - now) % 1000) * 1000000};
			while (!stopping && nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
		now = joke_wall_ms();
		if (now >= end)
			break;
	}
	return rc;
}

static int
run(const struct config *cfg, const struct options *o)
{
	char lock_path[CONFIG_PATH_MAX + 32];
	enum db_status status;
	struct fetch f = {0}; /* fetch_free is safe before fetch_init */
	sqlite3 *db;
	int rc, lock_fd;

	if ((rc = check_state_dir(cfg)) != 0)
		return rc;
	snprintf(lock_path, sizeof(lock_path), "%s/jokes-fetch.lock", cfg->state_dir);
	if ((lock_fd = lock_take(lock_path, &rc)) < 0)
		return rc;
	db = db_open(cfg->db_path, DB_WRITE, &status);
	if (db == NULL) {
		close(lock_fd);
		return db_status_exit(status);
	}
	if (bundled_set_categories(db, &status) < 0) /* once, after the migration to schema 2 */
		rc = db_status_exit(status);
	else if (fetch_init(&f, cfg, db, o->only) < 0)
		rc = o->only ? EX_USAGE : EX_CONFIG;
	else if (o->every > 0)
		rc = run_slots(&f, cfg, o->every);
	else
		rc = one_fetch(&f, cfg, fetch_now_ms() + cfg->fetch_budget_ms);
	fetch_free(&f);
	db_close(db);
	close(lock_fd);
	return rc;
}

int
main(int argc, char **argv)
{
	struct options o = {0};
	struct cli cli = {"jokes-fetch", usage, fetch_longs, fetch_option, &o, 0};
	struct config cfg;
	struct sigaction sa;
	int rc;

	log_init("jokes-fetch", LOG_LEVEL_INFO);
	if ((rc = cli_load(&cli, &cfg, CONFIG_FETCH, &argc, argv)) >= 0)
		return rc;
	if ((rc = check_config(&cfg)) != 0)
		return rc;
	if (o.only != NULL && source_find(o.only) == NULL) {
		log_error("--source: unknown source \"%s\" (see --list-sources)", o.only);
		return EX_USAGE;
	}
	if (o.list) {
		list_sources(&cfg);
		return 0;
	}
	if (cli.check)
		return cli_check_ok(&cli, &cfg);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a sleep between slots ends at once */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return run(&cfg, &o);
}
