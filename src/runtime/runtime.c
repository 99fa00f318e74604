/* SPDX-License-Identifier: Apache-2.0 */
/* Builds the read-only snapshot the request path uses; every failure names file:line:key. */
#include "runtime/runtime.h"

#include "core/caps.h"
#include "core/file.h"
#include "core/log.h"
#include "core/secret.h"
#include "edge/metrics.h"
#include "runtime/attr_check.h"
#include "runtime/keyless_load.h"
#include "runtime/policy_build.h"
#include "runtime/store_load.h"

#include <limits.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int service_init(struct service *svc, const char *name, const char *connection_string, char *err,
		 size_t err_len)
{
	struct connstr cs;
	*svc = (struct service){.name = name};
	if (connstr_parse(connection_string, &cs, err, err_len) < 0)
		return -1;
	if (strlen(cs.access_key) < 32)
		log_warning("[service:%s]: the access key is shorter than 32 bytes; the Web PubSub "
			    "emulator "
			    "refuses such keys",
			    name);
	svc->endpoint = cs.endpoint;
	cs.endpoint = (struct endpoint){0};
	svc->signer = token_signer_new(cs.access_key);
	connstr_clear(&cs);
	if (!svc->signer) {
		endpoint_clear(&svc->endpoint);
		snprintf(err, err_len, "cannot set up HMAC-SHA256");
		return -1;
	}
	return 0;
}

void service_clear(struct service *svc)
{
	endpoint_clear(&svc->endpoint);
	token_signer_free(svc->signer);
	svc->signer = NULL;
	token_signer_free(svc->other_signer);
	svc->other_signer = NULL;
	rest_signer_free(svc->rest);
	svc->rest = NULL;
	pool_free(svc->rest_pool);
	svc->rest_pool = NULL;
}

/* $CREDENTIALS_DIRECTORY/NAME, as systemd's LoadCredential= provides it. */
static char *credential_path(const char *name, char *err, size_t err_len)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char *path = NULL;
	if (!dir || !*dir)
		snprintf(err, err_len,
			 "CREDENTIALS_DIRECTORY is not set (run under systemd with "
			 "LoadCredential=%s:..., or "
			 "check with --credentials-dir DIR)",
			 name);
	else if (asprintf(&path, "%s/%s", dir, name) < 0)
		path = NULL;
	return path;
}

static char *read_trimmed(const char *path, char *err, size_t err_len)
{
	size_t len;
	char *text = file_read(path, NGD_MAX_CONNSTR, &len, err, err_len);
	while (text && len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	return text;
}

/* The connection string text from whichever key of src is set (key gets its name without the
 * prefix); the caller wipes it. */
static char *connection_string_text(const char *cfg_path, const struct connstr_source *src,
				    const char **key, char *err, size_t err_len)
{
	if (src->inline_text) {
		*key = "connection_string";
		if (file_check_private(cfg_path, "a connection string", err, err_len) < 0)
			return NULL;
		return strdup(src->inline_text);
	}
	if (src->env) {
		*key = "connection_string_env";
		char *value = secret_from_env(src->env); /* and gone from /proc/PID/environ */
		if (!value)
			snprintf(err, err_len, "environment variable %s is not set", src->env);
		return value;
	}
	if (src->credential) {
		*key = "connection_string_credential";
		char *path = credential_path(src->credential, err, err_len);
		char *text = path ? read_trimmed(path, err, err_len) : NULL;
		free(path);
		return text;
	}
	*key = "connection_string_file";
	if (file_check_private(src->file, "a connection string", err, err_len) < 0)
		return NULL;
	return read_trimmed(src->file, err, err_len);
}

/* One key's connection string parsed into an endpoint and a signer, or -1 with FILE:LINE: KEY. */
static int source_load(const struct config *cfg, const struct config_service *cs,
		       const struct connstr_source *src, const char *prefix, struct service *out,
		       char *err, size_t err_len)
{
	const char *key;
	char why[FILE_ERROR_TEXT] = "out of memory", name[64];
	char *text = connection_string_text(cfg->path, src, &key, why, sizeof why);
	int rc = text ? service_init(out, cs->head.name, text, why, sizeof why) : -1;
	secret_free(text);
	snprintf(name, sizeof name, "%s%s", prefix, key);
	if (rc < 0)
		snprintf(err, err_len, "%s:%d: %s: %s", cfg->path,
			 config_key_line(&cs->head, "service", name), name, why);
	return rc;
}

static bool endpoints_match(const struct endpoint *a, const struct endpoint *b)
{
	return strcmp(a->http_base, b->http_base) == 0;
}

int service_load(const struct config *cfg, const struct config_service *cs, struct service *out,
		 char *err, size_t err_len)
{
	struct service other = {0};
	bool has_secondary = cs->secondary.inline_text || cs->secondary.file || cs->secondary.env ||
			     cs->secondary.credential;
	bool sign_secondary = cs->sign_with && strcmp(cs->sign_with, "secondary") == 0;
	if (cs->keyless.endpoint) {
		*out = (struct service){.name = cs->head.name};
		if (keyless_load(cfg, cs, &out->endpoint, &out->rest, err, err_len) < 0)
			return -1;
		/* a caller waiting on an identical call in flight holds a thread too */
		out->rest_pool = pool_new("service", cs->head.name, "generateToken",
					  cs->keyless.rest_concurrency + cs->keyless.rest_queue, 0);
		if (out->rest_pool)
			return 0;
		service_clear(out);
		snprintf(err, err_len, "[service:%s]: out of memory", cs->head.name);
		return -1;
	}
	if (source_load(cfg, cs, &cs->primary, "", sign_secondary ? &other : out, err, err_len) < 0)
		return -1;
	/* the idle key is loaded too, so a broken one is found before it is switched to */
	if (has_secondary && source_load(cfg, cs, &cs->secondary, "secondary_",
					 sign_secondary ? out : &other, err, err_len) < 0) {
		service_clear(sign_secondary ? &other : out);
		return -1;
	}
	bool same = !has_secondary || endpoints_match(&out->endpoint, &other.endpoint);
	out->other_signer = same ? other.signer : NULL; /* the connect gate accepts either key */
	if (same)
		other.signer = NULL;
	service_clear(&other);
	if (!same) {
		service_clear(out);
		snprintf(err, err_len,
			 "%s:%d: [service:%s]: the secondary key's Endpoint differs from the "
			 "primary's (both keys "
			 "must belong to one Web PubSub resource)",
			 cfg->path, cs->head.line, cs->head.name);
		return -1;
	}
	if (has_secondary)
		log_debug("[service:%s]: signing with the %s key", cs->head.name,
			  sign_secondary ? "secondary" : "primary");
	return 0;
}

/* Hubs, services and authenticators sit at their section's place in the configuration's arrays,
 * so the configuration's index finds them. */
const struct hub *runtime_find_hub(const struct runtime *rt, const char *name)
{
	long pos = config_hub_pos(rt->cfg, name);
	return pos >= 0 ? &rt->hubs[pos] : NULL;
}

static struct auth_instance *auth_by_name(const struct runtime *rt, const char *name)
{
	long pos = config_auth_pos(rt->cfg, name);
	return pos >= 0 ? rt->auths[pos] : NULL;
}

static const struct service *service_by_name(const struct runtime *rt, const char *name)
{
	long pos = config_service_pos(rt->cfg, name);
	return pos >= 0 ? &rt->services[pos] : NULL;
}

static void hub_challenge(struct hub *hub)
{
	size_t used = 0;
	for (size_t i = 0; i < hub->n_chain; i++) {
		const char *scheme = hub->chain[i]->type->challenge;
		if (!scheme || strstr(hub->challenge, scheme))
			continue;
		used += (size_t)snprintf(hub->challenge + used, sizeof hub->challenge - used,
					 "%s%s realm=\"negotiated\"", used ? ", " : "", scheme);
		if (used >= sizeof hub->challenge)
			break;
	}
	if (!used)
		snprintf(hub->challenge, sizeof hub->challenge, "Bearer realm=\"negotiated\"");
}

/* The host of the hub's service endpoint, as WebHook-Request-Origin names it. */
static void hub_origin(struct hub *hub)
{
	const char *base = hub->service ? hub->service->endpoint.http_base : NULL;
	const char *host = base && strstr(base, "://") ? strstr(base, "://") + 3 : "";
	size_t n = strcspn(host, "/");
	for (size_t i = 0; i < n && i + 1 < sizeof hub->origin; i++)
		hub->origin[i] = (char)tolower((unsigned char)host[i]);
	hub->origin[n < sizeof hub->origin ? n : sizeof hub->origin - 1] = '\0';
}

static int build_hub(struct runtime *rt, const struct config_hub *cfg, struct hub *hub)
{
	hub->cfg = cfg;
	hub->service = service_by_name(rt, cfg->service);
	hub->chain = calloc(cfg->auth.n, sizeof *hub->chain);
	if (!hub->chain)
		return -1;
	for (size_t i = 0; i < cfg->auth.n; i++)
		hub->chain[hub->n_chain++] = auth_by_name(rt, cfg->auth.items[i]);
	hub_challenge(hub);
	hub->policy = policy_build(rt->cfg, cfg);
	hub->metrics_slot = metrics_hub_slot(cfg->head.name);
	hub_origin(hub);
	const struct config_server *s = &rt->cfg->server;
	bool own = cfg->cors_origins.n > 0;
	hub->cors = (struct cors_policy){
		.origins = own ? cfg->cors_origins.items : s->cors_origins.items,
		.n = own ? cfg->cors_origins.n : s->cors_origins.n,
		.credentials =
			cfg->cors_credentials >= 0 ? cfg->cors_credentials : s->cors_credentials,
	};
	hub->cors.any = hub->cors.n == 1 && strcmp(hub->cors.origins[0], "*") == 0;
	return hub->policy ? 0 : -1;
}

/* The [server] parts of the edge: who may read /metrics, the access log, CORS, rate limits. */
static int build_edge(struct runtime *rt, char *err, size_t err_len)
{
	const struct config_server *s = &rt->cfg->server;
	char why[300];
	for (size_t i = 0; i < s->allowed_hosts.n; i++) /* config_check() has vetted each */
		if (allowed_hosts_add(&rt->allowed_hosts, s->allowed_hosts.items[i], err, err_len) <
		    0)
			return -1;
	rt->hosts_listed = s->allowed_hosts.n > 0;
	for (size_t i = 0; i < s->metrics_allow.n; i++) /* config_check() has vetted each */
		if (trusted_proxies_add(&rt->metrics_allow, s->metrics_allow.items[i], err,
					err_len) < 0)
			return -1;
	if (access_log_open(s->access_log, &rt->access_log, why, sizeof why) < 0) {
		snprintf(err, err_len, "%s:%d: access_log: %s", rt->cfg->path,
			 config_key_line(&s->head, "server", "access_log"), why);
		return -1;
	}
	rt->cors = (struct cors_policy){s->cors_origins.items, s->cors_origins.n, false,
					s->cors_credentials};
	rt->cors.any = rt->cors.n == 1 && strcmp(rt->cors.origins[0], "*") == 0;
	rt->any_cors = rt->cors.n > 0;
	for (size_t i = 0; i < rt->cfg->n_hubs; i++)
		rt->any_cors |= rt->cfg->hubs[i]->cors_origins.n > 0;
	bool limited = false;
	for (size_t i = 0; i < rt->cfg->n_hubs; i++)
		limited |= rt->cfg->hubs[i]->rate_per_user.count ||
			   rt->cfg->hubs[i]->rate_per_address.count;
	if (limited && !(rt->rate_limits = rate_table_new())) {
		snprintf(err, err_len, "out of memory for the rate-limit table");
		return -1;
	}
	if (store_load(rt->cfg, &rt->store, err, err_len) < 0)
		return -1;
	for (size_t i = 0; rt->store && i < rt->n_services; i++)
		if (rt->services[i].rest)
			rest_signer_share(rt->services[i].rest, rt->store);
	return 0;
}

int runtime_share_revocations(struct runtime *rt, struct revocations *list, char *err,
			      size_t err_len)
{
	rt->revocations = list;
	if (!list || !rt->store)
		return 0;
	rt->fleet = revoke_fleet_start(rt->store, list, err, err_len);
	return rt->fleet ? 0 : -1;
}

/* Appends WHY to ERR as a line of its own (ERR gathers every error of a build). */
static void add_error(char *err, size_t err_len, const char *why)
{
	size_t used = strnlen(err, err_len);
	snprintf(err + used, err_len - used, "%s%s", used ? "\n" : "", why);
}

/* Every service and authenticator, each error added to ERR: a check reports them all in one run. */
static int build_sections(struct runtime *rt, char *err, size_t err_len)
{
	const struct config *cfg = rt->cfg;
	char why[PATH_MAX + FILE_ERROR_TEXT]; /* FILE:LINE: KEY: and a message naming a path */
	int failed = 0;
	for (; rt->n_services < cfg->n_services; rt->n_services++)
		if (service_load(cfg, cfg->services[rt->n_services], &rt->services[rt->n_services],
				 why, sizeof why) < 0)
			add_error(err, err_len, why), failed++;
	const struct auth_limits limits = {cfg->server.auth_workers, cfg->server.auth_queue};
	for (; rt->n_auths < cfg->n_auths; rt->n_auths++)
		if (!(rt->auths[rt->n_auths] = auth_instance_create(cfg->auths[rt->n_auths],
								    &limits, why, sizeof why)))
			add_error(err, err_len, why), failed++;
	return failed ? -1 : 0;
}

static int build_parts(struct runtime *rt, char *err, size_t err_len)
{
	const struct config *cfg = rt->cfg;
	rt->services = calloc(cfg->n_services, sizeof *rt->services);
	rt->auths = calloc(cfg->n_auths, sizeof *rt->auths);
	rt->hubs = calloc(cfg->n_hubs, sizeof *rt->hubs);
	if ((cfg->n_services && !rt->services) || (cfg->n_auths && !rt->auths) || !rt->hubs) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < cfg->server.trusted_proxies.n;
	     i++) /* config_check() has vetted each */
		if (trusted_proxies_add(&rt->proxies, cfg->server.trusted_proxies.items[i], err,
					err_len) < 0)
			return -1;
	err[0] = '\0';
	if (build_sections(rt, err, err_len) < 0 || attr_check(rt, err, err_len) > 0)
		return -1;
	for (; rt->n_hubs < cfg->n_hubs; rt->n_hubs++)
		if (build_hub(rt, cfg->hubs[rt->n_hubs], &rt->hubs[rt->n_hubs]) < 0) {
			snprintf(err, err_len, "out of memory");
			return -1;
		}
	return 0;
}

struct runtime *runtime_build(struct config *cfg, char *err, size_t err_len)
{
	struct runtime *rt = calloc(1, sizeof *rt);
	if (!rt) {
		config_free(cfg);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	rt->cfg = cfg;
	atomic_init(&rt->refs, 1);
	rt->access_log.fd = -1;
	if (build_parts(rt, err, err_len) < 0 || build_edge(rt, err, err_len) < 0) {
		runtime_free(rt);
		return NULL;
	}
	return rt;
}

void runtime_free(struct runtime *rt)
{
	if (!rt)
		return;
	for (size_t i = 0; i < rt->n_hubs; i++) {
		free(rt->hubs[i].chain);
		policy_free(rt->hubs[i].policy);
	}
	for (size_t i = 0; i < rt->n_auths; i++)
		auth_instance_free(rt->auths[i]);
	for (size_t i = 0; i < rt->n_services; i++)
		service_clear(&rt->services[i]);
	access_log_close(&rt->access_log);
	rate_table_free(rt->rate_limits);
	revoke_fleet_stop(rt->fleet); /* before the store it uses */
	store_free(rt->store);
	free(rt->hubs);
	free(rt->auths);
	free(rt->services);
	config_free(rt->cfg);
	free(rt);
}
