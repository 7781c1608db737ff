/* main.c - jokes-pushd: push every new joke to every WebSocket client. */
#include "cli.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "parent.h"

#include <stdio.h>
#include <sys/resource.h>
#include <sysexits.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: jokes-pushd [-c FILE] [--key=value ...] [-n] [--help] [--version]\n"
		"\n"
		"Push each new joke to every WebSocket client on /ws/jokes/ and every\n"
		"Server-Sent Events client on /sse/jokes/, replaying the missed ones after\n"
		"?since=ID (or the Last-Event-ID header), only jokes of the categories of\n"
		"?category=LIST when given (e.g. programming,pun). The jokes come from the database\n"
		"(pushd_source = sqlite) or from a Redis stream (pushd_source = redis, a push\n"
		"node on any machine). Runs in the foreground, logs on stderr.\n"
		"\n"
		"  -c, --config FILE  configuration file (default " CONFIG_DEFAULT_FILE ")\n"
		"  -n                 check the configuration, print it and exit\n"
		"  -h, --help         this text\n"
		"  -V, --version      print the version\n"
		"\n"
		"Signals: SIGTERM/SIGINT close clients with 1001 and exit 0; SIGHUP reloads\n"
		"the configuration (limits, allowed origins, pings, log level).\n"
		"\n");
	config_usage(CONFIG_PUSHD, out);
}

/* Many clients need many descriptors: take the hard limit. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			log_warn("cannot raise the open files limit");
	}
}

int main(int argc, char **argv)
{
	static struct config cfg;
	struct cli cli = {"jokes-pushd", usage, NULL, NULL, NULL, 0};
	int rc;

	log_init("jokes-pushd", LOG_LEVEL_INFO);
	if ((rc = cli_load(&cli, &cfg, CONFIG_PUSHD, &argc, argv)) >= 0)
		return rc;
	if (cli.check)
		return cli_check_ok(&cli, &cfg);
	loop_log_init(cfg.log_level);
	if (loop_check())
		return EX_UNAVAILABLE; /* the workers could not run either */
	raise_nofile();
	return parent_run(&cfg);
}
