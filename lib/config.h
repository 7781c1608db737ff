/* config.h - the one key table of jokes.conf, shared by all three programs.
 *
 * Precedence, lowest first: built-in default, the config file, the environment
 * (JOKES_<KEY>), then command-line flags (--key=value or --key value, '-' or '_').
 * Keys are prefixed by the program that uses them (fetch_, pushd_, fcgi_) except
 * the shared ones. A program validates its own and the shared keys, skips the
 * values of other programs' keys, and refuses any key nobody knows.
 */
#ifndef JOKES_CONFIG_H
#define JOKES_CONFIG_H

#include "redis_url.h"

#include <stdio.h>

#define CONFIG_PATH_MAX 256
#define CONFIG_URL_MAX 512
#define CONFIG_BASE_URL_MAX 200 /* fcgi_base_url: scheme, host, port and path together */
#define CONFIG_LIST_MAX 512
#define CONFIG_FLAGS_MAX 64
#define CONFIG_FILE_MAX (64 * 1024)
#define CONFIG_LINE_MAX 1024

#ifndef JOKES_SYSCONFDIR
#define JOKES_SYSCONFDIR "/usr/local/etc"
#endif
#define CONFIG_DEFAULT_FILE JOKES_SYSCONFDIR "/jokes/jokes.conf"

enum config_owner { CONFIG_SHARED = 0, CONFIG_FETCH, CONFIG_PUSHD, CONFIG_FCGI };

/* pushd_source: where jokes-pushd takes its jokes from */
enum config_source { CONFIG_SOURCE_SQLITE = 0, CONFIG_SOURCE_REDIS };

/*
 * config_load's answer when the config file sets a redis_url with a password and can be
 * read by everyone (mode o+r): EX_NOPERM (77), not EX_CONFIG, since the fix is a chmod.
 */
#define CONFIG_EX_SECRET_READABLE 77

struct config {
	/* shared */
	char state_dir[CONFIG_PATH_MAX];
	char db_path[CONFIG_PATH_MAX]; /* "" means <state_dir>/jokes.db */
	char notify_socket[CONFIG_PATH_MAX];
	int log_level;
	char redis_url[CONFIG_URL_MAX]; /* as written: "" means Redis is off */
	struct redis_url redis;         /* redis_url parsed (redis.set == 0 when off) */
	char redis_stream[REDIS_STREAM_MAX + 1];

	/* jokes-fetch */
	char fetch_sources[CONFIG_LIST_MAX];
	char fetch_chucknorris_url[CONFIG_URL_MAX];
	char fetch_icanhazdadjoke_url[CONFIG_URL_MAX];
	char fetch_jokeapi_url[CONFIG_URL_MAX];
	char fetch_official_url[CONFIG_URL_MAX];
	char fetch_contact_url[CONFIG_URL_MAX];
	long fetch_connect_timeout_ms;
	long fetch_timeout_ms;
	long fetch_budget_ms;
	long fetch_retries;
	long fetch_max_body;
	long fetch_notify_timeout_ms;
	long fetch_window_secs; /* --every divides this period (cron's minute) */
	long fetch_fts_optimize_every; /* optimize the FTS5 index when a stored id is a multiple */
	long fetch_redis_timeout_ms;   /* connect, and each command */
	long fetch_keep_days;	       /* remove jokes older than this many days; 0 keeps all */
	long fetch_redis_maxlen;       /* XADD ... MAXLEN ~ this, and the most one backfill adds */

	/* jokes-pushd */
	char pushd_listen[CONFIG_PATH_MAX]; /* "HOST:PORT" or "unix:/path" */
	char pushd_metrics_listen[CONFIG_PATH_MAX];
	char pushd_socket_group[64];
	char pushd_notify_group[64]; /* the notify socket's group; empty: pushd_socket_group */
	char pushd_allowed_origins[CONFIG_LIST_MAX];
	int pushd_allow_no_origin;
	long pushd_workers; /* 0: one per core */
	long pushd_ring_size;
	long pushd_ping_secs;
	long pushd_ping_timeout_secs;
	long pushd_poll_secs;
	long pushd_max_clients;
	long pushd_max_backlog;
	long pushd_handshake_secs;
	int pushd_source; /* enum config_source; redis needs redis_url */

	/* jokes-fcgi */
	long fcgi_page_size;
	char fcgi_static_url[CONFIG_URL_MAX];
	char fcgi_ws_url[CONFIG_URL_MAX];
	char fcgi_sse_url[CONFIG_URL_MAX];
	char fcgi_base_url[CONFIG_BASE_URL_MAX]; /* "" : from the request (Host, SERVER_PORT) */

	/* where the values came from, kept for a SIGHUP reload */
	enum config_owner owner;
	char file[CONFIG_PATH_MAX];
	int file_explicit;
	int nflags;
	const char *flags[CONFIG_FLAGS_MAX][2];
};

/* Fill every key with its built-in default. */
void config_defaults(struct config *cfg, enum config_owner owner);

/*
 * Take -c/--config FILE and every --KEY=VALUE out of argv (argc is updated, the
 * remaining arguments keep their order for the program's own getopt), then load
 * defaults, file, environment and flags. Returns 0, or EX_CONFIG after logging
 * one line that names the file, line and key, or CONFIG_EX_SECRET_READABLE when the
 * file holds a Redis password and is world-readable. argv strings must outlive cfg.
 */
int config_load(struct config *cfg, enum config_owner owner, int *argc, char **argv);

/*
 * Load again from the same file, environment and flags (SIGHUP). Returns 0, or
 * config_load's codes; on error cfg is unchanged.
 */
int config_reload(struct config *cfg);

/* Set one key from text. 0, or -1 after logging "WHERE: KEY: reason". */
int config_set(struct config *cfg, const char *key, const char *value, const char *where);

/*
 * Is [s, s+len) a host with an optional port, as in a URL: a DNS name or IPv4 address
 * (labels of letters, digits and '-', not at a label's ends, joined by '.'), or an IPv6
 * address in brackets; then ":PORT" with PORT 1 to 65535. 1 yes, 0 no. For the
 * fcgi_base_url check and for jokes-fcgi's use of the Host header.
 */
int config_host_ok(const char *s, size_t len);

/*
 * Check a base URL: "http://" or "https://", a host as config_host_ok takes it, then
 * nothing or a path of letters, digits and "/._~-" with no "." or ".." segment.
 * 0, or -1 with *why set to a short reason.
 */
int config_base_url_check(const char *url, const char **why);

/*
 * Check fcgi_ws_url: a path as in config_base_url_check ("/ws/jokes/", on the page's own
 * host), or "ws://" or "wss://", a host as config_host_ok takes it, then such a path.
 * 0, or -1 with *why set to a short reason.
 */
int config_ws_url_check(const char *url, const char **why);

/* Check a path on the page's own host (fcgi_sse_url): "/" then a path as above. 0, or -1 with *why. */
int config_path_check(const char *path, const char **why);

/*
 * Write every key = value of this program and the shared ones (for -n and docs); a password
 * in redis_url is written as "***".
 */
void config_dump(const struct config *cfg, FILE *out);

/* Print the "Configuration keys" part of --help for this program. */
void config_usage(enum config_owner owner, FILE *out);

#endif
