/* SPDX-License-Identifier: Apache-2.0 */
/* The edges of one request: what is recorded about it, kept out of the HTTP glue. */
#include "http/observe.h"

#include "core/clock.h"
#include "core/log.h"
#include "edge/metrics.h"

#include <string.h>

void observe_begin(struct ngd_request *req, const char *incoming_request_id)
{
	request_id_choose(incoming_request_id, req->peer_trusted, req->request_id);
	log_set_request_id(req->request_id);
}

void observe_end(const struct runtime *rt, const struct ngd_request *req, struct reply *r,
		 uint64_t start_ns)
{
	uint64_t duration = monotonic_ns() - start_ns;
	reply_header(r, "X-Request-Id", req->request_id);
	if (req->at_negotiate && strcmp(req->method, "OPTIONS") != 0)
		metrics_request(req->hub_slot, r->status, duration);
	access_log_write(&rt->access_log, req, r->status, r->body.len, duration);
	log_set_request_id(NULL);
}
