/* unit.c - results in the runner's line protocol: "ok - ..." / "not ok - ...". */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

int unit_failed;
static char tmpdir[64];

void
unit_result(int ok, const char *file, int line, const char *what)
{
	if (!ok)
		unit_failed++;
	printf("%s - %s:%d: %s\n", ok ? "ok" : "not ok", file, line, what);
	fflush(stdout);
}

static void
cleanup(void)
{
	char cmd[96];

	if (tmpdir[0] != '\0' && getenv("KEEP_TMP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
	}
}

const char *
unit_tmpdir(void)
{
	if (tmpdir[0] == '\0') {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/jokes-unit.XXXXXX");
		if (mkdtemp(tmpdir) == NULL) {
			perror("mkdtemp");
			exit(1);
		}
		atexit(cleanup);
	}
	return tmpdir;
}

int
unit_done(void)
{
	return unit_failed ? 1 : 0;
}
