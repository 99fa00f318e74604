/* SPDX-License-Identifier: Apache-2.0 */
/* Authenticator registry, instances and the per-hub chain (nginx's access phase). */
#ifndef NGD_AUTH_CHAIN_H
#define NGD_AUTH_CHAIN_H

#include "core/workers.h"
#include "policy/principal.h"

#include <negotiated/authenticator.h>
#include <stdbool.h>
#include <stddef.h>

#define NGD_MAX_DENY_CODE 64

struct ngd_outcome {
	struct principal principal;
	unsigned deny_status;		       /* 401 or 403 */
	char deny_code[NGD_MAX_DENY_CODE + 1]; /* [a-z_]{1,64}, copied: a plugin's may be on its stack */
	char deny_message[200];
	bool may_block;				 /* in: this authenticator runs on its own worker thread */
	bool defer;				 /* out: it asked to run again there (auth_defer) */
	const struct auth_instance *deferred_to; /* the chain stopped: run it again on this one's worker */
};

/* Built-ins only (plugins say NGD_AUTH_MAY_BLOCK): authenticate() decides per request whether it
 * must block, and if so, while out->may_block is false, returns auth_defer(out). */
#define AUTH_MAY_DEFER (1u << 16)
#define AUTH_MAX_CONCURRENT 1024

static inline enum ngd_auth_result auth_defer(struct ngd_outcome *out)
{
	out->defer = true;
	return NGD_AUTH_ERROR; /* fails closed should anything ignore the request */
}

struct auth_instance {
	const struct ngd_authenticator *type;
	const char *name; /* the section's name; lives as long as the configuration */
	void *state;
	unsigned metrics_slot; /* its label in negotiated_auth_outcomes_total */
	void *plugin;	       /* the dlopen handle when the type came from a plugin, else NULL */
	struct workers *pool;  /* its own threads for blocking work (a bulkhead); NULL if it never blocks */
	unsigned max_concurrent, max_queued; /* requests it holds at once; of them, waiting for a thread */
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
struct auth_instance *auth_instance_create(struct ngd_section *sec, const struct auth_limits *limits, char *err,
					   size_t err_len);
void auth_instance_free(struct auth_instance *inst); /* never from one of its own worker threads */
/* Runs w on inst's worker threads: 0, or -1 (logged) when max_concurrent are busy and the queue is
 * full, or the pool is stopping. */
int auth_instance_submit(const struct auth_instance *inst, struct work *w);
/* A bulkhead that is no authenticator: THREADS threads of its own for a keyless service's REST
 * calls (threads beyond them are refused at once); free with auth_instance_free(). NULL: memory. */
struct auth_instance *auth_bulkhead_new(const char *service, unsigned threads);

/* The attribute names INST can set, when that set is known before any request: up to CAP of them
 * into NAMES (borrowed, live as long as INST) and their count; -1 when it may set any name (a
 * webhook's or a plugin's answer). */
int auth_instance_attributes(const struct auth_instance *inst, const char **names, size_t cap);
/* The jwt authenticator's part of it: its attribute_claims names. */
size_t jwt_attribute_names(const void *state, const char **names, size_t cap);
/* The trusted_header authenticator's part: the attributes of the headers its section names. */
size_t trusted_header_attribute_names(const void *state, const char **names, size_t cap);

/* Runs the chain in order. OK: out->principal is set. DENY: out->deny_* say what to answer.
 * Nothing accepting is DENY 401 "unauthenticated". ERROR: fail closed, unless out->deferred_to is
 * set: an authenticator must block, and req is not on its worker thread (req->worker_of). */
enum ngd_auth_result auth_chain_run(struct auth_instance *const *chain, size_t n, const struct ngd_request *req,
				    struct ngd_outcome *out);
void outcome_clear(struct ngd_outcome *out);

#endif
