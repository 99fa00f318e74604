/* SPDX-License-Identifier: Apache-2.0 */
/* The routing table: one line per endpoint. */
#include "http/route.h"

#include "edge/cors.h"
#include "edge/metrics.h"
#include "http/dev_page.h"
#include "negotiate/connect_gate.h"
#include "negotiate/live_connections.h"
#include "negotiate/negotiate.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool method_is(const struct ngd_request *req, const char *a, const char *b)
{
	return strcmp(req->method, a) == 0 || strcmp(req->method, b) == 0;
}

static void health(const struct runtime *rt, struct ngd_request *req, struct reply *out,
		   struct resumable **wait)
{
	(void)rt, (void)req, (void)wait;
	reply_json(out, 200, "{\"status\":\"ok\"}");
}

/* The first service that cannot sign yet and why, or NULL when every service can (ready). */
static const struct service *not_ready(const struct runtime *rt, const char **why)
{
	for (size_t i = 0; i < rt->n_services; i++) {
		const struct service *s = &rt->services[i];
		*why = s->rest ? "holds no Microsoft Entra ID token" : "has no access key";
		if ((s->rest && !rest_signer_ready(s->rest)) || (!s->signer && !s->rest))
			return s;
	}
	return NULL;
}

/* A [store] whose failure closes a feature must be reachable for the instance to be ready: why
 * not, or NULL. */
static const char *store_blocks(const struct runtime *rt)
{
	if (revoke_fleet_blocks(rt->fleet))
		return "[store] revocations: the list may be stale (the store is not reachable) "
		       "and revocations_on_failure is closed";
	if (!rt->store || store_reachable(rt->store))
		return NULL;
	if (store_rate_on_failure(rt->store) == STORE_FAIL_CLOSED)
		return "[store] is unreachable and rate_on_failure is closed";
	if (store_keyless_on_failure(rt->store) == STORE_FAIL_CLOSED)
		return "[store] is unreachable and keyless_on_failure is closed";
	if (store_connections_on_failure(rt->store) == STORE_FAIL_CLOSED)
		return "[store] is unreachable and connections_on_failure is closed";
	return NULL;
}

/* Ready: the configuration is loaded (it is, or there would be no runtime), every service has
 * its key, and the [store] answers when a feature is closed without it. */
static void ready(const struct runtime *rt, struct ngd_request *req, struct reply *out,
		  struct resumable **wait)
{
	(void)req;
	(void)wait;
	const char *why = NULL;
	const struct service *s = not_ready(rt, &why);
	if (s) {
		reply_error(out, 503, "not_ready", "[service:%s] %s", s->name, why);
		return;
	}
	const char *store_why = store_blocks(rt);
	if (store_why) {
		reply_error(out, 503, "not_ready", "%s", store_why);
		return;
	}
	reply_json(out, 200, "{\"status\":\"ready\"}");
}

/* Counters, for the addresses [server] metrics_allow lists (the client as trusted proxies tell it).
 */
static void metrics(const struct runtime *rt, struct ngd_request *req, struct reply *out,
		    struct resumable **wait)
{
	(void)wait;
	if (!trusted_proxies_match_text(&rt->metrics_allow, req->client_addr))
		return reply_error(out, 403, "forbidden",
				   "/metrics is not open to this address ([server] metrics_allow)");
	reply_json(out, 200, "");
	metrics_render(&out->body);
	const char *why = NULL; /* what /readyz answers, for alerts: 1 ready, 0 not */
	buf_printf(&out->body,
		   "# HELP negotiated_ready Whether /readyz answers 200 (every service can sign).\n"
		   "# TYPE negotiated_ready gauge\nnegotiated_ready %d\n",
		   not_ready(rt, &why) || store_blocks(rt) ? 0 : 1);
	if (rt->store) {
		store_metrics_render(&out->body);
		buf_printf(&out->body,
			   "# HELP negotiated_store_up Whether the [store]'s last call or health "
			   "check reached it.\n# TYPE negotiated_store_up gauge\n"
			   "negotiated_store_up %d\n",
			   store_reachable(rt->store) ? 1 : 0);
	}
	buf_printf(&out->body,
		   "# HELP negotiated_connect_gate_connections The live connections the "
		   "connect gate counts in this process (max_connections_per_user without a "
		   "[store]).\n"
		   "# TYPE negotiated_connect_gate_connections gauge\n"
		   "negotiated_connect_gate_connections %zu\n",
		   live_connections_held());
	if (rt->fleet)
		buf_printf(
			&out->body,
			"# HELP negotiated_store_revocations_current Whether this instance's copy "
			"of the revocation list follows the [store] (0: it may be stale).\n"
			"# TYPE negotiated_store_revocations_current gauge\n"
			"negotiated_store_revocations_current %d\n"
			"# HELP negotiated_store_revocations_pruned_total Expired revocations "
			"this process removed from the [store].\n"
			"# TYPE negotiated_store_revocations_pruned_total counter\n"
			"negotiated_store_revocations_pruned_total %llu\n",
			revoke_fleet_fresh(rt->fleet) ? 1 : 0,
			(unsigned long long)revoke_fleet_pruned_total());
	out->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/* The CORS policy of the hub the request names, or the [server]'s when it names none we know. */
static const struct cors_policy *cors_of(const struct runtime *rt, const struct ngd_request *req)
{
	const char *name = req->hub;
	if (!name)
		name = req->path_hub;
	if (!name)
		name = request_query(req, "hub", NULL);
	const struct hub *hub = name ? runtime_find_hub(rt, name) : NULL;
	return hub ? &hub->cors : &rt->cors;
}

static bool is_preflight(const struct ngd_request *req)
{
	return strcmp(req->method, "OPTIONS") == 0 && ngd_request_header(req, "Origin") &&
	       ngd_request_header(req, "Access-Control-Request-Method");
}

/* The CORS headers of a /negotiate answer: every one says Vary: Origin. */
static void negotiate_cors_apply(const struct runtime *rt, const struct ngd_request *req,
				 struct reply *out)
{
	/* without any allowed origin every answer is the same whatever Origin says: skip the lookup
	 */
	const char *origin = rt->any_cors ? ngd_request_header(req, "Origin") : NULL;
	cors_apply(origin ? cors_of(rt, req) : &rt->cors, origin, out);
}

/* /negotiate with CORS around it: preflights are answered here; a request that waits on a pool
 * gets its CORS headers once answered (route_resumed). */
static void negotiate_cors(const struct runtime *rt, struct ngd_request *req, struct reply *out,
			   struct resumable **wait)
{
	if (is_preflight(req)) {
		const char *origin = rt->any_cors ? ngd_request_header(req, "Origin") : NULL;
		cors_preflight(cors_of(rt, req), origin, out);
		return;
	}
	if (!method_is(req, "GET", "POST")) {
		out->allow = "GET, POST";
		reply_error(out, 405, "method_not_allowed", "use GET, POST");
	} else {
		negotiate(rt, req, out, wait);
	}
	if (!*wait)
		negotiate_cors_apply(rt, req, out);
}

void route_resumed(const struct runtime *rt, const struct ngd_request *req, struct reply *out)
{
	if (req->at_negotiate) /* the event handler waits too, for a [store]: it has no CORS */
		negotiate_cors_apply(rt, req, out);
}

/* The official handler's default path, which the service's event handler URL template names. */
#define EVENT_HANDLER_PATH "/api/webpubsub/hubs/"
static char event_handler_path[208] = EVENT_HANDLER_PATH;

void route_set_event_handler_path(const char *prefix)
{
	snprintf(event_handler_path, sizeof event_handler_path, "%s",
		 prefix ? prefix : EVENT_HANDLER_PATH);
}

static void event_handler(const struct runtime *rt, struct ngd_request *req, struct reply *out,
			  struct resumable **wait)
{
	connect_gate(rt, req, req->path_hub, out, wait);
}

static void dev_page(const struct runtime *rt, struct ngd_request *req, struct reply *out,
		     struct resumable **wait)
{
	(void)wait;
	dev_page_serve(rt, req, out);
}

static const struct {
	const char *path;
	bool prefix; /* also matches path + "/..." */
	const char *methods[2];
	const char *allow;
	void (*handle)(const struct runtime *rt, struct ngd_request *req, struct reply *out,
		       struct resumable **wait);
} routes[] = {
	{"/negotiate",
	 true,
	 {NULL, NULL},
	 NULL,
	 negotiate_cors}, /* the first row (route_find); checks its own methods */
	{"/healthz", false, {"GET", "HEAD"}, "GET, HEAD", health},
	{"/readyz", false, {"GET", "HEAD"}, "GET, HEAD", ready},
	{"/metrics", false, {"GET", "HEAD"}, "GET, HEAD", metrics},
	{"/", false, {NULL, NULL}, NULL, dev_page}, /* [server] dev_page: these three, or 404 */
	{"/dev-page.js", false, {NULL, NULL}, NULL, dev_page},
	{"/dev-page.css", false, {NULL, NULL}, NULL, dev_page},
	{event_handler_path, false, {NULL, NULL}, NULL, event_handler}, /* the last row */
};
#define EVENT_HANDLER_ROW (sizeof routes / sizeof routes[0] - 1)

void route_find(struct ngd_request *req)
{
	req->route = -1;
	req->at_negotiate = false;
	req->path_hub = NULL;
	for (size_t i = 0; i < EVENT_HANDLER_ROW; i++) { /* that one is matched below */
		size_t n = strlen(routes[i].path);
		if (strncmp(req->path, routes[i].path, n) != 0 ||
		    !(req->path[n] == '\0' || (routes[i].prefix && req->path[n] == '/')))
			continue;
		req->route = (int)i;
		break;
	}
	size_t n = strlen(event_handler_path); /* matched as the official handler: any case */
	if (req->route < 0 && strncasecmp(req->path, event_handler_path, n) == 0) {
		req->route = (int)EVENT_HANDLER_ROW;
		req->path_hub = req->path + n;
	}
	req->at_negotiate = req->route == 0; /* the first row */
	if (req->at_negotiate && req->path[10] == '/' && req->path[11])
		req->path_hub = req->path + 11;
}

void route(const struct runtime *rt, struct ngd_request *req, struct reply *out,
	   struct resumable **wait)
{
	*wait = NULL;
	if (req->route < 0) {
		reply_error(out, 404, "not_found", "no such endpoint");
		return;
	}
	size_t i = (size_t)req->route;
	if (routes[i].allow && !method_is(req, routes[i].methods[0], routes[i].methods[1])) {
		out->allow = routes[i].allow;
		reply_error(out, 405, "method_not_allowed", "use %s", routes[i].allow);
		return;
	}
	routes[i].handle(rt, req, out, wait);
}
