/* cli.c - the command line of the three programs: --help, --version, -n and their own options. */
#include "cli.h"

#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

int
cli_early(const struct cli *c, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			c->usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("%s %s\n", c->prog, JOKES_VERSION);
			return 0;
		}
	}
	return -1;
}

/* The argument getopt_long did not take (ARG, or the short option OPTOPT in it): say why. */
static int
refuse(const char *arg, int opt)
{
	int is_long = strncmp(arg, "--", 2) == 0;

	if (opt == ':') {
		if (is_long)
			log_error("%s needs a value (see --help)", arg);
		else
			log_error("-%c needs a value (see --help)", optopt);
		return EX_USAGE;
	}
	if (is_long && strchr(arg, '=') != NULL) {
		log_error("command line: %.*s: unknown key", (int)strcspn(arg + 2, "="), arg + 2);
		return EX_CONFIG;
	}
	if (is_long || optopt == 0)
		log_error("%s: unknown option (see --help)", arg);
	else
		log_error("-%c: unknown option (see --help)", optopt);
	return EX_USAGE;
}

int
cli_parse(struct cli *c, int argc, char **argv)
{
	static const struct option none[] = {{NULL, 0, NULL, 0}};
	int opt, rc;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":n", c->longs ? c->longs : none, NULL)) != -1) {
		if (opt == 'n') {
			c->check = 1;
			continue;
		}
		if (opt == '?' || opt == ':' || c->option == NULL)
			return refuse(argv[optind - 1], opt);
		if ((rc = c->option(c->ctx, opt, optarg)) != 0)
			return rc;
	}
	if (optind < argc) {
		log_error("%s: unexpected argument (see --help)", argv[optind]);
		return EX_USAGE;
	}
	return -1;
}

int
cli_load(struct cli *c, struct config *cfg, enum config_owner owner, int *argc, char **argv)
{
	int rc;

	if ((rc = cli_early(c, *argc, argv)) >= 0)
		return rc;
	if ((rc = config_load(cfg, owner, argc, argv)) != 0)
		return rc;
	return cli_parse(c, *argc, argv);
}

int
cli_check_ok(const struct cli *c, const struct config *cfg)
{
	config_dump(cfg, stdout);
	printf("%s: configuration OK\n", c->prog);
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}

int
cli_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s) && *s != '-')
		return -1; /* strtol would take leading blanks and a '+' */
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
cli_int(const char *s, int min, int max, int *out)
{
	long v;

	if (cli_long(s, min, max, &v) < 0)
		return -1;
	*out = (int)v;
	return 0;
}
