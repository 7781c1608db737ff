/* config.c - jokes.conf parsing against one whitelist of keys, plus env and flags. */
#include "config.h"

#include "cli.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

enum key_type { KEY_STR, KEY_INT, KEY_BOOL, KEY_LEVEL, KEY_BASE_URL, KEY_WS_URL, KEY_PATH, KEY_REDIS_URL, KEY_STREAM, KEY_SOURCE };

struct key {
	const char *name;
	enum key_type type;
	enum config_owner owner;
	size_t offset;
	size_t size; /* KEY_STR: buffer size */
	long min, max;
	const char *def;
	const char *help;
};

#define STR(n, o, d, h) {#n, KEY_STR, o, offsetof(struct config, n), sizeof(((struct config *)0)->n), 0, 0, d, h}
#define INT(n, o, lo, hi, d, h) {#n, KEY_INT, o, offsetof(struct config, n), 0, lo, hi, d, h}
#define BASE_URL(n, o, d, h) {#n, KEY_BASE_URL, o, offsetof(struct config, n), sizeof(((struct config *)0)->n), 0, 0, d, h}
#define TYPED(t, n, o, d, h) {#n, t, o, offsetof(struct config, n), sizeof(((struct config *)0)->n), 0, 0, d, h}
#define BOOL(n, o, d, h) {#n, KEY_BOOL, o, offsetof(struct config, n), 0, 0, 1, d, h}

static const struct key keys[] = {
	STR(state_dir, CONFIG_SHARED, "/var/lib/jokes", "directory of the database and the fetch lock"),
	STR(db_path, CONFIG_SHARED, "", "SQLite database (default: STATE_DIR/jokes.db)"),
	STR(notify_socket, CONFIG_SHARED, "/run/jokes/notify.sock", "Unix socket where jokes-pushd hears of new jokes"),
	{"log_level", KEY_LEVEL, CONFIG_SHARED, offsetof(struct config, log_level), 0, 0, 3, "info", "error, warn, info or debug (jokes-fetch: warn)"},
	TYPED(KEY_REDIS_URL, redis_url, CONFIG_SHARED, "", "Redis: redis://[:PASSWORD@]HOST[:PORT][/DB] or unix:PATH (empty: off; a password needs a config file others cannot read)"),
	TYPED(KEY_STREAM, redis_stream, CONFIG_SHARED, "jokes", "Redis stream of the jokes (1 to 128 of A-Z a-z 0-9 . _ : -)"),

	STR(fetch_sources, CONFIG_FETCH, "chucknorris, icanhazdadjoke, jokeapi, official, bundled", "sources to try, in order"),
	STR(fetch_chucknorris_url, CONFIG_FETCH, "https://api.chucknorris.io/jokes/random", "chucknorris.io endpoint"),
	STR(fetch_icanhazdadjoke_url, CONFIG_FETCH, "https://icanhazdadjoke.com/", "icanhazdadjoke endpoint"),
	STR(fetch_jokeapi_url, CONFIG_FETCH, "https://v2.jokeapi.dev/joke/Any?safe-mode", "JokeAPI v2 endpoint"),
	STR(fetch_official_url, CONFIG_FETCH, "https://official-joke-api.appspot.com/random_joke", "Official Joke API endpoint"),
	STR(fetch_contact_url, CONFIG_FETCH, "https://github.com/jokes/jokes", "contact URL sent in the User-Agent"),
	INT(fetch_connect_timeout_ms, CONFIG_FETCH, 100, 60000, "3000", "connect timeout per request"),
	INT(fetch_timeout_ms, CONFIG_FETCH, 100, 120000, "8000", "total timeout per request"),
	INT(fetch_budget_ms, CONFIG_FETCH, 100, 600000, "12000", "time budget for all sources of one fetch, shared between them"),
	INT(fetch_retries, CONFIG_FETCH, 0, 10, "1", "retries of a failing source before the next one"),
	INT(fetch_max_body, CONFIG_FETCH, 1024, 1048576, "65536", "largest API answer read, in bytes (decoded)"),
	INT(fetch_notify_timeout_ms, CONFIG_FETCH, 10, 10000, "500", "send timeout of the notify to jokes-pushd"),
	INT(fetch_window_secs, CONFIG_FETCH, 1, 3600, "60", "period that --every divides into slots (cron's minute)"),
	INT(fetch_fts_optimize_every, CONFIG_FETCH, 0, 1000000000, "4096", "merge the search index into one b-tree after every this many jokes (0: never)"),
	INT(fetch_redis_timeout_ms, CONFIG_FETCH, 10, 60000, "1000", "Redis connect timeout, and the longest wait for each command"),
	INT(fetch_keep_days, CONFIG_FETCH, 0, 36500, "0", "remove jokes fetched more than this many days ago, oldest first (0: keep every joke)"),
	INT(fetch_redis_maxlen, CONFIG_FETCH, 1, 10000000, "1000", "entries the Redis stream keeps (XADD MAXLEN ~), and the most one backfill adds"),

	STR(pushd_listen, CONFIG_PUSHD, "unix:/run/jokes/ws.sock", "WebSocket listener: HOST:PORT or unix:PATH"),
	STR(pushd_metrics_listen, CONFIG_PUSHD, "127.0.0.1:9108", "health and metrics listener: HOST:PORT, or empty for none"),
	STR(pushd_socket_group, CONFIG_PUSHD, "", "group given the Unix sockets (mode 0660)"),
	STR(pushd_notify_group, CONFIG_PUSHD, "", "group given the notify socket instead (the fetcher's; empty: pushd_socket_group)"),
	STR(pushd_allowed_origins, CONFIG_PUSHD, "", "extra allowed Origin values, comma separated"),
	BOOL(pushd_allow_no_origin, CONFIG_PUSHD, "no", "accept upgrades without an Origin header"),
	INT(pushd_workers, CONFIG_PUSHD, 0, 64, "0", "worker processes (0: one per core)"),
	INT(pushd_ring_size, CONFIG_PUSHD, 1, 100000, "500", "jokes kept for replay"),
	INT(pushd_ping_secs, CONFIG_PUSHD, 1, 3600, "25", "ping an idle client after this many seconds"),
	INT(pushd_ping_timeout_secs, CONFIG_PUSHD, 1, 3600, "10", "close a client that has not answered a ping"),
	INT(pushd_poll_secs, CONFIG_PUSHD, 1, 3600, "5", "read new jokes from the database at least this often"),
	INT(pushd_max_clients, CONFIG_PUSHD, 1, 4000000, "100000", "most WebSocket clients held at once"),
	INT(pushd_max_backlog, CONFIG_PUSHD, 1, 100000, "256", "unsent jokes a client may fall behind before it is closed"),
	INT(pushd_handshake_secs, CONFIG_PUSHD, 1, 3600, "10", "close a connection that has not completed the WebSocket handshake"),
	{"pushd_source", KEY_SOURCE, CONFIG_PUSHD, offsetof(struct config, pushd_source), 0, 0, 1, "sqlite", "where the jokes come from: sqlite (the database and notify socket) or redis (redis_url's stream)"},

	INT(fcgi_page_size, CONFIG_FCGI, 1, 100, "20", "jokes per page"),
	STR(fcgi_static_url, CONFIG_FCGI, "/jokes/static", "URL prefix of the page's CSS and script"),
	TYPED(KEY_WS_URL, fcgi_ws_url, CONFIG_FCGI, "/ws/jokes/", "WebSocket the page connects to: a path on the page's host, or a ws:// or wss:// URL (push nodes on another host)"),
	TYPED(KEY_PATH, fcgi_sse_url, CONFIG_FCGI, "/sse/jokes/", "Server-Sent Events path the page falls back to (a path on the page's host)"),
	BASE_URL(fcgi_base_url, CONFIG_FCGI, "", "the site's address for absolute links (feed) and the CSP, e.g. https://example.org (empty: from the request's Host)"),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct key *
key_find(const char *name, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == len && strncmp(keys[i].name, name, len) == 0)
			return &keys[i];
	return NULL;
}

/* Letters, digits and '-' inside; not empty, no '-' at either end. */
static int
label_ok(const char *s, size_t len)
{
	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

static int
port_ok(const char *s, size_t len)
{
	long port = 0;

	if (len == 0 || len > 5)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		port = port * 10 + (s[i] - '0');
	}
	return port >= 1 && port <= 65535;
}

int
config_host_ok(const char *s, size_t len)
{
	size_t host = len, i = 0;

	if (len == 0 || len > 255)
		return 0;
	if (s[0] == '[') { /* IPv6: hex digits, ':' and '.' (an IPv4 tail) in brackets */
		const char *end = memchr(s, ']', len);

		if (end == NULL || end == s + 1)
			return 0;
		for (const char *p = s + 1; p < end; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
				return 0;
		host = (size_t)(end - s) + 1;
	} else {
		const char *colon = memchr(s, ':', len);

		if (colon != NULL)
			host = (size_t)(colon - s);
		if (host == 0)
			return 0; /* ":PORT" alone names no host */
		while (i < host) {
			const char *dot = memchr(s + i, '.', host - i);
			size_t n = dot ? (size_t)(dot - (s + i)) : host - i;

			if (!label_ok(s + i, n))
				return 0;
			i += n + (dot != NULL);
			if (dot != NULL && i == host)
				return 0; /* a trailing dot */
		}
	}
	if (host == len)
		return 1;
	return s[host] == ':' && port_ok(s + host + 1, len - host - 1);
}

/* A URL path: letters, digits and "/._~-", no "." or ".." segment. 0, or -1 with *why. */
static int
path_check(const char *path, const char **why)
{
	if (strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._~-") !=
	    strlen(path))
		return *why = "the path may hold only letters, digits and /._~- (no query)", -1;
	for (const char *p = path; *p; p++)
		if (p[0] == '/' && p[1] == '.' && (p[2] == '/' || p[2] == '\0' ||
						   (p[2] == '.' && (p[3] == '/' || p[3] == '\0'))))
			return *why = "the path has a . or .. segment", -1;
	return 0;
}

/* HOST[:PORT][/PATH] after a URL's scheme. 0, or -1 with *why. */
static int
host_path_check(const char *host, const char **why)
{
	const char *path = host + strcspn(host, "/");

	if (!config_host_ok(host, (size_t)(path - host)))
		return *why = "needs a host name or address, then an optional :PORT (1 to 65535)", -1;
	return path_check(path, why);
}

int
config_base_url_check(const char *url, const char **why)
{
	if (strncmp(url, "http://", 7) == 0)
		return host_path_check(url + 7, why);
	if (strncmp(url, "https://", 8) == 0)
		return host_path_check(url + 8, why);
	return *why = "must start with http:// or https://", -1;
}

int
config_path_check(const char *path, const char **why)
{
	if (path[0] != '/')
		return *why = "must be a path on the page's host, starting with /", -1;
	return path_check(path, why);
}

int
config_ws_url_check(const char *url, const char **why)
{
	if (url[0] == '/')
		return path_check(url, why);
	if (strncmp(url, "ws://", 5) == 0)
		return host_path_check(url + 5, why);
	if (strncmp(url, "wss://", 6) == 0)
		return host_path_check(url + 6, why);
	return *why = "must be a path (/ws/jokes/) or a ws:// or wss:// URL", -1;
}

static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* redis_url (parsed into cfg->redis too) and redis_stream: checked, then copied. */
static int
special_apply(struct config *cfg, const struct key *k, const char *value, const char *where)
{
	char shown[CONFIG_URL_MAX];
	const char *why = NULL;
	struct redis_url url;

	if (strlen(value) >= k->size) {
		log_error("%s: %s: value longer than %zu bytes", where, k->name, k->size - 1);
		return -1;
	}
	if (has_control(value)) { /* before the value goes into a log line */
		log_error("%s: %s: control character in value", where, k->name);
		return -1;
	}
	if (k->type == KEY_STREAM && !redis_stream_valid(value)) {
		log_error("%s: %s: \"%s\" is not 1 to %d of A-Z a-z 0-9 . _ : -", where, k->name,
			  value, REDIS_STREAM_MAX);
		return -1;
	}
	if (k->type == KEY_REDIS_URL) {
		if (redis_url_parse(value, &url, &why) < 0) {
			log_error("%s: %s: \"%s\" %s", where, k->name,
				  redis_url_redact(value, shown, sizeof(shown)), why);
			return -1;
		}
		cfg->redis = url;
	}
	memcpy((char *)cfg + k->offset, value, strlen(value) + 1);
	return 0;
}

static int
key_apply(struct config *cfg, const struct key *k, const char *value, const char *where)
{
	char *field = (char *)cfg + k->offset;
	const char *why;
	long v;
	int b;

	/* Other programs' keys are known, so accepted, but their values are theirs to check. */
	if (k->owner != CONFIG_SHARED && k->owner != cfg->owner)
		return 0;
	switch (k->type) {
	case KEY_STR:
	case KEY_BASE_URL:
	case KEY_WS_URL:
	case KEY_PATH:
		if (strlen(value) >= k->size) {
			log_error("%s: %s: value longer than %zu bytes", where, k->name, k->size - 1);
			return -1;
		}
		if (has_control(value)) {
			log_error("%s: %s: control character in value", where, k->name);
			return -1;
		}
		if ((k->type == KEY_BASE_URL && *value != '\0' &&
		     config_base_url_check(value, &why) < 0) ||
		    (k->type == KEY_WS_URL && config_ws_url_check(value, &why) < 0) ||
		    (k->type == KEY_PATH && config_path_check(value, &why) < 0)) {
			log_error("%s: %s: \"%s\" %s", where, k->name, value, why);
			return -1;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case KEY_REDIS_URL:
	case KEY_STREAM:
		return special_apply(cfg, k, value, where);
	case KEY_SOURCE:
		if (!strcmp(value, "sqlite"))
			b = CONFIG_SOURCE_SQLITE;
		else if (!strcmp(value, "redis"))
			b = CONFIG_SOURCE_REDIS;
		else {
			log_error("%s: %s: \"%s\" is not sqlite or redis", where, k->name, value);
			return -1;
		}
		*(int *)(void *)field = b;
		return 0;
	case KEY_INT:
		if (cli_long(value, k->min, k->max, &v) < 0) {
			log_error("%s: %s: \"%s\" is not a whole number from %ld to %ld", where,
				  k->name, value, k->min, k->max);
			return -1;
		}
		*(long *)(void *)field = v;
		return 0;
	case KEY_BOOL:
		if (!strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "1"))
			b = 1;
		else if (!strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "0"))
			b = 0;
		else {
			log_error("%s: %s: \"%s\" is not yes or no", where, k->name, value);
			return -1;
		}
		*(int *)(void *)field = b;
		return 0;
	case KEY_LEVEL:
		b = log_level_parse(value);
		if (b < 0) {
			log_error("%s: %s: \"%s\" is not error, warn, info or debug", where, k->name,
				  value);
			return -1;
		}
		*(int *)(void *)field = b;
		return 0;
	}
	return -1;
}

int
config_set(struct config *cfg, const char *key, const char *value, const char *where)
{
	const struct key *k = key_find(key, strlen(key));

	if (k == NULL) {
		log_error("%s: %s: unknown key", where, key);
		return -1;
	}
	return key_apply(cfg, k, value, where);
}

void
config_defaults(struct config *cfg, enum config_owner owner)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->owner = owner;
	for (size_t i = 0; i < NKEYS; i++) {
		enum config_owner saved = cfg->owner;
		cfg->owner = keys[i].owner; /* defaults of every key, so dumps are complete */
		(void)key_apply(cfg, &keys[i], keys[i].def, "default");
		cfg->owner = saved;
	}
	/* cron mails whatever a job prints: the fetcher says only what is wrong unless asked */
	if (owner == CONFIG_FETCH)
		cfg->log_level = LOG_LEVEL_WARN;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* One "key = value" line; comments and blank lines are 0 too. */
static int
file_line(struct config *cfg, char *line, const char *where, unsigned char *seen)
{
	char *eq, *key, *value;
	const struct key *k;

	line = trim(line);
	if (*line == '\0' || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (eq == NULL) {
		log_error("%s: expected \"key = value\"", where);
		return -1;
	}
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	k = key_find(key, strlen(key));
	if (k == NULL) {
		log_error("%s: %s: unknown key", where, key);
		return -1;
	}
	if (seen[k - keys]++) {
		log_error("%s: %s: key given twice", where, key);
		return -1;
	}
	return key_apply(cfg, k, value, where);
}

/* A file that sets a Redis password must not be readable by others: 0, or -2 after logging. */
static int
secret_private(const char *path, FILE *f)
{
	struct stat st;

	if (fstat(fileno(f), &st) < 0) {
		log_error("%s: cannot stat: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_mode & S_IROTH) {
		log_error("%s: redis_url holds a password but the file is readable by everyone "
			  "(mode %03o): chmod o-r it, or give the password another way",
			  path, (unsigned)(st.st_mode & 0777));
		return -2;
	}
	return 0;
}

static int
load_file(struct config *cfg)
{
	char line[CONFIG_LINE_MAX + 2], where[CONFIG_PATH_MAX + 32];
	unsigned char seen[NKEYS] = {0};
	size_t total = 0;
	int lineno = 0, rc = 0;
	FILE *f;

	f = fopen(cfg->file, "r");
	if (f == NULL) {
		if (errno == ENOENT && !cfg->file_explicit)
			return 0;
		log_error("%s: cannot open: %s", cfg->file, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);
		lineno++;
		snprintf(where, sizeof(where), "%s:%d", cfg->file, lineno);
		total += len;
		if (total > CONFIG_FILE_MAX) {
			log_error("%s: file larger than %d bytes", cfg->file, CONFIG_FILE_MAX);
			rc = -1;
		} else if (len > CONFIG_LINE_MAX && line[len - 1] != '\n') {
			log_error("%s: line longer than %d bytes", where, CONFIG_LINE_MAX);
			rc = -1;
		} else
			rc = file_line(cfg, line, where, seen);
	}
	if (rc == 0 && ferror(f)) {
		log_error("%s: read error", cfg->file);
		rc = -1;
	}
	if (rc == 0 && cfg->redis.password[0] != '\0')
		rc = secret_private(cfg->file, f);
	fclose(f);
	return rc;
}

static int
load_env(struct config *cfg)
{
	char name[96], where[128];

	for (size_t i = 0; i < NKEYS; i++) {
		const char *v;
		size_t j;

		memcpy(name, "JOKES_", 6);
		for (j = 0; keys[i].name[j] && j + 7 < sizeof(name); j++)
			name[6 + j] = (char)toupper((unsigned char)keys[i].name[j]);
		name[6 + j] = '\0';
		v = getenv(name);
		if (v == NULL)
			continue;
		snprintf(where, sizeof(where), "environment %s", name);
		if (key_apply(cfg, &keys[i], v, where) < 0)
			return -1;
	}
	return 0;
}

static int
load_flags(struct config *cfg)
{
	for (int i = 0; i < cfg->nflags; i++)
		if (config_set(cfg, cfg->flags[i][0], cfg->flags[i][1], "command line") < 0)
			return -1;
	return 0;
}

static int
finish(struct config *cfg)
{
	int n;

	if (cfg->owner == CONFIG_PUSHD && cfg->pushd_source == CONFIG_SOURCE_REDIS &&
	    !cfg->redis.set) {
		log_error("pushd_source: redis needs a redis_url");
		return -1;
	}
	if (cfg->db_path[0] != '\0')
		return 0;
	n = snprintf(cfg->db_path, sizeof(cfg->db_path), "%s/jokes.db", cfg->state_dir);
	if (n < 0 || (size_t)n >= sizeof(cfg->db_path)) {
		log_error("state_dir: path too long for the database beside it");
		return -1;
	}
	return 0;
}

/* 0, EX_CONFIG, or CONFIG_EX_SECRET_READABLE; one line logged. */
static int
load_all(struct config *cfg)
{
	int rc = load_file(cfg);

	if (rc == -2)
		return CONFIG_EX_SECRET_READABLE;
	if (rc < 0 || load_env(cfg) < 0 || load_flags(cfg) < 0 || finish(cfg) < 0)
		return EX_CONFIG;
	return 0;
}

/* Is argv[i] "--NAME=VALUE" or "--NAME VALUE" with NAME a config key? Stores the key in buf. */
static const char *
flag_key(const char *arg, char *buf, size_t size, const char **value)
{
	const char *eq;
	size_t len;

	if (strncmp(arg, "--", 2) != 0)
		return NULL;
	arg += 2;
	eq = strchr(arg, '=');
	len = eq ? (size_t)(eq - arg) : strlen(arg);
	if (len == 0 || len >= size)
		return NULL;
	for (size_t i = 0; i < len; i++)
		buf[i] = arg[i] == '-' ? '_' : arg[i];
	buf[len] = '\0';
	if (key_find(buf, len) == NULL)
		return NULL;
	*value = eq ? eq + 1 : NULL;
	return buf;
}

static int
take_args(struct config *cfg, int *argc, char **argv)
{
	static char names[CONFIG_FLAGS_MAX][64];
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		const char *arg = argv[i], *value;

		if (!strcmp(arg, "--")) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strcmp(arg, "-c") || !strcmp(arg, "--config")) {
			if (i + 1 >= *argc) {
				log_error("%s needs a file name", arg);
				return -1;
			}
			snprintf(cfg->file, sizeof(cfg->file), "%s", argv[++i]);
			cfg->file_explicit = 1;
			continue;
		}
		if (!strncmp(arg, "--config=", 9)) {
			snprintf(cfg->file, sizeof(cfg->file), "%s", arg + 9);
			cfg->file_explicit = 1;
			continue;
		}
		if (cfg->nflags < CONFIG_FLAGS_MAX &&
		    flag_key(arg, names[cfg->nflags], sizeof(names[0]), &value) != NULL) {
			if (value == NULL) {
				if (i + 1 >= *argc) {
					log_error("%s needs a value", arg);
					return -1;
				}
				value = argv[++i];
			}
			cfg->flags[cfg->nflags][0] = names[cfg->nflags];
			cfg->flags[cfg->nflags][1] = value;
			cfg->nflags++;
			continue;
		}
		argv[out++] = argv[i];
	}
	*argc = out;
	argv[out] = NULL;
	return 0;
}

int
config_load(struct config *cfg, enum config_owner owner, int *argc, char **argv)
{
	const char *env_file = getenv("JOKES_CONFIG");
	int rc;

	config_defaults(cfg, owner);
	snprintf(cfg->file, sizeof(cfg->file), "%s", CONFIG_DEFAULT_FILE);
	if (env_file != NULL && *env_file) {
		snprintf(cfg->file, sizeof(cfg->file), "%s", env_file);
		cfg->file_explicit = 1;
	}
	if (argc != NULL && take_args(cfg, argc, argv) < 0)
		return EX_USAGE;
	rc = load_all(cfg);
	if (rc != 0)
		return rc;
	log_set_level((enum log_level)cfg->log_level);
	return 0;
}

int
config_reload(struct config *cfg)
{
	struct config next = *cfg;
	int i;

	config_defaults(&next, cfg->owner);
	memcpy(next.file, cfg->file, sizeof(next.file));
	next.file_explicit = cfg->file_explicit;
	next.nflags = cfg->nflags;
	for (i = 0; i < cfg->nflags; i++) {
		next.flags[i][0] = cfg->flags[i][0];
		next.flags[i][1] = cfg->flags[i][1];
	}
	i = load_all(&next);
	if (i != 0)
		return i;
	*cfg = next;
	log_set_level((enum log_level)cfg->log_level);
	return 0;
}

static int
key_shown(const struct key *k, enum config_owner owner)
{
	return k->owner == CONFIG_SHARED || k->owner == owner;
}

void
config_dump(const struct config *cfg, FILE *out)
{
	char shown[CONFIG_URL_MAX];

	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const char *field = (const char *)cfg + k->offset;

		if (!key_shown(k, cfg->owner))
			continue;
		switch (k->type) {
		case KEY_STR:
		case KEY_BASE_URL:
		case KEY_WS_URL:
		case KEY_PATH:
		case KEY_STREAM:
			fprintf(out, "%s = %s\n", k->name, field);
			break;
		case KEY_REDIS_URL:
			fprintf(out, "%s = %s\n", k->name, redis_url_redact(field, shown, sizeof(shown)));
			break;
		case KEY_SOURCE:
			fprintf(out, "%s = %s\n", k->name,
				*(const int *)(const void *)field == CONFIG_SOURCE_REDIS ? "redis" : "sqlite");
			break;
		case KEY_INT:
			fprintf(out, "%s = %ld\n", k->name, *(const long *)(const void *)field);
			break;
		case KEY_BOOL:
			fprintf(out, "%s = %s\n", k->name,
				*(const int *)(const void *)field ? "yes" : "no");
			break;
		case KEY_LEVEL:
			fprintf(out, "%s = %s\n", k->name,
				log_level_name((enum log_level) * (const int *)(const void *)field));
			break;
		}
	}
}

void
config_usage(enum config_owner owner, FILE *out)
{
	fprintf(out, "\nConfiguration (file %s, env JOKES_<KEY>, or --key=value):\n",
		CONFIG_DEFAULT_FILE);
	for (size_t i = 0; i < NKEYS; i++)
		if (key_shown(&keys[i], owner))
			fprintf(out, "  %-26s %s%s%s%s\n", keys[i].name, keys[i].help,
				*keys[i].def ? " (default: " : "", keys[i].def,
				*keys[i].def ? ")" : "");
}
