/* Policy: today the hub's static grant for every admitted principal; rules come later here. */
#include "policy.h"

void policy_grant(const struct config_hub *hub, const struct principal *who, struct grant *out)
{
	(void)who; /* every admitted principal gets the hub's grant until rules exist */
	*out = (struct grant){
		.roles = (const char *const *)hub->roles.items,
		.n_roles = hub->roles.n,
		.groups = (const char *const *)hub->groups.items,
		.n_groups = hub->groups.n,
		.ttl_minutes = hub->token_lifetime,
		.protocol = hub->client_protocol,
	};
}
