/* main.c - jokes-fcgi: the jokes page, history, search, JSON API and feed, as FastCGI or CGI. */
#include "app.h"
#include "cli.h"
#include "config.h"
#include "log.h"

#include <errno.h>
#include <fcgiapp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

static volatile sig_atomic_t got_term, got_hup;
/* The FastCGI listening socket, set once before the signal handlers are installed. */
static int listen_fd = -1;

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: jokes-fcgi [-c FILE] [--key=value ...] [--socket PATH] [-n] [--help] [--version]\n"
		"\n"
		"Serve the jokes page (/jokes/), permalinks, search, the JSON API and the Atom feed;\n"
		"lists, search, API and feed take ?category=LIST (e.g. programming,dad).\n"
		"  --socket PATH  listen for FastCGI on this Unix socket (mode 0660)\n"
		"  (otherwise)    serve FastCGI on fd 0 when it is a listening socket (spawn-fcgi,\n"
		"                 lighttpd bin-path, systemd), or answer one CGI request and exit\n"
		"  -c, --config FILE  configuration file (default " CONFIG_DEFAULT_FILE ")\n"
		"  -n             check the configuration, print it and exit\n"
		"  -h, --help     this text; -V, --version  the version\n\n");
	config_usage(CONFIG_FCGI, out);
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP) {
		got_hup = 1;
		return;
	}
	got_term = 1;
	FCGX_ShutdownPending();
	/* An idle process sits in accept(), which SA_RESTART would resume: closing the
	 * listening socket makes the restarted accept() fail (EBADF), so the loop ends.
	 * A request being read or answered just goes on (its reads and writes restart). */
	if (listen_fd >= 0)
		close(listen_fd);
}

/*
 * SA_RESTART, so that SIGTERM does not cut the request in flight short (an interrupted
 * read of its parameters would drop it); the handler ends the idle wait itself.
 */
static void
signals(int fd)
{
	struct sigaction sa;

	listen_fd = fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void
req_fill(struct req *r, const char *(*get)(const char *, void *), void *arg)
{
	r->method = get("REQUEST_METHOD", arg);
	r->script_name = get("SCRIPT_NAME", arg);
	r->path_info = get("PATH_INFO", arg);
	r->request_uri = get("REQUEST_URI", arg);
	r->query = get("QUERY_STRING", arg);
	r->if_none_match = get("HTTP_IF_NONE_MATCH", arg);
	r->if_modified_since = get("HTTP_IF_MODIFIED_SINCE", arg);
	r->host = get("HTTP_HOST", arg);
	r->https = get("HTTPS", arg);
	r->scheme = get("REQUEST_SCHEME", arg);
	r->server_port = get("SERVER_PORT", arg);
}

static const char *
get_env(const char *name, void *arg)
{
	(void)arg;
	return getenv(name);
}

static const char *
get_fcgi(const char *name, void *arg)
{
	return FCGX_GetParam(name, ((FCGX_Request *)arg)->envp);
}

static void
reload(struct app *app, struct config *cfg)
{
	got_hup = 0;
	if (config_reload(cfg) == 0) {
		app_reload(app);
		log_info("configuration reloaded");
	} else
		log_warn("configuration not reloaded: keeping the previous one");
}

static int
serve_cgi(struct app *app)
{
	struct resp out = {0};
	struct req r;

	req_fill(&r, get_env, NULL);
	app_handle(app, &r, &out);
	app_finish(&out);
	fwrite(out.head.p, 1, out.head.len, stdout);
	if (!app_bodyless(&r, &out))
		fwrite(out.body.p, 1, out.body.len, stdout);
	buf_free(&out.head);
	buf_free(&out.body);
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}

static int
serve_fcgi(struct app *app, struct config *cfg, int fd)
{
	FCGX_Request rq;
	struct resp out = {0};
	struct req r;

	if (FCGX_InitRequest(&rq, fd, 0) != 0) {
		log_error("FastCGI: cannot set up the request");
		return EX_OSERR;
	}
	while (!got_term && FCGX_Accept_r(&rq) >= 0) {
		if (got_hup)
			reload(app, cfg);
		req_fill(&r, get_fcgi, &rq);
		app_handle(app, &r, &out);
		app_finish(&out);
		FCGX_PutStr(out.head.p, (int)out.head.len, rq.out);
		if (!app_bodyless(&r, &out))
			FCGX_PutStr(out.body.p, (int)out.body.len, rq.out);
		FCGX_Finish_r(&rq);
	}
	FCGX_Free(&rq, 1);
	buf_free(&out.head);
	buf_free(&out.body);
	log_info("stopping");
	return 0;
}

/* Remove a stale socket file left by a dead process; refuse one that still answers. */
static int
clear_stale(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, rc;

	if (stat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		log_error("%s: exists and is not a socket", path);
		return EX_CANTCREAT;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	rc = fd >= 0 ? connect(fd, (struct sockaddr *)&sa, sizeof(sa)) : -1;
	if (fd >= 0)
		close(fd);
	if (rc == 0) {
		log_error("%s: another program is listening there", path);
		return EX_TEMPFAIL;
	}
	unlink(path);
	return 0;
}

static int
open_socket(const char *path, int *fd)
{
	int rc;

	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path) || strchr(path, ':')) {
		log_error("--socket %s: not a usable Unix socket path", path);
		return EX_USAGE;
	}
	if ((rc = clear_stale(path)) != 0)
		return rc;
	mode_t old = umask(0117); /* 0660 from bind() on, not only after the chmod */
	*fd = FCGX_OpenSocket(path, 128);
	umask(old);
	if (*fd < 0) {
		log_error("%s: cannot listen: %s", path, strerror(errno));
		return EX_CANTCREAT;
	}
	if (chmod(path, 0660) < 0) {
		log_error("%s: chmod: %s", path, strerror(errno));
		return EX_CANTCREAT;
	}
	log_info("listening on %s", path);
	return 0;
}

enum { OPT_SOCKET = 1000 };

static const struct option fcgi_longs[] = {
	{"socket", required_argument, NULL, OPT_SOCKET},
	{NULL, 0, NULL, 0},
};

/* jokes-fcgi's own option (cli_parse): --socket PATH. */
static int
fcgi_option(void *ctx, int id, const char *arg)
{
	if (id != OPT_SOCKET)
		return EX_USAGE;
	*(const char **)ctx = arg;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct config cfg;
	static struct app app;
	const char *socket_path = NULL;
	struct cli cli = {"jokes-fcgi", usage, fcgi_longs, fcgi_option, &socket_path, 0};
	int rc, fd = 0;

	log_init("jokes-fcgi", LOG_LEVEL_INFO);
	/* one thread, one request at a time: no SQLite mutexes, no global allocation counters */
	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if ((rc = cli_load(&cli, &cfg, CONFIG_FCGI, &argc, argv)) >= 0)
		return rc;
	if (cli.check)
		return cli_check_ok(&cli, &cfg);
	if (FCGX_Init() != 0) {
		log_error("FastCGI library initialisation failed");
		return EX_OSERR;
	}
	if (socket_path != NULL && (rc = open_socket(socket_path, &fd)) != 0)
		return rc;
	app_init(&app, &cfg);
	if (socket_path == NULL && FCGX_IsCGI()) {
		signals(-1);
		rc = serve_cgi(&app);
	} else {
		signals(fd);
		rc = serve_fcgi(&app, &cfg, fd);
	}
	app_free(&app);
	if (socket_path != NULL)
		unlink(socket_path);
	return rc;
}
