/* SPDX-License-Identifier: Apache-2.0 */
/* The pipeline of one negotiate request, and nothing else (DESIGN.md, "The path of one request").
 */
#include "negotiate/negotiate.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/names.h"
#include "edge/metrics.h"
#include "negotiate/ask_read.h"
#include "policy/audit.h"
#include "policy/policy.h"
#include "store/store.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int parse_body(const struct ngd_request *req, json_t **body, struct reply *out)
{
	json_error_t error;
	if (strcmp(req->method, "POST") != 0 || req->body_len == 0)
		return 0;
	*body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &error);
	if (json_is_object(*body))
		return 0;
	if (*body) /* the client's bytes stay out of the message: jansson quotes them */
		reply_error(out, 400, "invalid_body", "the body must be a JSON object");
	else
		reply_error(out, 400, "invalid_body",
			    "the body is not valid JSON (line %d, column %d)", error.line,
			    error.column);
	return -1;
}

static int check_query(const struct ngd_request *req, unsigned *hub_count, struct reply *out)
{
	unsigned user_count = 0;
	request_query(req, "userId", &user_count);
	if (user_count) {
		reply_error(out, 400, "invalid_parameter",
			    "userId cannot be chosen by the client: the user id comes from "
			    "authentication");
		return -1;
	}
	request_query(req, "hub", hub_count);
	if (*hub_count > 1) {
		reply_error(out, 400, "invalid_parameter", "hub is given more than once");
		return -1;
	}
	return 0;
}

/* The hub named by the path, the query or the body; they must agree. */
static const char *choose_hub(const struct runtime *rt, const struct ngd_request *req, json_t *body,
			      struct reply *out)
{
	unsigned hub_count = 0;
	const char *named[3] = {NULL, NULL, NULL}, *chosen = NULL;
	if (check_query(req, &hub_count, out) < 0)
		return NULL;
	named[0] = req->path_hub; /* routed once: /negotiate/NAME */
	named[1] = hub_count ? request_query(req, "hub", NULL) : NULL;
	json_t *from_body = body ? json_object_get(body, "hub") : NULL;
	if (from_body && !json_is_string(from_body)) {
		reply_error(out, 400, "invalid_body", "hub must be a string");
		return NULL;
	}
	named[2] = json_string_value(from_body);
	for (int i = 0; i < 3; i++) {
		if (named[i] && chosen && strcmp(named[i], chosen) != 0) {
			reply_error(out, 400, "invalid_parameter",
				    "the request names two different hubs");
			return NULL;
		}
		chosen = named[i] ? named[i] : chosen;
	}
	if (!chosen && rt->n_hubs == 1)
		return rt->hubs[0].cfg->head.name;
	if (!chosen)
		reply_error(out, 400, "missing_hub",
			    "name the hub: /negotiate?hub=NAME or /negotiate/NAME");
	return chosen;
}

static bool ignored(const struct hub *hub, const char *name)
{
	const struct strlist *l = &hub->cfg->ignore_parameters;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], name) == 0)
			return true;
	return false;
}

/* 400 invalid_parameter for a parameter negotiate does not read: the client must know it was not
 * heard (a ?roles= or ?ttl= it believes narrowed its token). */
static int refuse_unknown(const char *place, const char *name, bool in_body, struct reply *out)
{
	const char *near = NULL;
	ask_parameter_known(name, in_body, &near);
	if (!ask_parameter_name_ok(name)) {
		reply_error(out, 400, "invalid_parameter",
			    "an unknown %s (its name is not shown): negotiate reads hub, %s, "
			    "expirationTimeInMinutes and clientProtocol",
			    place, in_body ? "roles, groups" : "role, group");
		return -1;
	}
	reply_error(out, 400, "invalid_parameter",
		    "unknown %s '%s'%s%s%s: negotiate does not read it (the hub's "
		    "ignore_parameters lets an "
		    "app's own parameters through)",
		    place, name, near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
	return -1;
}

static int refuse_unknown_parameters(const struct hub *hub, const struct ngd_request *req,
				     json_t *body, struct reply *out)
{
	const char *name;
	json_t *value;
	for (unsigned i = 0; (name = request_query_name_at(req, i)); i++)
		if (!ask_parameter_known(name, false, NULL) && !ignored(hub, name))
			return refuse_unknown("query parameter", name, false, out);
	json_object_foreach(body, name,
			    value) if (!ask_parameter_known(name, true, NULL) &&
				       !ignored(hub, name)) return refuse_unknown("body member",
										  name, true, out);
	return 0;
}

static void refuse(const struct hub *hub, enum ngd_auth_result result,
		   const struct ngd_outcome *who, struct reply *out)
{
	if (result == NGD_AUTH_ERROR) {
		reply_error(out, 503, "unavailable",
			    "authentication is unavailable; try again later");
		out->retry_after = 1;
		return;
	}
	reply_error(out, who->deny_status, who->deny_code, "%s", who->deny_message);
	out->auth_failed = true; /* answered after [server] auth_failure_delay */
	if (who->deny_status == 401)
		snprintf(out->www_authenticate, sizeof out->www_authenticate, "%s", hub->challenge);
}

/* At debug level, what the authenticator said about the caller (validated text, never a
 * credential). */
static void log_attributes(const struct principal *who)
{
	char line[512];
	size_t used = 0;
	line[0] = '\0';
	for (size_t i = 0; i < who->n_attrs && used < sizeof line; i++)
		used += (size_t)snprintf(line + used, sizeof line - used, " %s=%s",
					 who->attrs[i].name, who->attrs[i].value);
	log_debug("principal user=%s auth=%s attributes:%s", who->user_id, who->authenticator,
		  line);
}

static void issue(const struct hub *hub, const struct ngd_request *req, const struct principal *who,
		  const struct grant *grant, struct reply *out)
{
	struct buf token = {0}, base_url = {0};
	struct token_claims claims = {
		.hub = hub->cfg->head.name,
		.protocol = grant->protocol,
		.user_id = who->user_id,
		.roles = grant->roles,
		.n_roles = grant->n_roles,
		.groups = grant->groups,
		.n_groups = grant->n_groups,
		.iat = (long long)time(NULL),
		.ttl_minutes = grant->ttl_minutes,
	};
	client_base_url(&hub->service->endpoint, claims.hub, claims.protocol, &base_url);
	enum issue_result r = token_issue(&hub->service->endpoint, hub->service->signer,
					  hub->service->rest, &claims, &token);
	if (r == ISSUE_UNAVAILABLE) {
		reply_error(out, 503, "unavailable",
			    "the service cannot issue tokens now; try again later");
		out->retry_after = 2;
	} else if (r != ISSUE_OK || base_url.failed) {
		reply_error(out, 500, "internal", "the token could not be issued");
	} else {
		out->status = 200;
		client_access_json(base_url.data, token.data, claims.protocol, &out->body);
		audit_issued(claims.hub, who, req->client_addr, grant,
			     claims.iat + 60ll * claims.ttl_minutes, token.data);
		metrics_token_issued(hub->metrics_slot);
	}
	buf_free_secret(&token);
	buf_free(&base_url);
}

/* The request's context: the cursor and what the phases hand down (DESIGN.md, "The path of one
 * request"). On the HTTP thread's stack; moved to the heap only when a phase must wait. */
struct negotiation {
	struct resumable wait; /* first: what http/ holds while it waits on a pool */
	const struct runtime *rt;
	unsigned phase; /* the cursor: the next phase to run */
	json_t *body;
	const struct hub *hub;
	size_t auth_at; /* the authenticator the chain is at */
	struct ngd_outcome who;
	bool granted; /* grant holds a decision to clear */
	struct grant
		grant; /* policy_decide() writes what it uses: 8 KB are not zeroed per request */
};

/* What a phase did: on to the next, answered (out is filled), or continue on n->wait.pool. */
enum step { STEP_NEXT, STEP_ANSWER, STEP_WAIT };

/* The fleet's bucket in the [store], on the store's pool: the seconds to wait (0: pass), or -1
 * when the store did not answer and rate_on_failure is closed (503 in out). */
static long shared_take(struct store *st, const struct hub *hub, const char *kind_name,
			const char *id1, const char *id2, const struct rate_spec *spec,
			struct reply *out)
{
	unsigned wait = 0;
	enum store_result r =
		store_rate_take(st, hub->cfg->head.name, kind_name, id1, id2, spec, &wait);
	if (r == STORE_LIMITED)
		return wait;
	if (r == STORE_PASSED || store_rate_on_failure(st) == STORE_FAIL_OPEN)
		return 0;
	reply_error(out, 503, "unavailable",
		    "the rate limit store cannot answer now; try again later");
	out->retry_after = 1;
	return -1;
}

/* Step 4, rate limits: STEP_ANSWER (429 with Retry-After, or 503) when this caller must wait;
 * with a [store], STEP_WAIT first to continue on the store's pool. */
static enum step rate_limited(struct negotiation *n, enum rate_limit_kind kind, const char *id1,
			      const char *id2, struct reply *out, const struct pool *here)
{
	const struct runtime *rt = n->rt;
	const struct hub *hub = n->hub;
	const struct rate_spec *spec =
		kind == RATE_LIMIT_USER ? &hub->cfg->rate_per_user : &hub->cfg->rate_per_address;
	if (!spec->count)
		return STEP_NEXT;
	const char *kind_name = kind == RATE_LIMIT_USER ? "user" : "address";
	long wait;
	if (rt->store && here != store_pool(rt->store)) {
		n->wait.pool = store_pool(rt->store);
		return STEP_WAIT;
	}
	if (rt->store) {
		wait = shared_take(rt->store, hub, kind_name, id1, id2, spec, out);
	} else {
		uint64_t key = rate_key(rt->rate_limits, hub->cfg->head.name, kind_name, id1, id2);
		wait = rate_take(rt->rate_limits, key, spec, monotonic_ns());
	}
	if (wait < 0)
		return STEP_ANSWER;
	if (!wait)
		return STEP_NEXT;
	metrics_rate_limited(hub->metrics_slot, kind);
	out->retry_after = (unsigned)wait;
	reply_error(out, 429, "rate_limited", "too many requests from this %s; retry in %ld s",
		    kind_name, wait);
	return STEP_ANSWER;
}

/* Body, query and hub: the hub the request names, in the current snapshot. */
static enum step phase_hub(struct negotiation *n, struct ngd_request *req, struct reply *out,
			   const struct pool *here)
{
	(void)here;
	const char *name =
		parse_body(req, &n->body, out) == 0 ? choose_hub(n->rt, req, n->body, out) : NULL;
	if (name && !hub_name_valid(name))
		reply_error(out, 400, "invalid_hub", "the hub name must be " HUB_NAME_RULE);
	else if (name && !(n->hub = runtime_find_hub(n->rt, name)))
		reply_error(out, 404, "unknown_hub", "no hub named '%s' is configured", name);
	if (!n->hub)
		return STEP_ANSWER;
	req->hub = n->hub->cfg->head.name;
	req->hub_slot = n->hub->metrics_slot;
	return STEP_NEXT;
}

/* Before authentication, so that guessing credentials spends it too. */
static enum step phase_address_limit(struct negotiation *n, struct ngd_request *req,
				     struct reply *out, const struct pool *here)
{
	return rate_limited(n, RATE_LIMIT_ADDRESS, req->client_addr, NULL, out, here);
}

/* The hub's chain, one authenticator at a time; one that must block continues on its own pool. */
static enum step phase_authenticate(struct negotiation *n, struct ngd_request *req,
				    struct reply *out, const struct pool *here)
{
	enum ngd_auth_result result = auth_chain_run(n->hub->chain, n->hub->n_chain, &n->auth_at,
						     here, req, &n->who, &n->wait.pool);
	if (n->wait.pool)
		return STEP_WAIT;
	if (result == NGD_AUTH_OK && n->who.principal.n_attrs && log_wants(LOG_LEVEL_DEBUG))
		log_attributes(&n->who.principal);
	if (result == NGD_AUTH_OK)
		return STEP_NEXT;
	refuse(n->hub, result, &n->who, out);
	return STEP_ANSWER;
}

/* The revocation list: the operator's word comes before any limit or policy. The operator's
 * reason stays in the audit trail of the change, never in the answer: it may name a stolen laptop
 * or an HR matter the caller must not read. */
static enum step phase_revoked(struct negotiation *n, struct ngd_request *req, struct reply *out,
			       const struct pool *here)
{
	(void)req, (void)here;
	struct revocation why;
	time_t now = time(NULL);
	if (revoke_fleet_blocks(n->rt->fleet)) { /* revocations_on_failure = closed */
		reply_error(out, 503, "unavailable",
			    "the revocation list may be out of date (the shared store is not "
			    "reachable); try again later");
		out->retry_after = 2;
		return STEP_ANSWER;
	}
	if (!revocations_refuse(n->rt->revocations, n->hub->cfg->head.name,
				n->who.principal.user_id, 0, now, &why))
		return STEP_NEXT;
	metrics_revoked(n->hub->metrics_slot);
	if (why.expires_at)
		reply_error(out, 403, "revoked", "this user's access was revoked until %sZ",
			    log_utc_second(why.expires_at));
	else
		reply_error(out, 403, "revoked",
			    "this user's access was revoked until an operator lifts it");
	return STEP_ANSWER;
}

static enum step phase_user_limit(struct negotiation *n, struct ngd_request *req, struct reply *out,
				  const struct pool *here)
{
	(void)req;
	const struct principal *who = &n->who.principal;
	return rate_limited(n, RATE_LIMIT_USER, who->authenticator, who->user_id, out, here);
}

/* The admitted caller's grant: what they asked for, within what the policy grants. */
static enum step phase_decide(struct negotiation *n, struct ngd_request *req, struct reply *out,
			      const struct pool *here)
{
	struct ask_text text;
	struct policy_ask ask;
	struct ask_refusal why;
	(void)here;
	if (refuse_unknown_parameters(n->hub, req, n->body, out) < 0)
		return STEP_ANSWER;
	ask_read(req, n->body, &text);
	if (ask_check(&text, &ask, &why) < 0) {
		reply_error(out, 400, why.code, "%s", why.message);
		return STEP_ANSWER;
	}
	n->granted = true;
	if (policy_decide(n->hub->policy, &n->who.principal, &ask, NULL, &n->grant) == 0)
		return STEP_NEXT;
	if (strcmp(n->grant.refusal, "internal") == 0)
		reply_error(out, 500, "internal", "the token could not be issued");
	else
		reply_error(out, 403, n->grant.refusal, "%s", n->grant.message);
	return STEP_ANSWER;
}

/* The token; a keyless service's REST call blocks, so it runs on that service's own pool. */
static enum step phase_sign(struct negotiation *n, struct ngd_request *req, struct reply *out,
			    const struct pool *here)
{
	struct pool *rest = n->hub->service->rest_pool;
	if (rest && here != rest) {
		n->wait.pool = rest;
		return STEP_WAIT;
	}
	issue(n->hub, req, &n->who.principal, &n->grant, out);
	return STEP_ANSWER;
}

static enum step (*const phases[])(struct negotiation *, struct ngd_request *, struct reply *,
				   const struct pool *) = {
	phase_hub,	  phase_address_limit, phase_authenticate, phase_revoked,
	phase_user_limit, phase_decide,	       phase_sign,
};
#define N_PHASES (sizeof phases / sizeof phases[0])

/* The last phase, on whichever thread the request ended: the one line per refusal (naming the
 * authenticator that decided), then everything the context held is released. */
static void answer(struct negotiation *n, const struct ngd_request *req, struct reply *out)
{
	const struct hub *hub = n->hub;
	if (out->status >= 400)
		audit_refused(hub ? hub->cfg->head.name : NULL, hub ? &n->who.principal : NULL,
			      req->client_addr, out->status, out->code, out->message);
	out->logged = out->status >= 400;
}

static void release(struct negotiation *n)
{
	if (n->granted)
		grant_clear(&n->grant);
	outcome_clear(&n->who);
	json_decref(n->body);
}

/* Runs the phases from the cursor on the thread of pool HERE (NULL: the HTTP thread). True when
 * a phase must wait (n->wait.pool says where); false once answered and released. */
static bool run(struct negotiation *n, struct ngd_request *req, struct reply *out,
		const struct pool *here)
{
	while (n->phase < N_PHASES) {
		enum step step = phases[n->phase](n, req, out, here);
		if (step == STEP_WAIT)
			return true;
		n->phase = step == STEP_NEXT ? n->phase + 1 : N_PHASES;
	}
	answer(n, req, out);
	release(n);
	return false;
}

static struct pool *negotiation_resume(struct resumable *s, struct ngd_request *req,
				       struct reply *out)
{
	struct negotiation *n = (struct negotiation *)s; /* wait is its first member */
	const struct pool *here = s->pool;
	s->pool = NULL;
	if (run(n, req, out, here))
		return s->pool;
	free(n);
	return NULL;
}

static void negotiation_drop(struct resumable *s)
{
	struct negotiation *n = (struct negotiation *)s;
	release(n);
	free(n);
}

void negotiate(const struct runtime *rt, struct ngd_request *req, struct reply *out,
	       struct resumable **wait)
{
	struct negotiation n; /* not zeroed whole: the grant is 8 KB */
	n.wait = (struct resumable){.resume = negotiation_resume, .drop = negotiation_drop};
	n.rt = rt;
	n.phase = 0;
	n.body = NULL;
	n.hub = NULL;
	n.auth_at = 0;
	n.who = (struct ngd_outcome){0};
	n.granted = false;
	*wait = NULL;
	if (!run(&n, req, out, NULL))
		return;
	struct negotiation *moved = malloc(sizeof *moved);
	if (moved) {
		memcpy(moved, &n,
		       sizeof n); /* what it points to is on the heap or in the snapshot */
		*wait = &moved->wait;
		return;
	}
	reply_error(out, 503, "unavailable", "out of memory; try again");
	out->retry_after = 1;
	answer(&n, req, out);
	release(&n);
}
