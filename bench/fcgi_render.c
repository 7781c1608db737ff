/* fcgi_render.c - CPU time per request of jokes-fcgi's own work (route, query, render), with
 * no web server and no socket: app_handle + app_finish in a loop, per URL, in one process.
 *
 *   fcgi_render DB ROUNDS PATH?QUERY...   one line per URL: "<us per request> <bytes> <url>"
 *
 * The database read is what the category filter changes; measured as process CPU time, the
 * figures hold on a busy machine far better than req/s through wrk do. The first-page cache
 * of jokes-fcgi is defeated by giving a before= (the cache serves only the plain /jokes/).
 */
#include "../fcgi/app.h"
#include "config.h"
#include "log.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
cpu_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

int
main(int argc, char **argv)
{
	static struct config cfg;
	static struct app app;
	struct resp out = {0};
	long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 0;

	if (argc < 4 || rounds < 1 || rounds > 10000000) {
		fprintf(stderr, "usage: fcgi_render DB ROUNDS PATH?QUERY...\n");
		return 64;
	}
	log_init("fcgi_render", LOG_LEVEL_WARN);
	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	config_defaults(&cfg, CONFIG_FCGI);
	if (config_set(&cfg, "db_path", argv[1], "command line") < 0)
		return 64;
	app_init(&app, &cfg);
	for (int a = 3; a < argc; a++) {
		char path[512];
		const char *q = strchr(argv[a], '?');
		size_t n = q ? (size_t)(q - argv[a]) : strlen(argv[a]);
		struct req r = {.method = "GET", .script_name = "/jokes", .host = "127.0.0.1"};
		double t0;

		snprintf(path, sizeof(path), "%.*s", (int)n, argv[a]);
		r.path_info = path;
		r.query = q ? q + 1 : "";
		app_handle(&app, &r, &out); /* warm: statements prepared, pages cached */
		t0 = cpu_us();
		for (long i = 0; i < rounds; i++) {
			app_handle(&app, &r, &out);
			app_finish(&out);
		}
		printf("%.1f %lu %d %s\n", (cpu_us() - t0) / (double)rounds,
		       (unsigned long)out.body.len, out.status, argv[a]);
	}
	buf_free(&out.body);
	buf_free(&out.head);
	app_free(&app);
	return 0;
}
