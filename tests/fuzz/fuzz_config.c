/* fuzz_config.c - libFuzzer target: the config file parser (lib/config.c), as every program
 * reads it.
 *
 * The input is the file (an anonymous file, given with -c), read for the program its first
 * byte picks. Whatever it holds, config_load answers 0 or one of its documented codes; an
 * accepted file leaves every string key terminated and the numbers the key table bounds.
 */
#include "config.h"
#include "log.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sysexits.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum config_owner owners[] = {CONFIG_FETCH, CONFIG_PUSHD, CONFIG_FCGI};
	char path[64], arg0[] = "fuzz", arg1[] = "-c", *argv[4];
	struct config cfg;
	int fd, argc = 3, rc;

	if (size == 0 || size > 65536)
		return 0;
	log_init("fuzz_config", LOG_LEVEL_ERROR);
	fd = memfd_create("jokes.conf", 0);
	assert(fd >= 0);
	assert(fchmod(fd, 0600) == 0); /* a password in it is not refused for the file's mode */
	assert(write(fd, data + 1, size - 1) == (ssize_t)(size - 1));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	argv[0] = arg0;
	argv[1] = arg1;
	argv[2] = path;
	argv[3] = NULL;
	rc = config_load(&cfg, owners[data[0] % 3], &argc, argv);
	close(fd);
	assert(rc == 0 || rc == EX_CONFIG || rc == EX_NOINPUT || rc == EX_USAGE ||
	       rc == CONFIG_EX_SECRET_READABLE);
	if (rc != 0)
		return 0;
	assert(argc == 1);
	assert(memchr(cfg.state_dir, '\0', sizeof(cfg.state_dir)) != NULL);
	assert(memchr(cfg.db_path, '\0', sizeof(cfg.db_path)) != NULL);
	assert(memchr(cfg.notify_socket, '\0', sizeof(cfg.notify_socket)) != NULL);
	assert(cfg.log_level >= LOG_LEVEL_ERROR && cfg.log_level <= LOG_LEVEL_DEBUG);
	assert(cfg.pushd_workers >= 0 && cfg.pushd_workers <= 64); /* the key table's range */
	assert(cfg.pushd_max_clients >= 1 && cfg.pushd_max_clients <= 4000000);
	return 0;
}
