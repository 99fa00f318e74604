/* SPDX-License-Identifier: Apache-2.0 */
/* One HTTP request as the pipeline sees it; http.c fills it, nothing below it knows MHD. */
#ifndef NGD_REQUEST_H
#define NGD_REQUEST_H

#include "edge/request_id.h"

#include <negotiated/authenticator.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

struct request_source {
	/* Header (case-insensitive) or query argument; *count (if not NULL) gets how many times the
	 * name occurs. NULL when absent. */
	const char *(*header)(void *conn, const char *name);
	const char *(*query)(void *conn, const char *name, unsigned *count);
	/* The index-th (from 0) value of a repeated query argument, or NULL. */
	const char *(*query_at)(void *conn, const char *name, unsigned index);
	void *conn;
	/* The name of the index-th (from 0) query argument, or NULL past the last. */
	const char *(*query_name_at)(void *conn, unsigned index);
};

struct ngd_request {
	const char *method;
	const char *path; /* decoded, without the query */
	struct request_source src;
	const struct sockaddr *peer;
	socklen_t peer_len;
	bool peer_trusted; /* the peer is a trusted proxy ([server] trusted_proxies) */
	char client_addr[INET6_ADDRSTRLEN +
			 1]; /* the peer, or whom trusted proxies forwarded for */
	const char *body;    /* NUL-terminated; "" without a body */
	size_t body_len;
	const char *hub;   /* set by the pipeline once the hub is known */
	unsigned hub_slot; /* the hub's metrics label slot; 0 until the hub is known */
	char request_id[REQUEST_ID_MAX + 1]; /* echoed as X-Request-Id and shown in log lines */
	/* Routed once, as the head is in (http/route.c, route_find): */
	int route;	      /* the endpoint's row in the routing table; -1: no endpoint */
	bool at_negotiate;    /* the path is /negotiate or /negotiate/... */
	const char *path_hub; /* NAME in /negotiate/NAME (inside path), or NULL */
};

const char *request_query(const struct ngd_request *req, const char *name, unsigned *count);
const char *request_query_at(const struct ngd_request *req, const char *name, unsigned index);
/* The name of the index-th query argument, in the order given; NULL past the last. */
const char *request_query_name_at(const struct ngd_request *req, unsigned index);

#endif
