/* SPDX-License-Identifier: Apache-2.0 */
/* Loading the configuration into a snapshot, at start and again on SIGHUP. */
#ifndef NGD_RELOAD_H
#define NGD_RELOAD_H

#include "runtime/runtime.h"

#include <stdbool.h>

/* What the process was started with and a reload cannot change. */
struct reload_context {
	const char *path;  /* the configuration file; NULL for --dev */
	bool verbose;	   /* -v: keep debug logging whatever log_level says */
	bool listen_fixed; /* --listen or socket activation: [server] listen is not used */
	char listen[256];
	struct config_server
		started; /* [server] as started: its restart-only keys (listen: the copy above) */
	struct revocations *revocations; /* main()'s list, handed to every snapshot; may be NULL */
};

/* A new snapshot from the configuration (ctx->path, or --dev's). NULL with "FILE:LINE: KEY:
 * reason" in err. */
struct runtime *reload_build(const struct reload_context *ctx, char *err, size_t err_len);
/* Remembers the settings rt started with, those a reload keeps. */
void reload_context_init(struct reload_context *ctx, const struct runtime *rt);
/* Frees what reload_context_init kept, at the process's end. */
void reload_context_clear(struct reload_context *ctx);
/* SIGHUP: re-reads everything, publishes the new snapshot, or logs why not and keeps the running
 * one; reports every key that only a restart applies. 0 when the new snapshot is serving. */
int reload(const struct reload_context *ctx);

#endif
