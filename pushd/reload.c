/* reload.c - SIGHUP reload with jokes-pushd's run-time limits (see reload.h). */
#include "reload.h"

enum reload_result reload_config(struct config *cfg, long slack, long *asked)
{
	long backlog = cfg->pushd_max_backlog;

	if (config_reload(cfg))
		return RELOAD_FAILED;
	if (cfg->pushd_max_backlog <= slack)
		return RELOAD_OK;
	if (asked)
		*asked = cfg->pushd_max_backlog;
	cfg->pushd_max_backlog = backlog;
	return RELOAD_KEPT_BACKLOG;
}
