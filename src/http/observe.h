/* SPDX-License-Identifier: Apache-2.0 */
/* Per-request observability around the router: the request id in, metrics and access log out. */
#ifndef NGD_OBSERVE_H
#define NGD_OBSERVE_H

#include "edge/reply.h"
#include "edge/request.h"
#include "runtime/runtime.h"

#include <stdint.h>

/* Chooses the request id (req->peer_trusted must be set) and tags this thread's log lines with it.
 */
void observe_begin(struct ngd_request *req, const char *incoming_request_id);
/* Adds X-Request-Id to r, counts a /negotiate answer, writes the access log line, ends the tag. */
void observe_end(const struct runtime *rt, const struct ngd_request *req, struct reply *r,
		 uint64_t start_ns);

#endif
