/* SPDX-License-Identifier: Apache-2.0 */
/* The connect gate: the service's event handler for the connect system event at
 * [server] event_handler_path + HUB (default /api/webpubsub/hubs/HUB/), so that a token issued
 * before a revocation cannot open a WebSocket. Checks first (size, method, content type, ce-*
 * headers, hub, origin, ce-signature), and a request that fails them changes nothing; then a
 * revoked user is refused 401, anyone else admitted 204, as @azure/web-pubsub-express 1.1.0
 * answers res.fail(401, ...) and res.success(). With max_connections_per_user the connect,
 * connected and disconnected events count the user's live connections, and a connect beyond the
 * limit is refused 401 too. Runs on the HTTP thread, except a count in the [store]. */
#ifndef NGD_CONNECT_GATE_H
#define NGD_CONNECT_GATE_H

#include "edge/reply.h"
#include "edge/request.h"
#include "edge/resume.h"
#include "runtime/runtime.h"

#define GATE_REVOKED_BODY "revoked" /* the 401's body (the official handler sends the detail) */
#define GATE_TOO_MANY_BODY "too many connections" /* max_connections_per_user is reached */

/* PATH_HUB points just past the prefix: "NAME" or "NAME/". Answers into out, or sets *wait when
 * the event is counted in the [store] (it continues on the store's pool). */
void connect_gate(const struct runtime *rt, const struct ngd_request *req, const char *path_hub,
		  struct reply *out, struct resumable **wait);

#endif
