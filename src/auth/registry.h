/* SPDX-License-Identifier: Apache-2.0 */
/* The authenticator registry and its instances, one per [auth:NAME]. */
#ifndef NGD_AUTH_REGISTRY_H
#define NGD_AUTH_REGISTRY_H

#include "auth/outcome.h"
#include "core/pool.h"

#include <negotiated/authenticator.h>
#include <stddef.h>

/* Built-ins only (plugins say NGD_AUTH_MAY_BLOCK): authenticate() decides per request whether it
 * must block, and if so, while out->may_block is false, returns auth_defer(out). */
#define AUTH_MAY_DEFER (1u << 16)
#define AUTH_MAX_CONCURRENT 1024

struct auth_instance {
	const struct ngd_authenticator *type;
	const char *name; /* the section's name; lives as long as the configuration */
	void *state;
	unsigned metrics_slot; /* its label in negotiated_auth_outcomes_total */
	void *plugin;	       /* the dlopen handle when the type came from a plugin, else NULL */
	struct pool
		*pool; /* its own threads for blocking work (a bulkhead); NULL if it never blocks */
};

/* [server]: each blocking authenticator's threads, and requests that may wait for one of them. */
struct auth_limits {
	unsigned threads; /* auth_workers */
	unsigned queue;	  /* auth_queue; max_concurrent defaults to threads + queue */
};

extern const struct ngd_authenticator auth_anonymous;
extern const struct ngd_authenticator auth_apikey;
extern const struct ngd_authenticator auth_trusted_header;
extern const struct ngd_authenticator auth_webhook;
extern const struct ngd_authenticator auth_jwt;
extern const struct ngd_authenticator auth_htpasswd;

/* type = plugin: loads the section's `path` and returns the plugin's checked descriptor, with the
 * dlopen handle in *handle (plugin_close() it after the instance is destroyed); or NULL after
 * ngd_section_error(). */
const struct ngd_authenticator *plugin_open(struct ngd_section *sec, void **handle);
void plugin_close(void *handle);

/* Creates the authenticator a section describes (and, when it may block, its worker pool, sized
 * by its max_concurrent key or LIMITS); reports keys the authenticator did not read.
 * Returns NULL with "FILE:LINE: KEY: reason" in err. */
struct auth_instance *auth_instance_create(struct ngd_section *sec,
					   const struct auth_limits *limits, char *err,
					   size_t err_len) __attribute__((warn_unused_result));
void auth_instance_free(struct auth_instance *inst); /* never from one of its own worker threads */

/* The attribute names INST can set, when that set is known before any request: up to CAP of them
 * into NAMES (borrowed, live as long as INST) and their count; -1 when it may set any name (a
 * webhook's or a plugin's answer). */
int auth_instance_attributes(const struct auth_instance *inst, const char **names, size_t cap);
/* The jwt authenticator's part of it: its attribute_claims names. */
size_t jwt_attribute_names(const void *state, const char **names, size_t cap);
/* The trusted_header authenticator's part: the attributes of the headers its section names. */
size_t trusted_header_attribute_names(const void *state, const char **names, size_t cap);

#endif
