/* SPDX-License-Identifier: Apache-2.0 */
/* The two REST calls that end a revoked user's presence on a hub: closeUserConnections and
 * removeUserFromAllGroups, the requests @azure/web-pubsub 1.2.0 sends (method, path, query,
 * Accept, x-ms-client-request-id), signed as it signs them: a bearer JWT with aud = the URL from
 * the access key, or the Microsoft Entra ID token of a keyless service. Blocking: call only off the
 * HTTP threads. */
#ifndef NGD_REST_CLOSE_H
#define NGD_REST_CLOSE_H

#include "core/buf.h"
#include "token/rest_signer.h"
#include "token/token.h"

#include <stdatomic.h>

enum rest_close_call { CLOSE_CONNECTIONS, REMOVE_FROM_GROUPS };
#define REST_CLOSE_REASON "revoked" /* the close reason sent; never the operator's own text */

/* Appends the call's path below the endpoint: "api/hubs/{hub}/users/{user}/:closeConnections?
 * api-version=...&reason=revoked" or "api/hubs/{hub}/users/{user}/groups?api-version=...". */
void rest_close_path(enum rest_close_call call, const char *hub, const char *user, struct buf *out);
const char *rest_close_call_name(enum rest_close_call call); /* "closeUserConnections", ... */

struct rest_close_target {
	const char *http_base;		/* "https://host/" */
	const struct token_signer *key; /* the access key; or */
	struct rest_signer *keyless;	/* the service's Entra ID credential */
	const char *ca_file;		/* NULL: the system's trust store */
	long timeout_ms;
	const atomic_bool *stop; /* true abandons the call (shutdown) */
};

enum rest_close_result {
	CLOSE_OK,      /* 2xx */
	CLOSE_RETRY,   /* 429, 5xx, no answer, no Entra token yet: worth another attempt */
	CLOSE_REFUSED, /* another 4xx: retrying will not help */
};

/* One attempt. status gets the HTTP status (0 without an answer); why a short reason for a log
 * line (never a header, token or body). */
enum rest_close_result rest_close_once(const struct rest_close_target *t, enum rest_close_call call,
				       const char *hub, const char *user, long *status, char *why,
				       size_t why_len);

#endif
