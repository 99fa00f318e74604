/* SPDX-License-Identifier: Apache-2.0 */
/* The service's events: verify, then look the user up in the revocation list (local, O(1)) and
 * count its live connections (here, or in the [store] on its pool). */
#include "negotiate/connect_gate.h"

#include "core/caps.h"
#include "core/clock.h"
#include "core/log.h"
#include "edge/gate_metrics.h"
#include "negotiate/cloudevents.h"
#include "negotiate/live_connections.h"
#include "revoke/fleet.h"
#include "revoke/revocations.h"
#include "store/store.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *header_of(void *ctx, const char *name)
{
	return ngd_request_header(ctx, name);
}

/* The hub with a connect gate that NAME (LEN bytes, any case, as the service's hub names are)
 * names, or NULL. */
static const struct hub *gate_hub(const struct runtime *rt, const char *name, size_t len)
{
	char exact[NGD_MAX_HUB_NAME + 1];
	if (len > NGD_MAX_HUB_NAME)
		return NULL;
	memcpy(exact, name, len);
	exact[len] = '\0';
	const struct hub *found = runtime_find_hub(rt, exact); /* the usual case: a hash lookup */
	if (found)
		return found->cfg->connect_gate == 1 ? found : NULL;
	for (size_t i = 0; i < rt->n_hubs; i++) { /* another case than configured: rare */
		const struct hub *h = &rt->hubs[i];
		if (h->cfg->connect_gate == 1 && strlen(h->cfg->head.name) == len &&
		    strncasecmp(h->cfg->head.name, name, len) == 0)
			return h;
	}
	return NULL;
}

#define LOG_EVERY_S 5

/* True at most once per LOG_EVERY_S seconds: the public listener must not flood the log. */
static bool may_warn(void)
{
	static _Atomic long long quiet_until;
	long long now = (long long)(monotonic_ns() / 1000000000u),
		  until = atomic_load(&quiet_until);
	return now >= until &&
	       atomic_compare_exchange_strong(&quiet_until, &until, now + LOG_EVERY_S);
}

static void refuse(struct reply *out, unsigned status, const char *code,
		   enum gate_metric_result metric, const char *why)
{
	metrics_connect_gate(metric);
	reply_error(out, status, code, "%s", why);
}

/* The abuse-protection handshake: the allowed origin is the hub's service, as the official
 * handler answers with allowedEndpoints set (it leaves the check to the service). */
static void preflight(const struct ngd_request *req, const struct hub *hub, struct reply *out)
{
	if (!ngd_request_header(req, "ce-awpsversion")) /* not the service: as the official */
		return refuse(out, 404, "not_found", GATE_BAD_REQUEST,
			      "not a Web PubSub request (no ce-awpsversion)");
	metrics_connect_gate(GATE_PREFLIGHT);
	if (!ngd_request_header(req, "WebHook-Request-Origin")) {
		out->status = 400;
		out->code = "missing_origin";
		snprintf(out->message, sizeof out->message, "WebHook-Request-Origin is missing");
		return;
	}
	reply_header(out, "WebHook-Allowed-Origin", hub->origin);
	out->status = 200;
}

/* The signature under the service's signing key or its idle one (a key rotation in progress). */
static bool signed_by_service(const struct hub *hub, const struct ce_event *ev)
{
	const struct token_signer *keys[] = {hub->service->signer, hub->service->other_signer};
	return ce_signature_ok(ev->signature, ev->connection_id, keys, 2);
}

/* [store] revocations_on_failure = closed and the list may be stale: no connect is admitted that
 * a revocation made elsewhere might refuse (the service then refuses the connection). */
static void refuse_stale(const struct hub *hub, const struct ce_event *ev, struct reply *out)
{
	log_warning("connect gate: event=refused reason=unavailable hub=%s connection=%s: the "
		    "revocation list may be stale",
		    hub->cfg->head.name, ev->connection_id);
	out->status = 503;
	out->content_type = "";
	buf_puts(&out->body, "the revocation list may be out of date; try again later");
	out->code = "unavailable";
	out->logged = true;
}

static void allow(const struct ce_event *ev, struct reply *out)
{
	metrics_connect_gate(GATE_ALLOWED);
	out->status = ev->kind == CE_CONNECT ? 204 : 200; /* as the official handler */
}

static void refuse_revoked(const struct hub *hub, const struct ce_event *ev, struct reply *out)
{
	metrics_connect_gate(GATE_REVOKED);
	log_info("connect gate: event=refused reason=revoked hub=%s user=%s connection=%s",
		 hub->cfg->head.name, ev->user_id, ev->connection_id);
	out->status = 401;
	out->content_type = ""; /* the official handler's res.fail(401, detail): text, no type */
	buf_puts(&out->body, GATE_REVOKED_BODY);
	out->code = "revoked";
	out->logged = true;
}

/* The event, as much of it as counting needs once the request's headers are gone. */
struct counted_event {
	struct resumable wait; /* first: what http/ holds while the store answers */
	const struct hub *hub;
	struct store *store; /* NULL: counted here */
	enum ce_kind kind;
	char user[CE_MAX_ID + 1], connection[CE_MAX_ID + 1];
};

/* How long the event's place holds: a connect until its connected event, a connection for the
 * hub's connection_count_ttl. */
static unsigned hold_s(const struct counted_event *c)
{
	return c->kind == CE_CONNECT ? LIVE_PENDING_S : c->hub->cfg->connection_count_ttl * 60u;
}

/* The connected events are what keep a connection counted: a service that sends only connect
 * makes the limit one of connects per minute, which an operator must hear about. */
static void expect_connected_events(const struct counted_event *c)
{
	static atomic_uint connects, connecteds;
	static atomic_bool warned;
	if (c->kind == CE_CONNECTED)
		atomic_fetch_add(&connecteds, 1);
	if (c->kind != CE_CONNECT || atomic_fetch_add(&connects, 1) != 50 ||
	    atomic_load(&connecteds) || atomic_exchange(&warned, true))
		return;
	log_warning("connect gate: [hub:%s] 50 connects but no connected event: add connected and "
		    "disconnected to the system events of the hub's event handler, or "
		    "max_connections_per_user counts only connects of the last %d s",
		    c->hub->cfg->head.name, LIVE_PENDING_S);
}

static void too_many(const struct counted_event *c, unsigned held, struct reply *out)
{
	metrics_connect_gate(GATE_TOO_MANY);
	log_info("connect gate: event=refused reason=too_many_connections hub=%s user=%s "
		 "connection=%s held=%u max=%u",
		 c->hub->cfg->head.name, c->user, c->connection, held,
		 c->hub->cfg->max_connections_per_user);
	out->status = 401;
	out->content_type = "";
	buf_puts(&out->body, GATE_TOO_MANY_BODY);
	out->code = "too_many_connections";
	out->logged = true;
}

/* The store did not answer: a connect is admitted or refused as connections_on_failure says; a
 * connected or disconnected event is answered 503 so that the service may send it again. */
static void count_failed(const struct counted_event *c, bool admit, struct reply *out)
{
	if (c->kind == CE_CONNECT && admit) {
		metrics_connect_gate(GATE_ALLOWED);
		out->status = 204;
		return;
	}
	if (may_warn())
		log_warning("connect gate: [hub:%s] the [store] did not answer; a %s event is "
			    "answered 503 (connections_on_failure = %s)",
			    c->hub->cfg->head.name,
			    c->kind == CE_CONNECT ? "connect" : "connection",
			    admit ? "open" : "closed");
	out->status = 503;
	out->content_type = "";
	buf_puts(&out->body, "the connection count store cannot answer now; try again later");
	out->code = "unavailable";
	out->logged = true;
}

static void counted(const struct counted_event *c, bool admitted, unsigned held, struct reply *out)
{
	expect_connected_events(c);
	if (!admitted)
		return too_many(c, held, out);
	metrics_connect_gate(GATE_ALLOWED);
	out->status = c->kind == CE_CONNECT ? 204 : 200;
}

/* Without a [store]: this instance's table, at once. */
static void count_here(const struct counted_event *c, struct reply *out)
{
	const char *hub = c->hub->cfg->head.name;
	unsigned held = 0;
	bool admitted = true;
	time_t now = time(NULL);
	if (c->kind == CE_CONNECT)
		admitted =
			live_connections_admit(hub, c->user, c->connection,
					       c->hub->cfg->max_connections_per_user, now, &held);
	else if (c->kind == CE_CONNECTED)
		live_connections_confirm(hub, c->user, c->connection, hold_s(c), now);
	else
		live_connections_forget(hub, c->user, c->connection);
	counted(c, admitted, held, out);
}

/* With a [store], on its pool: one script round trip. */
static struct pool *count_in_store(struct resumable *s, struct ngd_request *req, struct reply *out)
{
	(void)req;
	struct counted_event *c = (struct counted_event *)s; /* wait is its first member */
	struct store *st = c->store;
	static const enum store_conns_op ops[] = {[CE_CONNECT] = STORE_CONNS_CONNECT,
						  [CE_CONNECTED] = STORE_CONNS_CONNECTED,
						  [CE_DISCONNECTED] = STORE_CONNS_DISCONNECTED};
	unsigned held = 0;
	enum store_result r =
		store_connections(st, ops[c->kind], c->hub->cfg->head.name, c->user, c->connection,
				  c->hub->cfg->max_connections_per_user, hold_s(c), &held);
	if (r == STORE_FAILED)
		count_failed(c, store_connections_on_failure(st) == STORE_FAIL_OPEN, out);
	else
		counted(c, r == STORE_PASSED, held, out);
	free(c);
	return NULL;
}

static void drop_counted(struct resumable *s)
{
	free(s);
}

/* Counts the event where the hub's counts live: here, or in the [store] (*wait: on its pool). */
static void count(const struct runtime *rt, const struct hub *hub, const struct ce_event *ev,
		  struct reply *out, struct resumable **wait)
{
	struct counted_event local, *c = rt->store ? malloc(sizeof *c) : &local;
	if (!c) {
		reply_error(out, 503, "unavailable", "out of memory; try again");
		return;
	}
	c->wait = (struct resumable){.resume = count_in_store, .drop = drop_counted};
	c->hub = hub;
	c->store = rt->store;
	c->kind = ev->kind;
	snprintf(c->user, sizeof c->user, "%s", ev->user_id);
	snprintf(c->connection, sizeof c->connection, "%s", ev->connection_id);
	if (!rt->store)
		return count_here(c, out);
	c->wait.pool = store_pool(rt->store);
	*wait = &c->wait;
}

static void decide(const struct runtime *rt, const struct hub *hub, const struct ce_event *ev,
		   struct reply *out, struct resumable **wait)
{
	struct revocation why;
	if (ev->kind == CE_OTHER || !ev->user_id)
		return allow(ev, out);
	if (ev->kind == CE_CONNECT && revoke_fleet_blocks(rt->fleet))
		return refuse_stale(hub, ev, out);
	if (ev->kind == CE_CONNECT &&
	    revocations_refuse(rt->revocations, hub->cfg->head.name, ev->user_id, (time_t)ev->iat,
			       time(NULL), &why))
		return refuse_revoked(hub, ev, out);
	if (!hub->cfg->max_connections_per_user)
		return allow(ev, out);
	count(rt, hub, ev, out, wait);
}

void connect_gate(const struct runtime *rt, const struct ngd_request *req, const char *path_hub,
		  struct reply *out, struct resumable **wait)
{
	size_t len = strcspn(path_hub, "/");
	const struct hub *hub = len && (path_hub[len] == '\0' || strcmp(path_hub + len, "/") == 0)
					? gate_hub(rt, path_hub, len)
					: NULL;
	char why[200];
	struct ce_event ev;
	if (!hub)
		return refuse(out, 404, "not_found", GATE_BAD_REQUEST,
			      "no hub with connect_gate = yes at this path");
	if (strcmp(req->method, "OPTIONS") == 0)
		return preflight(req, hub, out);
	if (strcmp(req->method, "POST") != 0) {
		out->allow = "OPTIONS, POST";
		return refuse(out, 405, "method_not_allowed", GATE_BAD_REQUEST,
			      "use OPTIONS, POST");
	}
	if (ce_read(header_of, (void *)req, req->body, req->body_len, &ev, why, sizeof why) < 0)
		return refuse(out, 400, "invalid_event", GATE_BAD_REQUEST, why);
	if (strcasecmp(ev.hub, hub->cfg->head.name) != 0)
		return refuse(out, 404, "not_found", GATE_BAD_REQUEST,
			      "ce-hub does not name this path's hub");
	if (strcasecmp(ev.origin, hub->origin) != 0)
		return refuse(out, 403, "origin_not_allowed", GATE_BAD_ORIGIN,
			      "WebHook-Request-Origin is not this hub's service");
	if (!signed_by_service(hub, &ev)) {
		if (may_warn()) /* anyone can send these: at most one line per LOG_EVERY_S */
			log_warning("connect gate: [hub:%s] ce-signature does not verify with the "
				    "service's "
				    "access keys (connection %s)",
				    hub->cfg->head.name, ev.connection_id);
		return refuse(out, 401, "invalid_signature", GATE_BAD_SIGNATURE,
			      "ce-signature does not verify with the service's access keys");
	}
	decide(rt, hub, &ev, out, wait);
}
