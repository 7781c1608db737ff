/* fcgi_const.c - the FastCGI ceiling for bench_fcgi.sh: a libfcgi program that answers every
 * request with the same bytes (headers and page, read once from FILE) from memory.
 * usage: spawn-fcgi -s SOCK -- fcgi_const FILE */
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	static char page[1 << 20];
	FCGX_Request rq;
	FILE *f;
	size_t n;

	if (argc != 2 || (f = fopen(argv[1], "rb")) == NULL) {
		fprintf(stderr, "usage: fcgi_const FILE\n");
		return 64;
	}
	n = fread(page, 1, sizeof(page), f);
	fclose(f);
	FCGX_Init();
	FCGX_InitRequest(&rq, 0, 0);
	while (FCGX_Accept_r(&rq) >= 0) {
		FCGX_PutStr(page, (int)n, rq.out);
		FCGX_Finish_r(&rq);
	}
	return 0;
}
