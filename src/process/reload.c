/* SPDX-License-Identifier: Apache-2.0 */
/* Reload = build a whole new snapshot (config, connection strings, key and password files), then
 * swap it in; a configuration that does not build leaves the running one serving. */
#include "process/reload.h"

#include "config/dev.h"
#include "core/log.h"
#include "process/daemon.h"
#include "edge/metrics.h"
#include "runtime/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct runtime *reload_build(const struct reload_context *ctx, char *err, size_t err_len)
{
	struct config *cfg = ctx->path ? config_load_file(ctx->path, err, err_len)
				       : dev_config_load(err, err_len);
	struct runtime *rt = cfg ? runtime_build(cfg, err, err_len) : NULL;
	if (rt && runtime_share_revocations(rt, ctx->revocations, err, err_len) < 0) {
		runtime_release(rt);
		rt = NULL;
	}
	return rt;
}

void reload_context_init(struct reload_context *ctx, const struct runtime *rt)
{
	const struct config_server *s = &rt->cfg->server;
	snprintf(ctx->listen, sizeof ctx->listen, "%s", s->listen);
	ctx->started = *s;
	ctx->started.listen =
		ctx->listen; /* the others point into a configuration a reload frees */
	char **kept[] = {&ctx->started.state_directory, &ctx->started.admin_socket,
			 &ctx->started.admin_group, &ctx->started.admin_listen,
			 &ctx->started.admin_token_file};
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
		*kept[i] = *kept[i] ? strdup(*kept[i]) : NULL; /* for the process's life */
}

void reload_context_clear(struct reload_context *ctx)
{
	char **kept[] = {&ctx->started.state_directory, &ctx->started.admin_socket,
			 &ctx->started.admin_group, &ctx->started.admin_listen,
			 &ctx->started.admin_token_file};
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
		free(*kept[i]);
		*kept[i] = NULL;
	}
}

static void report_restart_key(void *arg, const char *key, const char *running, const char *wanted)
{
	const struct reload_context *ctx = arg;
	if (strcmp(key, "listen") == 0 && !ctx->listen_fixed)
		log_warning("reload: restart needed for listen (running on %s)", running);
	else if (strcmp(key, "listen") != 0)
		log_warning("reload: restart needed for %s (running with %s, the file says %s)",
			    key, running, wanted);
}

/* libmicrohttpd and the listening socket were set up with these: a new value waits for a restart.
 */
static void report_fixed_keys(const struct reload_context *ctx, const struct config_server *s)
{
	config_server_restart_changes(&ctx->started, s, report_restart_key, (void *)ctx);
}

int reload(const struct reload_context *ctx)
{
	char err[PARSER_ERRORS_TEXT];
	daemon_notify_reloading();
	if (!ctx->path) {
		log_warning(
			"reload: --dev has no file to re-read; keeping the running configuration");
		metrics_reload(false);
		daemon_notify_ready();
		return -1;
	}
	log_info("reload: reading %s", ctx->path);
	struct runtime *rt = reload_build(ctx, err, sizeof err);
	if (!rt) {
		for (const char *line = err; *line;) { /* one log line per error */
			size_t len = strcspn(line, "\n");
			log_error("reload failed, the running configuration stays: %.*s", (int)len,
				  line);
			line += len + (line[len] == '\n');
		}
		metrics_reload(false);
		daemon_notify_ready();
		return -1;
	}
	report_fixed_keys(ctx, &rt->cfg->server);
	if (!ctx->verbose)
		log_set_level(rt->cfg->server.log_level);
	size_t hubs = rt->n_hubs;
	snapshot_publish(rt);
	metrics_reload(true);
	log_info("reload: serving the new configuration (%zu hubs)", hubs);
	daemon_notify_ready();
	return 0;
}
