/* What the client asked for: roles, groups, a lifetime and a client protocol, from the query
 * (role=, group= repeatable; minutesToExpire= or expirationTimeInMinutes=; clientProtocol=) or a
 * JSON body in the SDK's names (roles, groups, expirationTimeInMinutes or minutesToExpire,
 * clientProtocol). A request may use one place per item, not both. */
#ifndef NGD_ASK_H
#define NGD_ASK_H

#include "core/caps.h"
#include "policy/policy.h"
#include "edge/reply.h"
#include "edge/request.h"

#include <jansson.h>

#define NGD_MAX_ASKED_MINUTES 999999999u /* more is a typo, not a request to cap */

struct client_ask {
	struct policy_ask ask; /* points into the arrays below */
	const char *roles[NGD_MAX_ROLES];
	const char *groups[NGD_MAX_GROUPS];
};

/* Fills out from req and body (NULL without one); the strings stay owned by them.
 * 0, or -1 with a 400 invalid_parameter / invalid_body in reply. */
int ask_parse(const struct ngd_request *req, json_t *body, struct client_ask *out, struct reply *reply);

#endif
