/* Authenticator registry, instances and the per-hub chain (nginx's access phase). */
#ifndef NGD_AUTH_CHAIN_H
#define NGD_AUTH_CHAIN_H

#include "policy/principal.h"

#include <negotiated/authenticator.h>
#include <stdbool.h>
#include <stddef.h>

struct ngd_outcome {
	struct principal principal;
	unsigned deny_status; /* 401 or 403 */
	const char *deny_code;
	char deny_message[200];
};

struct auth_instance {
	const struct ngd_authenticator *type;
	const char *name; /* the section's name; lives as long as the configuration */
	void *state;
	unsigned metrics_slot; /* its label in negotiated_auth_outcomes_total */
	void *plugin;	       /* the dlopen handle when the type came from a plugin, else NULL */
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

/* Creates the authenticator a section describes; reports keys the authenticator did not read.
 * Returns NULL with "FILE:LINE: KEY: reason" in err. */
struct auth_instance *auth_instance_create(struct ngd_section *sec, char *err, size_t err_len);
void auth_instance_free(struct auth_instance *inst);

/* Runs the chain in order. OK: out->principal is set. DENY: out->deny_* say what to answer.
 * Nothing accepting is DENY 401 "unauthenticated". ERROR: fail closed. */
enum ngd_auth_result auth_chain_run(struct auth_instance *const *chain, size_t n, const struct ngd_request *req,
				    struct ngd_outcome *out);
void outcome_clear(struct ngd_outcome *out);

#endif
