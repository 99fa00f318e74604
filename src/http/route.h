/* SPDX-License-Identifier: Apache-2.0 */
/* Paths and methods to handlers; everything else is 404 or 405. */
#ifndef NGD_ROUTE_H
#define NGD_ROUTE_H

#include "edge/reply.h"
#include "edge/request.h"
#include "edge/resume.h"
#include "runtime/runtime.h"

/* Finds the endpoint of req->path once, as the head is in: req->route, at_negotiate, path_hub. */
void route_find(struct ngd_request *req);
/* Runs the endpoint route_find() found. Answers into OUT, or sets *wait: the request continues on
 * (*wait)->pool (http_offload.c), and route_resumed() completes the answer once it has been made
 * there. */
void route(const struct runtime *rt, struct ngd_request *req, struct reply *out,
	   struct resumable **wait);
/* The connect gate's path prefix ([server] event_handler_path), NULL: /api/webpubsub/hubs/. Call
 * before the listener starts (the key is restart-only). */
void route_set_event_handler_path(const char *prefix);
void route_resumed(const struct runtime *rt, const struct ngd_request *req, struct reply *out);

#endif
