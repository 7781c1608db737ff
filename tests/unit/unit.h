/* unit.h - the smallest test harness: CHECK prints "ok - name" or "not ok - name". */
#ifndef JOKES_UNIT_H
#define JOKES_UNIT_H

#include <stdio.h>

extern int unit_failed;

void unit_result(int ok, const char *file, int line, const char *what);
/* Make a temporary directory for this test binary; returns its path. */
const char *unit_tmpdir(void);
/* Exit status for main: 0 when every check passed. */
int unit_done(void);

#define CHECK(cond) unit_result((cond) != 0, __FILE__, __LINE__, #cond)
#define CHECK_MSG(cond, what) unit_result((cond) != 0, __FILE__, __LINE__, what)

#endif
