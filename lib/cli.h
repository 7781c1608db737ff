/* cli.h - the command line of the three programs, read one way.
 *
 * main() calls, in this order:
 *   cli_early()   --help/-h and --version/-V, answered before any configuration is read
 *                 (so they work beside a broken config file);
 *   config_load() takes -c FILE and every --KEY=VALUE out of argv;
 *   cli_parse()   reads what is left with getopt_long: -n, the program's own options, and
 *                 refuses operands, unknown options and unknown --KEY=VALUE.
 * With -n the program checks what it must and ends with cli_check_ok().
 */
#ifndef JOKES_CLI_H
#define JOKES_CLI_H

#include "config.h"

#include <getopt.h>
#include <stdio.h>

struct cli {
	const char *prog;		/* "jokes-fetch": in --version and the -n answer */
	void (*usage)(FILE *out);	/* the --help text */
	const struct option *longs;	/* the program's own long options (NULL-terminated), or NULL */
	/* One of the program's own options: 0, or an exit code after logging one line. */
	int (*option)(void *ctx, int id, const char *arg);
	void *ctx;
	int check; /* set by -n */
};

/* --help or --version anywhere before "--": prints on stdout and returns 0; otherwise -1. */
int cli_early(const struct cli *c, int argc, char **argv);

/*
 * The arguments config_load left. Returns -1 to go on, or the exit code to leave with:
 * EX_USAGE for an unknown option, a missing option argument or an operand, EX_CONFIG for
 * an unknown --KEY=VALUE, or what c->option returned. Logs one line.
 */
int cli_parse(struct cli *c, int argc, char **argv);

/*
 * The three steps in one: cli_early, config_load (into cfg, for owner), cli_parse.
 * Returns -1 to go on, or the exit code to leave with (0 after --help or --version).
 */
int cli_load(struct cli *c, struct config *cfg, enum config_owner owner, int *argc, char **argv);

/* -n: every key = value of this program, then "PROG: configuration OK", on stdout; 0. */
int cli_check_ok(const struct cli *c, const struct config *cfg);

/* A decimal number from min to max, the whole string; 0, or -1 (nothing is stored). */
int cli_long(const char *s, long min, long max, long *out);
int cli_int(const char *s, int min, int max, int *out);

#endif
