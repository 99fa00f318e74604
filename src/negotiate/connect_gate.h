/* SPDX-License-Identifier: Apache-2.0 */
/* The connect gate: the service's event handler for the connect system event at
 * [server] event_handler_path + HUB (default /api/webpubsub/hubs/HUB/), so that a token issued
 * before a revocation cannot open a WebSocket. Checks first (size, method, content type, ce-*
 * headers, hub, origin, ce-signature), and a request that fails them changes nothing; then a
 * revoked user is refused 401, anyone else admitted 204, as @azure/web-pubsub-express 1.1.0
 * answers res.fail(401, ...) and res.success(). Runs on the HTTP thread: nothing blocks. */
#ifndef NGD_CONNECT_GATE_H
#define NGD_CONNECT_GATE_H

#include "edge/reply.h"
#include "edge/request.h"
#include "runtime/runtime.h"

#define GATE_REVOKED_BODY "revoked" /* the 401's body (the official handler sends the detail) */

/* PATH_HUB points just past the prefix: "NAME" or "NAME/". Answers into out. */
void connect_gate(const struct runtime *rt, const struct ngd_request *req, const char *path_hub,
		  struct reply *out);

#endif
