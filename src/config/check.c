/* SPDX-License-Identifier: Apache-2.0 */
/* Whole-file checks, after every line is read: what no single line can show (references between
 * sections, templates, matchers, origins, addresses). */
#include "config/parser.h"

#include "core/caps.h"
#include "core/names.h"
#include "edge/allowed_hosts.h"
#include "edge/cors.h"
#include "edge/listen.h"
#include "policy/ask.h"
#include "edge/trusted_proxies.h"
#include "policy/matcher.h"
#include "policy/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "[KIND:NAME]" for a message, written only when there is one (thousands of hubs have none). */
static const char *section_label(const struct section_head *h, const char *kind, char *out,
				 size_t len)
{
	snprintf(out, len, "[%s%s%s]", kind, h->name ? ":" : "", h->name ? h->name : "");
	return out;
}

static int source_count(const struct connstr_source *src)
{
	return !!src->inline_text + !!src->file + !!src->env + !!src->credential;
}

static bool credential_name_valid(const char *name)
{
	return name && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && !strchr(name, '/') &&
	       strlen(name) < 256;
}

static void check_credentials(struct parser *p, const struct config_service *s)
{
	const char *names[] = {s->primary.credential, s->secondary.credential};
	const char *key_names[] = {"connection_string_credential",
				   "secondary_connection_string_credential"};
	for (int i = 0; i < 2; i++)
		if (names[i] && !credential_name_valid(names[i]))
			parser_error(p, config_key_line(&s->head, "service", key_names[i]),
				     key_names[i],
				     "a credential name is a file name in $CREDENTIALS_DIRECTORY, "
				     "without '/'");
}

static const char *const credential_kinds[] = {"managed_identity", "workload_identity",
					       "client_secret", "client_certificate"};

/* An Entra ID credential (a keyless [service]'s or the [store]'s): one kind and what it needs. */
static void check_entra(struct parser *p, const struct section_head *head, const char *kind_name,
			const struct config_keyless *k)
{
	int kind = -1, line = config_key_line(head, kind_name, "credential");
	for (int i = 0; k->credential && i < 4; i++)
		if (strcmp(k->credential, credential_kinds[i]) == 0)
			kind = i;
	if (kind < 0)
		parser_error(
			p, line, "credential",
			"'%.64s' is not one of managed_identity, workload_identity, client_secret, "
			"client_certificate",
			k->credential);
	else if (kind == 2 && !!k->client_secret_file + !!k->client_secret_credential != 1)
		parser_error(p, line, "credential",
			     "client_secret: set exactly one of client_secret_file, "
			     "client_secret_credential");
	else if (kind == 3 &&
		 !!k->client_certificate_file + !!k->client_certificate_credential != 1)
		parser_error(p, line, "credential",
			     "client_certificate: set exactly one of client_certificate_file, "
			     "client_certificate_credential");
	else if (kind >= 2 && (!k->tenant_id || !k->client_id))
		parser_error(p, line, "credential", "%s: tenant_id and client_id are required",
			     k->credential);
}

/* The systemd credential names among an Entra credential's keys. */
static void check_entra_names(struct parser *p, const struct section_head *head,
			      const char *kind_name, const struct config_keyless *k)
{
	const char *names[] = {k->client_secret_credential, k->client_certificate_credential};
	const char *keys[] = {"client_secret_credential", "client_certificate_credential"};
	for (int i = 0; i < 2; i++)
		if (names[i] && !credential_name_valid(names[i]))
			parser_error(p, config_key_line(head, kind_name, keys[i]), keys[i],
				     "a credential name is a file name in $CREDENTIALS_DIRECTORY, "
				     "without '/'");
}

/* A keyless service: an https endpoint, one credential kind and what that kind needs. */
static void check_keyless(struct parser *p, const struct config_service *s, const char *label)
{
	const struct config_keyless *k = &s->keyless;
	if (source_count(&s->primary) || source_count(&s->secondary))
		parser_error(p, config_key_line(&s->head, "service", "endpoint"), "endpoint",
			     "a service has either an endpoint and a credential (no access key) or "
			     "a connection "
			     "string, not both");
	else if (strncmp(k->endpoint, "https://", 8) != 0 &&
		 strncmp(k->endpoint, "http://", 7) != 0)
		parser_error(p, config_key_line(&s->head, "service", "endpoint"), "endpoint",
			     "'%.80s' is not an http(s) URL", k->endpoint);
	else if (!k->credential)
		parser_error(p, s->head.line, label,
			     "credential: required with endpoint (one of managed_identity, "
			     "workload_identity, client_secret, client_certificate)");
	else
		check_entra(p, &s->head, "service", k);
	check_entra_names(p, &s->head, "service", k);
}

static void check_service(struct parser *p, const struct config_service *s)
{
	char label[96];
	section_label(&s->head, "service", label, sizeof label);
	if (s->keyless.endpoint) {
		check_keyless(p, s, label);
		return;
	}
	if (s->keyless.credential)
		parser_error(p, config_key_line(&s->head, "service", "credential"), "credential",
			     "needs endpoint (a service with a connection string signs with its "
			     "access key)");
	if (source_count(&s->primary) != 1)
		parser_error(p, s->head.line, label,
			     "set exactly one of connection_string, connection_string_file, "
			     "connection_string_env, "
			     "connection_string_credential");
	if (source_count(&s->secondary) > 1)
		parser_error(p, s->head.line, label,
			     "set at most one of the secondary_connection_string* keys");
	check_credentials(p, s);
	int line = config_key_line(&s->head, "service", "sign_with");
	if (s->sign_with && strcmp(s->sign_with, "primary") != 0 &&
	    strcmp(s->sign_with, "secondary") != 0)
		parser_error(p, line, "sign_with",
			     "must be primary or secondary (value withheld: it may be a secret)");
	else if (s->sign_with && strcmp(s->sign_with, "secondary") == 0 &&
		 source_count(&s->secondary) == 0)
		parser_error(p, line, "sign_with",
			     "secondary: no secondary_connection_string* key is set");
}

/* Every template of a list compiles, into out (the policies' only compile): a typo in a role is an
 * error, not a role that grants nothing. */
static void check_templates(struct parser *p, const struct section_head *head, const char *kind,
			    const char *key, const struct strlist *list, enum template_kind tk,
			    struct template_list *out)
{
	char why[300];
	const char *over =
		tk == TEMPLATE_ROLE
			? roles_over_pattern_cap((const char *const *)list->items, list->n)
			: NULL;
	if (over)
		parser_error(p, config_key_line(head, kind, key), key,
			     "more than %d %sPATTERN roles: the service reads at most %d per token",
			     NGD_MAX_PATTERN_ROLES, over, NGD_MAX_PATTERN_ROLES);
	template_list_free(out);
	if (list->n && !(out->items = calloc(list->n, sizeof *out->items))) {
		parser_error(p, config_key_line(head, kind, key), key, "out of memory");
		return;
	}
	out->n = list->n;
	for (size_t i = 0; i < list->n; i++)
		if (template_compile(list->items[i], tk, &out->items[i], why, sizeof why) < 0)
			parser_error(p, config_key_line(head, kind, key), key, "'%.80s'%s%s",
				     list->items[i], strncmp(why, "is ", 3) == 0 ? " " : ": ", why);
}

static bool list_has(const struct strlist *list, const char *item)
{
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->items[i], item) == 0)
			return true;
	return false;
}

/* A default must be something a rule of this hub (or the hub itself) can grant, as written. */
static void check_defaults(struct parser *p, const struct config_hub *h, const char *key,
			   const struct strlist *defaults, bool roles)
{
	for (size_t i = 0; i < defaults->n; i++) {
		bool granted = list_has(roles ? &h->roles : &h->groups, defaults->items[i]);
		for (size_t r = 0; !granted && r < h->n_rules; r++)
			granted = list_has(roles ? &h->rules[r]->roles : &h->rules[r]->groups,
					   defaults->items[i]);
		if (!granted)
			parser_error(p, config_key_line(&h->head, "hub", key), key,
				     "'%.80s' is granted by neither this hub's %s nor a "
				     "[rule:NAME] for it",
				     defaults->items[i], roles ? "roles" : "groups");
	}
}

static void check_hub_names(struct parser *p, struct config_hub *h)
{
	enum client_protocol protocol;
	check_templates(p, &h->head, "hub", "roles", &h->roles, TEMPLATE_ROLE, &h->roles_c);
	check_templates(p, &h->head, "hub", "groups", &h->groups, TEMPLATE_GROUP, &h->groups_c);
	check_templates(p, &h->head, "hub", "default_roles", &h->default_roles, TEMPLATE_ROLE,
			&h->default_roles_c);
	check_templates(p, &h->head, "hub", "default_groups", &h->default_groups, TEMPLATE_GROUP,
			&h->default_groups_c);
	h->set_default_roles = config_key_line(&h->head, "hub", "default_roles") != h->head.line;
	h->set_default_groups = config_key_line(&h->head, "hub", "default_groups") != h->head.line;
	check_defaults(p, h, "default_roles", &h->default_roles, true);
	check_defaults(p, h, "default_groups", &h->default_groups, false);
	for (size_t i = 0; i < h->ignore_parameters.n; i++)
		if (!ask_parameter_name_ok(h->ignore_parameters.items[i]) ||
		    ask_parameter_known(h->ignore_parameters.items[i], false, NULL) ||
		    ask_parameter_known(h->ignore_parameters.items[i], true, NULL))
			parser_error(p, config_key_line(&h->head, "hub", "ignore_parameters"),
				     "ignore_parameters",
				     "'%.40s' is not a parameter name to ignore (1 to 40 of A-Z "
				     "a-z 0-9 _ . - [ ], and "
				     "not one negotiated reads)",
				     h->ignore_parameters.items[i]);
	for (size_t i = 0; i < h->client_protocols.n; i++)
		if (client_protocol_parse(h->client_protocols.items[i], &protocol) < 0)
			parser_error(p, config_key_line(&h->head, "hub", "client_protocols"),
				     "client_protocols",
				     "'%.40s' is not one of default, mqtt, socketio",
				     h->client_protocols.items[i]);
}

/* A user: condition on each of the rule's hubs: tied to one authenticator, or an error. */
static void check_user_binding(struct parser *p, int line, const struct config_rule *r,
			       const struct matcher *m)
{
	char why[300], prefix[130];
	const char *slash = m->kind == MATCH_USER ? strchr(m->name, '/') : NULL;
	size_t len = slash ? (size_t)(slash - m->name) : 0;
	snprintf(prefix, sizeof prefix, "%.*s", (int)(len < sizeof prefix ? len : 0), m->name);
	for (size_t h = 0; m->kind == MATCH_USER && h < r->hubs.n; h++) {
		const struct config_hub *hub = config_find_hub(p->cfg, r->hubs.items[h]);
		struct matcher bound;
		if (!hub || matcher_copy(m, &bound) < 0)
			continue;
		if (prefix[0] && config_find_auth(p->cfg, prefix) && !list_has(&hub->auth, prefix))
			parser_error(p, line, "match",
				     "'%.80s' can never hold on hub %s: [auth:%s] is not in its "
				     "auth list",
				     m->source, hub->head.name, prefix);
		else if (matcher_bind_user(&bound, hub->head.name, hub->auth.items, hub->auth.n,
					   why, sizeof why) < 0)
			parser_error(p, line, "match", "%s", why);
		matcher_clear(&bound);
	}
}

/* Every condition parses, into r->match_c (the policies' only parse), and can hold. */
static void check_match(struct parser *p, struct config_rule *r)
{
	char why[300];
	int line = config_key_line(&r->head, "rule", "match");
	if (r->match.n && !(r->match_c = calloc(r->match.n, sizeof *r->match_c))) {
		parser_error(p, line, "match", "out of memory");
		return;
	}
	for (size_t i = 0; i < r->match.n; i++) {
		const struct matcher *m = &r->match_c[i];
		if (matcher_parse(r->match.items[i], &r->match_c[i], why, sizeof why) < 0) {
			parser_error(p, line, "match", "%s", why);
			continue;
		}
		if (m->kind == MATCH_ANYONE && r->match.n > 1)
			parser_error(p, line, "match",
				     "'anyone' holds for every caller: it stands alone");
		if (m->kind == MATCH_AUTH && !config_find_auth(p->cfg, m->name))
			parser_error(p, line, "match", "'%.80s': no [auth:%.64s] section",
				     m->source, m->name);
		check_user_binding(p, line, r, m);
		for (size_t h = 0; m->kind == MATCH_AUTH && h < r->hubs.n; h++) {
			const struct config_hub *hub = config_find_hub(p->cfg, r->hubs.items[h]);
			if (hub && !list_has(&hub->auth, m->name))
				parser_error(p, line, "match",
					     "'%.80s' can never hold on hub %s: it is not in its "
					     "auth list",
					     m->source, hub->head.name);
		}
	}
}

static void check_rule(struct parser *p, struct config_rule *r)
{
	char label[96];
	if (r->hubs.n == 0)
		parser_error(p, r->head.line, section_label(&r->head, "rule", label, sizeof label),
			     "hub: required (the hubs this rule grants on)");
	for (size_t i = 0; i < r->hubs.n; i++)
		if (!config_find_hub(p->cfg, r->hubs.items[i]))
			parser_error(p, config_key_line(&r->head, "rule", "hub"), "hub",
				     "no [hub:%.128s] section", r->hubs.items[i]);
	if (r->match.n == 0)
		parser_error(p, r->head.line, section_label(&r->head, "rule", label, sizeof label),
			     "match: required (anyone, user:ID, attr:NAME=VALUE, auth:NAME; all "
			     "must hold)");
	if (r->roles.n + r->groups.n == 0)
		parser_error(p, r->head.line, section_label(&r->head, "rule", label, sizeof label),
			     "grants nothing: set roles or groups");
	check_match(p, r);
	check_templates(p, &r->head, "rule", "roles", &r->roles, TEMPLATE_ROLE, &r->roles_c);
	check_templates(p, &r->head, "rule", "groups", &r->groups, TEMPLATE_GROUP, &r->groups_c);
	for (size_t h = 0; r->max_token_lifetime && h < r->hubs.n; h++) {
		const struct config_hub *hub = config_find_hub(p->cfg, r->hubs.items[h]);
		if (hub && r->max_token_lifetime > hub->max_token_lifetime)
			log_warning("%s:%d: max_token_lifetime: %u minutes is above hub %s's cap "
				    "(%u), which wins",
				    p->cfg->path,
				    config_key_line(&r->head, "rule", "max_token_lifetime"),
				    r->max_token_lifetime, hub->head.name, hub->max_token_lifetime);
	}
}

/* Each origin is well formed, "*" stands alone, and "*" never meets credentials. */
static void check_cors(struct parser *p, const struct section_head *head, const char *kind,
		       const struct strlist *origins, int credentials,
		       const struct section_head *credentials_head)
{
	char why[256];
	int line = config_key_line(head, kind, "cors_origins");
	for (size_t i = 0; i < origins->n; i++)
		if (cors_origin_check(origins->items[i], why, sizeof why) < 0)
			return parser_error(p, line, "cors_origins", "%s", why);
		else if (strcmp(origins->items[i], "*") == 0 && origins->n > 1)
			return parser_error(p, line, "cors_origins",
					    "* allows every origin: list it alone");
	if (credentials == 1 && origins->n == 1 && strcmp(origins->items[0], "*") == 0)
		parser_error(p,
			     config_key_line(credentials_head,
					     credentials_head->name ? "hub" : "server",
					     "cors_credentials"),
			     "cors_credentials",
			     "yes cannot go with cors_origins = *: list the origins");
}

static void check_hub_cors(struct parser *p, const struct config_hub *h)
{
	const struct config_server *s = &p->cfg->server;
	bool own_origins = h->cors_origins.n > 0;
	int credentials = h->cors_credentials >= 0 ? h->cors_credentials : s->cors_credentials;
	check_cors(p, own_origins ? &h->head : &s->head, own_origins ? "hub" : "server",
		   own_origins ? &h->cors_origins : &s->cors_origins, credentials,
		   h->cors_credentials >= 0 ? &h->head : &s->head);
}

/* The connect gate verifies ce-signature with the service's access keys: a keyless service has
 * none here, and an unsigned gate would let anyone who reaches it probe the revocation list. */
static void check_hub_gate(struct parser *p, const struct config_hub *h)
{
	const struct config_service *s =
		h->service ? config_find_service(p->cfg, h->service) : NULL;
	if (h->connect_gate == 1 && s && s->keyless.endpoint)
		parser_error(
			p, config_key_line(&h->head, "hub", "connect_gate"), "connect_gate",
			"[service:%s] has no access key to verify the service's ce-signature "
			"with (a keyless resource): the connect gate needs a connection string",
			h->service);
}

/* Connection counts come from the gate's events; a limit or a lifetime that nothing reads would
 * look like protection that is not there. */
static void check_hub_connection_limit(struct parser *p, const struct config_hub *h)
{
	bool ttl_set = h->head.seen & (1u << key_index(KIND_HUB, "connection_count_ttl"));
	if (h->max_connections_per_user && h->connect_gate != 1)
		parser_error(p, config_key_line(&h->head, "hub", "max_connections_per_user"),
			     "max_connections_per_user",
			     "the connect gate counts connections: set connect_gate = yes in this "
			     "[hub:%s] (and connect, connected, disconnected in the hub's event "
			     "handler, docs/connect-gate.md)",
			     h->head.name);
	if (ttl_set && !h->max_connections_per_user)
		parser_error(p, config_key_line(&h->head, "hub", "connection_count_ttl"),
			     "connection_count_ttl",
			     "has no effect without max_connections_per_user in this [hub:%s]",
			     h->head.name);
}

static void check_hub(struct parser *p, struct config_hub *h)
{
	const struct config *cfg = p->cfg;
	char label[160];
	if (!h->service && cfg->n_services == 1)
		h->service = strdup(cfg->services[0]->head.name);
	if (!h->service)
		parser_error(p, h->head.line, section_label(&h->head, "hub", label, sizeof label),
			     "service: required (%s)",
			     cfg->n_services ? "several [service:NAME] sections exist"
					     : "no [service:NAME] section");
	else if (!config_find_service(cfg, h->service))
		parser_error(p, config_key_line(&h->head, "hub", "service"), "service",
			     "no [service:%s] section", h->service);
	if (h->auth.n == 0)
		parser_error(p, h->head.line, section_label(&h->head, "hub", label, sizeof label),
			     "auth: required (the [auth:NAME] sections that admit callers)");
	for (size_t i = 0; i < h->auth.n; i++)
		if (!config_find_auth(cfg, h->auth.items[i]))
			parser_error(p, config_key_line(&h->head, "hub", "auth"), "auth",
				     "no [auth:%.64s] section", h->auth.items[i]);
	if (h->token_lifetime > h->max_token_lifetime)
		parser_error(p, config_key_line(&h->head, "hub", "token_lifetime"),
			     "token_lifetime", "%u minutes is above max_token_lifetime (%u)",
			     h->token_lifetime, h->max_token_lifetime);
	check_hub_names(p, h);
	check_hub_cors(p, h);
	check_hub_gate(p, h);
	check_hub_connection_limit(p, h);
}

/* The admin keys that only make sense together, and admin_listen's address. */
static void check_admin(struct parser *p, const struct config_server *s)
{
	struct listen_addr addr;
	char why[256];
	if (s->admin_group && !s->admin_socket)
		parser_error(p, config_key_line(&s->head, "server", "admin_group"), "admin_group",
			     "needs admin_socket (it says who may use that socket)");
	if (s->admin_listen && !s->admin_token_file)
		parser_error(p, config_key_line(&s->head, "server", "admin_listen"), "admin_listen",
			     "needs admin_token_file (the admin API's own bearer token)");
	if (s->admin_token_file && !s->admin_listen)
		parser_error(p, config_key_line(&s->head, "server", "admin_token_file"),
			     "admin_token_file", "is read only with admin_listen");
	if (s->admin_listen && listen_parse(s->admin_listen, &addr, why, sizeof why) < 0)
		parser_error(p, config_key_line(&s->head, "server", "admin_listen"), "admin_listen",
			     "%s", why);
}

static void check_server(struct parser *p)
{
	struct listen_addr addr;
	struct trusted_proxies proxies = {0};
	char why[256];
	const struct config_server *s = &p->cfg->server;
	if (s->listen && listen_parse(s->listen, &addr, why, sizeof why) < 0)
		parser_error(p, config_key_line(&s->head, "server", "listen"), "listen", "%s", why);
	for (size_t i = 0; i < s->trusted_proxies.n; i++)
		if (trusted_proxies_add(&proxies, s->trusted_proxies.items[i], why, sizeof why) < 0)
			parser_error(p, config_key_line(&s->head, "server", "trusted_proxies"),
				     "trusted_proxies", "%s", why);
	struct allowed_hosts hosts = {0};
	for (size_t i = 0; i < s->allowed_hosts.n; i++)
		if (allowed_hosts_add(&hosts, s->allowed_hosts.items[i], why, sizeof why) < 0)
			parser_error(p, config_key_line(&s->head, "server", "allowed_hosts"),
				     "allowed_hosts", "%s", why);
	struct trusted_proxies allow = {0};
	for (size_t i = 0; i < s->metrics_allow.n; i++)
		if (trusted_proxies_add(&allow, s->metrics_allow.items[i], why, sizeof why) < 0)
			parser_error(p, config_key_line(&s->head, "server", "metrics_allow"),
				     "metrics_allow", "%s", why);
	check_cors(p, &s->head, "server", &s->cors_origins, s->cors_credentials, &s->head);
	check_admin(p, s);
	const char *eh = s->event_handler_path;
	size_t eh_len = eh ? strlen(eh) : 0;
	if (eh && (eh_len < 2 || eh_len > 200 || eh[0] != '/' || eh[eh_len - 1] != '/' ||
		   strcspn(eh, "?#%% \t") != eh_len || strcmp(eh, "/negotiate/") == 0))
		parser_error(p, config_key_line(&s->head, "server", "event_handler_path"),
			     "event_handler_path",
			     "'%.60s' is not a path prefix: write /SOMETHING/ (2 to 200 bytes, a "
			     "slash at each end, no ?, #, %% or space); the hub name follows it",
			     eh);
}

static void store_error(struct parser *p, const char *key, const char *why)
{
	parser_error(p, config_key_line(&p->cfg->store.head, "store", key), key, "%s", why);
}

/* The first Entra companion key set in [store], or NULL. */
static const char *store_entra_keys(const struct config_store *s)
{
	const struct config_keyless *k = &s->entra;
	const char *set[][2] = {{k->tenant_id, "tenant_id"},
				{k->client_id, "client_id"},
				{k->authority_host, "authority_host"},
				{k->client_secret_file, "client_secret_file"},
				{k->client_secret_credential, "client_secret_credential"},
				{k->client_certificate_file, "client_certificate_file"},
				{k->client_certificate_credential, "client_certificate_credential"},
				{k->federated_token_file, "federated_token_file"},
				{k->identity_endpoint, "identity_endpoint"}};
	for (size_t i = 0; i < sizeof set / sizeof set[0]; i++)
		if (set[i][0])
			return set[i][1];
	return NULL;
}

/* Entra ID for the store: the token is the password (none besides it), the principal's object id
 * the user, and the token travels only over TLS. URL is NULL when it did not parse. */
static void check_store_entra(struct parser *p, const struct config_store *s,
			      const struct store_url *url)
{
	const char *password_key = "password_env";
	if (s->password_file)
		password_key = "password_file";
	else if (s->password_credential)
		password_key = "password_credential";
	if (s->password_file || s->password_credential || s->password_env)
		parser_error(p, config_key_line(&s->head, "store", "credential"), "credential",
			     "credential and %s exclude each other: the Microsoft Entra ID token "
			     "is the password",
			     password_key);
	if (!s->user)
		store_error(p, "credential",
			    "needs user = the object id of the Microsoft Entra ID principal (Azure "
			    "Cache for Redis names the Redis user after it)");
	if (url && url->transport != STORE_TLS)
		store_error(p, "url",
			    "credential needs a rediss:// url: a Microsoft Entra ID token is sent "
			    "only over TLS");
	check_entra(p, &s->head, "store", &s->entra);
	check_entra_names(p, &s->head, "store", &s->entra);
}

/* redis-sentinel://: the sentinels' login, which only a sentinel url uses. */
static void check_store_sentinel(struct parser *p, const struct store_url *url)
{
	const struct config_store *s = &p->cfg->store;
	int sources = !!s->sentinel_password_file + !!s->sentinel_password_credential +
		      !!s->sentinel_password_env;
	const char *set[] = {s->sentinel_user, s->sentinel_password_file,
			     s->sentinel_password_credential, s->sentinel_password_env};
	const char *names[] = {"sentinel_user", "sentinel_password_file",
			       "sentinel_password_credential", "sentinel_password_env"};
	size_t first = 0;
	while (first < 3 && !set[first])
		first++;
	if (!url->n_sentinels && set[first])
		store_error(p, names[first],
			    "only a redis-sentinel:// or rediss-sentinel:// url asks sentinels "
			    "and so logs in to them");
	else if (sources > 1)
		store_error(p, "sentinel_password_file",
			    "set at most one of sentinel_password_file, "
			    "sentinel_password_credential, sentinel_password_env");
	else if (s->sentinel_user && !sources)
		store_error(p, "sentinel_user",
			    "a sentinel ACL user needs its password (sentinel_password_file, "
			    "sentinel_password_credential or sentinel_password_env)");
}

/* [store]: a url that parses, at most one password source, a prefix fit for a key name. */
static void check_store(struct parser *p)
{
	const struct config_store *s = &p->cfg->store;
	struct store_url url;
	char why[256];
	bool url_ok = false;
	if (!s->head.line)
		return;
	if (!s->url)
		store_error(p, "url",
			    "[store] needs url = redis://HOST:PORT/DB, rediss://... or "
			    "unix:PATH");
	else if (store_url_parse(s->url, &url, why, sizeof why) < 0)
		store_error(p, "url", why);
	else
		url_ok = true;
	if (url_ok && s->ca_file && url.transport != STORE_TLS)
		store_error(p, "ca_file", "only a rediss:// url uses TLS and so a ca_file");
	else
		check_store_sentinel(p, &url);
	if (!!s->password_file + !!s->password_credential + !!s->password_env > 1)
		store_error(p, "password_file",
			    "set at most one of password_file, password_credential, password_env");
	if (s->entra.credential)
		check_store_entra(p, s, url_ok ? &url : NULL);
	else if (s->user && !s->password_file && !s->password_credential && !s->password_env)
		store_error(p, "user",
			    "an ACL user needs its password (password_file, "
			    "password_credential or password_env)");
	else if (store_entra_keys(s))
		store_error(p, store_entra_keys(s), "a Microsoft Entra ID key needs credential");
	size_t len = s->prefix ? strlen(s->prefix) : 0;
	if (s->prefix &&
	    (len > 64 || strspn(s->prefix, "abcdefghijklmnopqrstuvwxyz"
					   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len))
		store_error(p, "prefix", "1 to 64 of A-Z a-z 0-9 _ . -");
}

/* Gives each hub the rules that name it, in file order, so nothing scans every rule per hub. */
static int link_rules(struct config *cfg)
{
	for (size_t r = 0; r < cfg->n_rules; r++)
		for (size_t i = 0; i < cfg->rules[r]->hubs.n; i++) {
			struct config_hub *h = (struct config_hub *)config_find_hub(
				cfg, cfg->rules[r]->hubs.items[i]);
			size_t n = h ? h->n_rules : 0;
			if (!h || (n && h->rules[n - 1] == cfg->rules[r]))
				continue; /* unknown hubs are check_rule()'s; a hub named twice gets
					     the rule once */
			const struct config_rule **grown = h->rules;
			if ((n & (n - 1)) == 0 &&
			    !(grown = realloc(grown, (n ? 2 * n : 1) * sizeof *grown)))
				return -1;
			h->rules = grown;
			h->rules[h->n_rules++] = cfg->rules[r];
		}
	return 0;
}

void parser_check(struct parser *p)
{
	struct config *cfg = p->cfg;
	size_t used = strnlen(p->err, sizeof p->err);
	if (link_rules(cfg) < 0)
		return (void)snprintf(p->err + used, sizeof p->err - used, "%s%s: out of memory",
				      used ? "\n" : "", cfg->path);
	check_server(p);
	check_store(p);
	for (size_t i = 0; i < cfg->n_services; i++)
		check_service(p, cfg->services[i]);
	for (size_t i = 0; i < cfg->n_hubs; i++)
		check_hub(p, cfg->hubs[i]);
	for (size_t i = 0; i < cfg->n_rules; i++)
		check_rule(p, cfg->rules[i]);
	if (!p->err[0] && cfg->n_hubs == 0)
		snprintf(p->err, sizeof p->err,
			 "%s: no [hub:NAME] section: there would be nothing to serve", cfg->path);
}
