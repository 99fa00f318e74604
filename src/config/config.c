/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration: loading a file (reader.c, keys.c, check.c do the work), freeing it, finding its
 * sections. */
#include "config/config.h"

#include "config/parser.h"
#include "core/file.h"
#include "core/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONFIG_BYTES (1 << 20)

static void server_defaults(struct config_server *s)
{
	s->threads = 2;
	s->max_url_bytes = 4096;
	s->max_header_bytes = 8192;
	s->max_body_bytes = 16384;
	s->connection_timeout = 30;
	s->max_connections = 1000;
	s->header_timeout = 10;
	s->log_level = LOG_LEVEL_INFO;
	s->auth_failure_delay = 200;
	s->auth_workers = 8;
	s->auth_queue = 0; /* a blocking authenticator's next request gets 503 at once */
}

struct config *config_load_string(const char *name, const char *text, char *err, size_t err_len)
{
	struct config *cfg = calloc(1, sizeof *cfg);
	struct parser p = {.cfg = cfg, .source = text};
	if (!cfg || !(cfg->path = strdup(name))) {
		free(cfg);
		snprintf(err, err_len, "%s: out of memory", name);
		return NULL;
	}
	server_defaults(&cfg->server);
	cfg->store = (struct config_store){.timeout_ms = 250,
					   .workers = 4,
					   .queue = 64,
					   .rate_on_failure = STORE_FAIL_OPEN,
					   .keyless_on_failure = STORE_FAIL_OPEN,
					   .revocations_on_failure = STORE_FAIL_CLOSED,
					   .connections_on_failure = STORE_FAIL_OPEN};
	parser_read(&p);
	if (!p.stop)
		parser_check(&p); /* after errors too: every error of the file in one run */
	if (p.err[0]) {
		snprintf(err, err_len, "%s", p.err);
		config_free(cfg);
		return NULL;
	}
	bool oom = !cfg->server.listen && !(cfg->server.listen = strdup("127.0.0.1:8080"));
	/* by default only unix-socket peers may forward: the socket's mode says who they are */
	if (!(cfg->server.head.seen & (1u << key_index(KIND_SERVER, "trusted_proxies"))))
		oom |= strlist_append(&cfg->server.trusted_proxies, "unix", 1) < 0;
	/* /metrics is for this machine unless listed otherwise */
	if (!(cfg->server.head.seen & (1u << key_index(KIND_SERVER, "metrics_allow"))))
		oom |= strlist_append(&cfg->server.metrics_allow, "127.0.0.1 ::1 unix", 3) < 0;
	if (oom) {
		config_free(cfg);
		snprintf(err, err_len, "%s: out of memory", name);
		return NULL;
	}
	return cfg;
}

struct config *config_load_file(const char *path, char *err, size_t err_len)
{
	size_t len;
	char *text = file_read(path, MAX_CONFIG_BYTES, &len, err, err_len);
	if (!text)
		return NULL;
	struct config *cfg = config_load_string(path, text, err, err_len);
	explicit_bzero(text, len); /* it may hold an inline connection string */
	free(text);
	return cfg;
}

void template_list_free(struct template_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		template_clear(&l->items[i]);
	free(l->items);
	*l = (struct template_list){0};
}

static void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
}

static void source_free(struct connstr_source *src)
{
	secret_free(src->inline_text);
	free(src->file);
	free(src->env);
	free(src->credential);
}

static void keyless_free(struct config_keyless *k)
{
	char *fields[] = {k->endpoint,
			  k->credential,
			  k->tenant_id,
			  k->client_id,
			  k->authority_host,
			  k->client_secret_file,
			  k->client_secret_credential,
			  k->client_certificate_file,
			  k->client_certificate_credential,
			  k->federated_token_file,
			  k->identity_endpoint,
			  k->tls_ca_file};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		free(fields[i]);
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->server.listen);
	strlist_free(&cfg->server.trusted_proxies);
	strlist_free(&cfg->server.metrics_allow);
	strlist_free(&cfg->server.allowed_hosts);
	strlist_free(&cfg->server.cors_origins);
	free(cfg->server.access_log);
	char *store_fields[] = {cfg->store.url,
				cfg->store.user,
				cfg->store.password_file,
				cfg->store.password_credential,
				cfg->store.password_env,
				cfg->store.ca_file,
				cfg->store.prefix,
				cfg->store.sentinel_user,
				cfg->store.sentinel_password_file,
				cfg->store.sentinel_password_credential,
				cfg->store.sentinel_password_env};
	for (size_t i = 0; i < sizeof store_fields / sizeof store_fields[0]; i++)
		free(store_fields[i]);
	keyless_free(&cfg->store.entra);
	free(cfg->server.state_directory);
	free(cfg->server.admin_socket);
	free(cfg->server.admin_group);
	free(cfg->server.admin_listen);
	free(cfg->server.admin_token_file);
	free(cfg->server.event_handler_path);
	for (size_t i = 0; i < cfg->n_services; i++) {
		struct config_service *s = cfg->services[i];
		source_free(&s->primary);
		source_free(&s->secondary);
		free(s->sign_with);
		keyless_free(&s->keyless);
		free(s->head.name);
		free(s);
	}
	for (size_t i = 0; i < cfg->n_hubs; i++) {
		struct config_hub *h = cfg->hubs[i];
		free(h->service);
		strlist_free(&h->auth);
		strlist_free(&h->roles);
		strlist_free(&h->groups);
		strlist_free(&h->default_roles);
		strlist_free(&h->default_groups);
		strlist_free(&h->client_protocols);
		strlist_free(&h->ignore_parameters);
		strlist_free(&h->cors_origins);
		template_list_free(&h->roles_c);
		template_list_free(&h->groups_c);
		template_list_free(&h->default_roles_c);
		template_list_free(&h->default_groups_c);
		free(h->rules);
		free(h->head.name);
		free(h);
	}
	for (size_t i = 0; i < cfg->n_rules; i++) {
		struct config_rule *r = cfg->rules[i];
		for (size_t m = 0; r->match_c && m < r->match.n; m++)
			matcher_clear(&r->match_c[m]);
		free(r->match_c);
		template_list_free(&r->roles_c);
		template_list_free(&r->groups_c);
		strlist_free(&r->hubs);
		strlist_free(&r->match);
		strlist_free(&r->roles);
		strlist_free(&r->groups);
		free(r->head.name);
		free(r);
	}
	free(cfg->rules);
	for (size_t i = 0; i < cfg->n_auths; i++) {
		struct ngd_section *a = cfg->auths[i];
		for (size_t k = 0; k < a->n_entries; k++) {
			free(a->entries[k].key);
			secret_free(
				a->entries[k].value); /* an authenticator may keep a secret here */
		}
		free(a->entries);
		free(a->error);
		free(a->head.name);
		free(a);
	}
	free(cfg->services);
	free(cfg->hubs);
	free(cfg->auths);
	free(cfg->index);
	free(cfg->path);
	free(cfg);
}

static struct section_head *find(const struct config *cfg, enum section_kind kind, const char *name)
{
	const struct config_index_slot *slot = config_index_find(cfg, kind, name);
	return slot ? slot->head : NULL;
}

static long pos_of(const struct config *cfg, enum section_kind kind, const char *name)
{
	const struct config_index_slot *slot = config_index_find(cfg, kind, name);
	return slot ? (long)slot->pos : -1;
}

const struct config_hub *config_find_hub(const struct config *cfg, const char *name)
{
	return (const struct config_hub *)find(cfg, KIND_HUB, name);
}

const struct config_service *config_find_service(const struct config *cfg, const char *name)
{
	return (const struct config_service *)find(cfg, KIND_SERVICE, name);
}

struct ngd_section *config_find_auth(const struct config *cfg, const char *name)
{
	return (struct ngd_section *)find(cfg, KIND_AUTH, name);
}

const struct config_rule *config_find_rule(const struct config *cfg, const char *name)
{
	return (const struct config_rule *)find(cfg, KIND_RULE, name);
}

long config_hub_pos(const struct config *cfg, const char *name)
{
	return pos_of(cfg, KIND_HUB, name);
}

long config_service_pos(const struct config *cfg, const char *name)
{
	return pos_of(cfg, KIND_SERVICE, name);
}

long config_auth_pos(const struct config *cfg, const char *name)
{
	return pos_of(cfg, KIND_AUTH, name);
}
