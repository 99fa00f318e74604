/* Policy: what a principal may carry in a token for a hub. Pure functions, table-tested. */
#ifndef NGD_POLICY_H
#define NGD_POLICY_H

#include "auth.h"
#include "config.h"

struct grant {
	const char *const *roles; /* borrowed from the configuration */
	size_t n_roles;
	const char *const *groups;
	size_t n_groups;
	unsigned ttl_minutes;
	enum client_protocol protocol;
};

/* The hub's configured roles and groups, its default lifetime and protocol. */
void policy_grant(const struct config_hub *hub, const struct principal *who, struct grant *out);

#endif
