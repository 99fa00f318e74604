/* SPDX-License-Identifier: Apache-2.0 */
/* Everything a request needs, built once from a configuration and then only read:
 * services with their keyed signers, hubs with their authenticator chains. */
#ifndef NGD_RUNTIME_H
#define NGD_RUNTIME_H

#include "auth/chain.h"
#include "config/config.h"
#include "core/pool.h"
#include "edge/access_log.h"
#include "edge/allowed_hosts.h"
#include "edge/cors.h"
#include "edge/ratelimit.h"
#include "edge/trusted_proxies.h"
#include "policy/policy.h"
#include "revoke/fleet.h"
#include "revoke/revocations.h"
#include "store/store.h"
#include "token/connstr.h"
#include "token/rest_signer.h"
#include "token/token.h"

#include <stdatomic.h>
#include <stdint.h>

struct service {
	const char *name;
	struct endpoint endpoint;
	struct token_signer *signer;
	struct token_signer *other_signer; /* the idle key (rotation): verifies ce-signature too */
	struct rest_signer *rest;	   /* instead of signer: a resource without access keys */
	struct pool *rest_pool; /* with rest: the threads its REST calls run on (a bulkhead) */
};

struct hub {
	const struct config_hub *cfg;
	const struct service *service;
	struct auth_instance **chain;
	size_t n_chain;
	struct policy *policy; /* the hub's compiled rules */
	char challenge[256];   /* WWW-Authenticate for a 401, from the chain's schemes */
	unsigned metrics_slot;
	struct cors_policy cors; /* the hub's own, or the [server]'s */
	char origin[256]; /* its service's host[:port], lower case: the connect gate's origin */
};

struct runtime {
	atomic_uint refs; /* see snapshot.h; runtime_build() returns it with one reference */
	struct config *cfg;
	struct trusted_proxies proxies;	      /* [server] trusted_proxies */
	struct trusted_proxies metrics_allow; /* [server] metrics_allow */
	struct allowed_hosts allowed_hosts;   /* [server] allowed_hosts */
	bool hosts_listed; /* allowed_hosts was set: else each listener's default */
	struct access_log access_log;
	struct cors_policy cors; /* [server]: for answers that name no known hub */
	bool any_cors;		 /* some origin is allowed somewhere: Origin is worth reading */
	struct rate_table
		*rate_limits; /* NULL unless a hub sets rate_per_user or rate_per_address */
	struct store *store;  /* [store]: the fleet's shared limits; NULL without one (owned) */
	struct service *services;
	size_t n_services;
	struct auth_instance **auths; /* one per [auth:NAME], shared by the hubs that list it */
	size_t n_auths;
	struct hub *hubs;
	size_t n_hubs;
	struct revocations *revocations; /* the process's list (not owned: kept across reloads) */
	struct revoke_fleet *fleet;	 /* with [store]: the list's sync through it (owned) */
};

/* RT serves LIST (the process's); with a [store], the list lives there from now on (the fleet
 * sync starts). 0, or -1 with why in err. */
int runtime_share_revocations(struct runtime *rt, struct revocations *list, char *err,
			      size_t err_len) __attribute__((warn_unused_result));

/* Takes ownership of cfg (freed on failure too). Returns NULL with "FILE:LINE: KEY: reason". */
struct runtime *runtime_build(struct config *cfg, char *err, size_t err_len)
	__attribute__((warn_unused_result));
void runtime_free(struct runtime *rt);
const struct hub *runtime_find_hub(const struct runtime *rt, const char *name);

/* A service from a connection string; the string is not kept. 0, or -1 with a reason. */
int service_init(struct service *svc, const char *name, const char *connection_string, char *err,
		 size_t err_len);
void service_clear(struct service *svc);
/* A service from its [service:NAME] section (inline, file or environment), or -1 with
 * "FILE:LINE: KEY: reason" in err. */
int service_load(const struct config *cfg, const struct config_service *cs, struct service *out,
		 char *err, size_t err_len);

#endif
