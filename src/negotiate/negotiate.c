/* SPDX-License-Identifier: Apache-2.0 */
/* The pipeline of one negotiate request, and nothing else (DESIGN.md, "The path of one request"). */
#include "negotiate/negotiate.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/names.h"
#include "edge/metrics.h"
#include "negotiate/ask_read.h"
#include "policy/audit.h"
#include "policy/policy.h"

#include <jansson.h>
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
		reply_error(out, 400, "invalid_body", "the body is not valid JSON (line %d, column %d)", error.line,
			    error.column);
	return -1;
}

static int check_query(const struct ngd_request *req, unsigned *hub_count, struct reply *out)
{
	unsigned user_count = 0;
	request_query(req, "userId", &user_count);
	if (user_count) {
		reply_error(out, 400, "invalid_parameter",
			    "userId cannot be chosen by the client: the user id comes from authentication");
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
static const char *choose_hub(const struct runtime *rt, const struct ngd_request *req, json_t *body, struct reply *out)
{
	unsigned hub_count = 0;
	const char *named[3] = {NULL, NULL, NULL}, *chosen = NULL;
	if (check_query(req, &hub_count, out) < 0)
		return NULL;
	named[0] = strncmp(req->path, "/negotiate/", 11) == 0 && req->path[11] ? req->path + 11 : NULL;
	named[1] = hub_count ? request_query(req, "hub", NULL) : NULL;
	json_t *from_body = body ? json_object_get(body, "hub") : NULL;
	if (from_body && !json_is_string(from_body))
		return reply_error(out, 400, "invalid_body", "hub must be a string"), NULL;
	named[2] = json_string_value(from_body);
	for (int i = 0; i < 3; i++) {
		if (named[i] && chosen && strcmp(named[i], chosen) != 0)
			return reply_error(out, 400, "invalid_parameter", "the request names two different hubs"), NULL;
		chosen = named[i] ? named[i] : chosen;
	}
	if (!chosen && rt->n_hubs == 1)
		return rt->hubs[0].cfg->head.name;
	if (!chosen)
		reply_error(out, 400, "missing_hub", "name the hub: /negotiate?hub=NAME or /negotiate/NAME");
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
	if (!ask_parameter_name_ok(name))
		return reply_error(out, 400, "invalid_parameter",
				   "an unknown %s (its name is not shown): negotiate reads hub, %s, "
				   "expirationTimeInMinutes and clientProtocol",
				   place, in_body ? "roles, groups" : "role, group"),
		       -1;
	return reply_error(out, 400, "invalid_parameter",
			   "unknown %s '%s'%s%s%s: negotiate does not read it (the hub's ignore_parameters lets an "
			   "app's own parameters through)",
			   place, name, near ? " (did you mean " : "", near ? near : "", near ? "?)" : ""),
	       -1;
}

static int refuse_unknown_parameters(const struct hub *hub, const struct ngd_request *req, json_t *body,
				     struct reply *out)
{
	const char *name;
	json_t *value;
	for (unsigned i = 0; (name = request_query_name_at(req, i)); i++)
		if (!ask_parameter_known(name, false, NULL) && !ignored(hub, name))
			return refuse_unknown("query parameter", name, false, out);
	json_object_foreach(body, name, value) if (!ask_parameter_known(name, true, NULL) &&
						   !ignored(hub, name)) return refuse_unknown("body member", name, true,
											      out);
	return 0;
}

static void refuse(const struct hub *hub, enum ngd_auth_result result, const struct ngd_outcome *who, struct reply *out)
{
	if (result == NGD_AUTH_ERROR) {
		reply_error(out, 503, "unavailable", "authentication is unavailable; try again later");
		out->retry_after = 1;
		return;
	}
	reply_error(out, who->deny_status, who->deny_code, "%s", who->deny_message);
	out->auth_failed = true; /* answered after [server] auth_failure_delay */
	if (who->deny_status == 401)
		snprintf(out->www_authenticate, sizeof out->www_authenticate, "%s", hub->challenge);
}

/* At debug level, what the authenticator said about the caller (validated text, never a credential). */
static void log_attributes(const struct principal *who)
{
	char line[512];
	size_t used = 0;
	line[0] = '\0';
	for (size_t i = 0; i < who->n_attrs && used < sizeof line; i++)
		used += (size_t)snprintf(line + used, sizeof line - used, " %s=%s", who->attrs[i].name,
					 who->attrs[i].value);
	log_debug("principal user=%s auth=%s attributes:%s", who->user_id, who->authenticator, line);
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
	enum issue_result r =
		token_issue(&hub->service->endpoint, hub->service->signer, hub->service->rest, &claims, &token);
	if (r == ISSUE_UNAVAILABLE) {
		reply_error(out, 503, "unavailable", "the service cannot issue tokens now; try again later");
		out->retry_after = 2;
	} else if (r != ISSUE_OK || base_url.failed) {
		reply_error(out, 500, "internal", "the token could not be issued");
	} else {
		out->status = 200;
		client_access_json(base_url.data, token.data, claims.protocol, &out->body);
		audit_issued(claims.hub, who, req->client_addr, grant, claims.iat + 60ll * claims.ttl_minutes,
			     token.data);
		metrics_token_issued(hub->metrics_slot);
	}
	buf_free_secret(&token);
	buf_free(&base_url);
}

/* The admitted caller's token: what they asked for, within what the policy grants. */
static void grant_and_issue(const struct hub *hub, struct ngd_request *req, json_t *body, const struct principal *who,
			    struct reply *out)
{
	struct ask_text text;
	struct policy_ask ask;
	struct ask_refusal why;
	struct grant grant; /* policy_decide() writes what it uses: 8 KB are not zeroed per request */
	if (refuse_unknown_parameters(hub, req, body, out) < 0)
		return;
	ask_read(req, body, &text);
	if (ask_check(&text, &ask, &why) < 0) {
		reply_error(out, 400, why.code, "%s", why.message);
		return;
	}
	if (policy_decide(hub->policy, who, &ask, NULL, &grant) == 0)
		issue(hub, req, who, &grant, out);
	else if (strcmp(grant.refusal, "internal") == 0)
		reply_error(out, 500, "internal", "the token could not be issued");
	else
		reply_error(out, 403, grant.refusal, "%s", grant.message);
	grant_clear(&grant);
}

/* Step 4, rate limits: true (with 429 and Retry-After in out) when this caller must wait. */
static bool rate_limited(const struct runtime *rt, const struct hub *hub, enum rate_limit_kind kind, const char *id1,
			 const char *id2, struct reply *out)
{
	const struct rate_spec *spec = kind == RATE_LIMIT_USER ? &hub->cfg->rate_per_user : &hub->cfg->rate_per_address;
	if (!spec->count)
		return false;
	const char *kind_name = kind == RATE_LIMIT_USER ? "user" : "address";
	uint64_t key = rate_key(rt->rate_limits, hub->cfg->head.name, kind_name, id1, id2);
	unsigned wait = rate_take(rt->rate_limits, key, spec, monotonic_ns());
	if (!wait)
		return false;
	metrics_rate_limited(hub->metrics_slot, kind);
	out->retry_after = wait;
	reply_error(out, 429, "rate_limited", "too many requests from this %s; retry in %u s", kind_name, wait);
	return true;
}

void negotiate(const struct runtime *rt, struct ngd_request *req, struct reply *out)
{
	json_t *body = NULL;
	struct ngd_outcome who = {0};
	enum ngd_auth_result result = NGD_AUTH_DECLINED;
	const char *name = parse_body(req, &body, out) == 0 ? choose_hub(rt, req, body, out) : NULL;
	const struct hub *hub = NULL;
	if (name && !hub_name_valid(name))
		reply_error(out, 400, "invalid_hub", "the hub name must be " HUB_NAME_RULE);
	else if (name && !(hub = runtime_find_hub(rt, name)))
		reply_error(out, 404, "unknown_hub", "no hub named '%s' is configured", name);
	if (hub) {
		req->hub = hub->cfg->head.name;
		req->hub_slot = hub->metrics_slot;
		/* the per-address limit comes first, so that guessing credentials spends it too; a request
		 * run again on a worker spent it on the HTTP thread */
		if (req->worker_of || !rate_limited(rt, hub, RATE_LIMIT_ADDRESS, req->client_addr, NULL, out)) {
			result = auth_chain_run(hub->chain, hub->n_chain, req, &who);
			if (result == NGD_AUTH_OK && who.principal.n_attrs && log_wants(LOG_LEVEL_DEBUG))
				log_attributes(&who.principal);
			if (who.deferred_to)
				out->needs_worker = who.deferred_to; /* the caller runs it again on that worker */
			else if (result != NGD_AUTH_OK)
				refuse(hub, result, &who, out);
			else if (hub->service->rest_calls && !req->worker_of)
				out->needs_worker =
					hub->service->rest_calls; /* the REST call blocks: its own threads */
			else if (!rate_limited(rt, hub, RATE_LIMIT_USER, who.principal.authenticator,
					       who.principal.user_id, out))
				grant_and_issue(hub, req, body, &who.principal, out);
		}
	}
	if (out->status >= 400) /* the one line per refusal, naming the authenticator that decided */
		audit_refused(hub ? hub->cfg->head.name : NULL, hub ? &who.principal : NULL, req->client_addr,
			      out->status, out->code, out->message);
	out->logged = out->status >= 400;
	outcome_clear(&who);
	json_decref(body);
}
