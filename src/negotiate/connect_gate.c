/* SPDX-License-Identifier: Apache-2.0 */
/* The connect event: verify, then look the user up in the revocation list (local, O(1)). */
#include "negotiate/connect_gate.h"

#include "core/caps.h"
#include "core/clock.h"
#include "core/log.h"
#include "edge/gate_metrics.h"
#include "negotiate/cloudevents.h"
#include "revoke/fleet.h"
#include "revoke/revocations.h"

#include <stdatomic.h>
#include <stdio.h>
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

static void decide(const struct runtime *rt, const struct hub *hub, const struct ce_event *ev,
		   struct reply *out)
{
	struct revocation why;
	if (ev->kind != CE_CONNECT || !ev->user_id) {
		metrics_connect_gate(GATE_ALLOWED);
		out->status = ev->kind == CE_CONNECT ? 204 : 200; /* as the official handler */
		return;
	}
	if (revoke_fleet_blocks(rt->fleet)) {
		refuse_stale(hub, ev, out);
		return;
	}
	if (!revocations_refuse(rt->revocations, hub->cfg->head.name, ev->user_id, (time_t)ev->iat,
				time(NULL), &why)) {
		metrics_connect_gate(GATE_ALLOWED);
		out->status = 204;
		return;
	}
	metrics_connect_gate(GATE_REVOKED);
	log_info("connect gate: event=refused reason=revoked hub=%s user=%s connection=%s",
		 hub->cfg->head.name, ev->user_id, ev->connection_id);
	out->status = 401;
	out->content_type = ""; /* the official handler's res.fail(401, detail): text, no type */
	buf_puts(&out->body, GATE_REVOKED_BODY);
	out->code = "revoked";
	out->logged = true;
}

void connect_gate(const struct runtime *rt, const struct ngd_request *req, const char *path_hub,
		  struct reply *out)
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
	decide(rt, hub, &ev, out);
}
