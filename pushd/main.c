/* main.c - jokes-pushd: push every new joke to every WebSocket client. */
#include "config.h"
#include "log.h"
#include "parent.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: jokes-pushd [-c FILE] [--key=value ...] [-n] [--help] [--version]\n"
		"\n"
		"Push each new joke to every WebSocket client on /ws/jokes/ (and replay\n"
		"the missed ones to /ws/jokes/?since=ID). Runs in the foreground, logs on stderr.\n"
		"\n"
		"  -c FILE     configuration file (default " CONFIG_DEFAULT_FILE ")\n"
		"  -n          check the configuration, print it and exit\n"
		"  --help      this text\n"
		"  --version   print the version\n"
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
	int check = 0, ex;

	log_init("jokes-pushd", LOG_LEVEL_INFO);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version")) {
			printf("jokes-pushd " JOKES_VERSION "\n");
			return 0;
		}
	}
	ex = config_load(&cfg, CONFIG_PUSHD, &argc, argv);
	if (ex)
		return ex;
	log_set_level(cfg.log_level);
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strncmp(argv[i], "--", 2)) {
			log_error("%s: unknown key", argv[i]);
			return EX_CONFIG;
		}
	for (int opt; (opt = getopt(argc, argv, "n")) != -1;) {
		if (opt != 'n') {
			usage(stderr);
			return EX_USAGE;
		}
		check = 1;
	}
	if (optind < argc) {
		fprintf(stderr, "jokes-pushd: unexpected argument: %s\n", argv[optind]);
		return EX_USAGE;
	}
	if (check) {
		config_dump(&cfg, stdout);
		fprintf(stderr, "jokes-pushd: configuration OK\n");
		return 0;
	}
	raise_nofile();
	return parent_run(&cfg);
}
