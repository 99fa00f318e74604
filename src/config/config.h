/* SPDX-License-Identifier: Apache-2.0 */
/* The configuration file: parsed by inih into plain structs, checked before anything runs. */
#ifndef NGD_CONFIG_H
#define NGD_CONFIG_H

#include "core/log.h"
#include "edge/ratelimit.h"
#include "policy/matcher.h"
#include "policy/template.h"
#include "store/store.h"
#include "token/token.h"

#include <negotiated/authenticator.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_MAX_KEYS 32 /* per section kind; one bit each in section_head.seen */

struct strlist {
	char **items;
	size_t n;
};

/* A list's templates as config_load's check compiled them (the only parse); owned by the config,
 * borrowed by the policies built from it. Empty when the list is. */
struct template_list {
	struct template *items;
	size_t n;
};

struct section_head {
	char *name; /* the part after "kind:"; NULL for [server] */
	int line;
	uint32_t seen; /* bit i: key i of this section kind has been set */
	int key_line[CONFIG_MAX_KEYS];
};

struct config_server {
	struct section_head head;
	char *listen;
	unsigned threads;
	unsigned max_url_bytes;
	unsigned max_header_bytes;
	unsigned max_body_bytes;
	unsigned connection_timeout;
	unsigned max_connections;	      /* open at once; more wait in the listen backlog */
	unsigned max_connections_per_address; /* 0: no limit (behind a proxy every peer is the
						 proxy) */
	unsigned header_timeout;	      /* seconds a client may take to send a request head */
	enum log_level log_level;
	struct strlist trusted_proxies; /* "unix", ADDRESS or ADDRESS/PREFIX */
	unsigned auth_failure_delay;	/* ms before a failed attempt is answered; 0: at once */
	unsigned auth_workers;		/* threads for chains that may block */
	unsigned auth_queue;		/* requests waiting for those threads before 503 */
	struct strlist metrics_allow;	/* who may GET /metrics, as trusted_proxies */
	char *access_log;		/* PATH or "stderr"; NULL: none */
	struct strlist cors_origins;	/* exact origins or "*" */
	int cors_credentials;		/* 0 or 1 */
	int dev_page;			/* 0 or 1: serve the developer page at GET / */
	struct strlist allowed_hosts;	/* Host values admitted; empty: the per-listener default */
	char *state_directory;	/* the revocation list's file lives here; NULL: memory only */
	char *admin_socket;	/* unix socket of `negotiated revoke`; NULL: none */
	char *admin_group;	/* a group whose members may use admin_socket (root always may) */
	char *admin_listen;	/* the admin HTTP API's HOST:PORT; NULL: off */
	char *admin_token_file; /* that API's bearer token */

	/* The connect gate's path prefix; NULL: "/api/webpubsub/hubs/". */
	char *event_handler_path;
};

/* Where one access key's connection string comes from: exactly one of these is set. */
struct connstr_source {
	char *inline_text; /* secret */
	char *file;
	char *env;
	char *credential; /* a file name in $CREDENTIALS_DIRECTORY (systemd LoadCredential=) */
};

/* A resource without access keys: tokens from its generateToken API with an Entra ID credential. */
struct config_keyless {
	char *endpoint; /* https://NAME.webpubsub.azure.com: its presence makes the service keyless
			 */
	char *credential; /* managed_identity, workload_identity, client_secret, client_certificate
			   */
	char *tenant_id, *client_id, *authority_host;
	char *client_secret_file, *client_secret_credential;
	char *client_certificate_file, *client_certificate_credential;
	char *federated_token_file;
	char *identity_endpoint; /* managed identity: overrides IDENTITY_ENDPOINT and the metadata
				    address */
	char *tls_ca_file;
	unsigned rest_timeout;	   /* ms, each REST and Entra call */
	unsigned rest_concurrency; /* generateToken calls in flight */
	unsigned rest_queue;	   /* callers waiting on an identical call in flight */
	unsigned token_cache;	   /* issued tokens reused for identical asks; 0: off */
};

struct config_service {
	struct section_head head;
	struct config_keyless keyless;
	struct connstr_source primary;
	struct connstr_source secondary; /* the resource's other key, for rotation; may be empty */
	char *sign_with;		 /* "primary" (default) or "secondary" */
};

struct config_hub {
	struct section_head head;
	char *service;
	enum client_protocol client_protocol;
	unsigned token_lifetime;     /* minutes */
	unsigned max_token_lifetime; /* minutes */
	struct strlist auth;
	struct strlist roles;	       /* templates (policy.h): the hub's grant to every caller */
	struct strlist groups;	       /* templates */
	struct strlist default_roles;  /* templates: what a client that asks for nothing gets */
	struct strlist default_groups; /* templates */
	bool set_default_roles, set_default_groups; /* absent: everything allowed is the default */
	unsigned on_excess;	  /* enum excess_mode: a client asking beyond its grant */
	unsigned lifetime_excess; /* enum excess_mode: a client asking beyond the lifetime cap */
	struct strlist
		client_protocols; /* protocols a client may ask for besides client_protocol */
	struct strlist ignore_parameters;  /* query names and body members let through unread */
	struct strlist cors_origins;	   /* empty: the [server]'s */
	int cors_credentials;		   /* -1: the [server]'s */
	struct rate_spec rate_per_user;	   /* per authenticated principal */
	struct rate_spec rate_per_address; /* per client address, before authentication */
	const struct config_rule **rules;  /* the [rule:NAME]s naming this hub, in file order */
	size_t n_rules;

	/* 0 or 1 each: answer the service's connect event; every revocation closes the user's
	 * connections; ... and removes the user from all groups. */
	int connect_gate, close_on_revoke, remove_from_groups_on_revoke;
	unsigned max_connections_per_user; /* 0: no limit; else the gate counts live connections */
	unsigned connection_count_ttl;	   /* minutes a connection counts without its disconnect */
	/* roles, groups, default_roles, default_groups compiled by the check */
	struct template_list roles_c, groups_c, default_roles_c, default_groups_c;
};

/* A [rule:NAME] section: who (match) gets what (roles, groups) on which hubs. */
struct config_rule {
	struct section_head head;
	struct strlist hubs;	     /* `hub =`: hub names */
	struct strlist match;	     /* conditions that must all hold */
	struct strlist roles;	     /* templates */
	struct strlist groups;	     /* templates */
	unsigned max_token_lifetime; /* minutes; 0: only the hub's cap */
	/* roles and groups compiled by the check; match.n conditions it parsed (bound to no hub) */
	struct template_list roles_c, groups_c;
	struct matcher *match_c;
};

struct auth_entry {
	char *key;
	char *value;
	int line;
	bool used;
};

#define AUTH_MAX_ASKED 48

/* An [auth:NAME] section: its keys are read by the authenticator it creates. */
struct ngd_section {
	struct section_head head;
	const char *file;
	struct auth_entry *entries;
	size_t n_entries;
	char *error;			/* the first error reported through ngd_section_error() */
	char asked[AUTH_MAX_ASKED][32]; /* keys the authenticator asked for, for "did you mean" */
	unsigned n_asked;
};

/* The [server] keys only a restart applies (the key table's restart flag) whose value differs
 * between RUNNING and WANTED: FN(ARG, key, running, wanted) for each, the values as text, in the
 * table's order. */
void config_server_restart_changes(
	const struct config_server *running, const struct config_server *wanted,
	void (*fn)(void *arg, const char *key, const char *running, const char *wanted), void *arg);

/* config/section.c, beside the ngd_section_* calls: after create(), a key the authenticator never
 * asked for is an error naming TYPE (0, or -1 with sec->error set); a typo of a key it asked for
 * is added to ERR as a line of its own. */
int section_check_unused(struct ngd_section *sec, const char *type);
void section_add_typo_hints(const struct ngd_section *sec, char *err, size_t err_len);

/* [store]: the Redis server a fleet shares (docs/several-instances.md); absent when head.line is 0.
 */
struct config_store {
	struct section_head head;
	char *url; /* redis://, rediss://, unix: or redis-sentinel:// (store/store_url.h) */
	char *user;
	char *password_file, *password_credential, *password_env; /* at most one */
	/* Azure Cache for Redis with Microsoft Entra ID: credential and its companion keys, as a
	 * keyless [service] has them (the rest of the struct unused); user is the object id. */
	struct config_keyless entra;
	char *sentinel_user; /* redis-sentinel://: the sentinels' own login */
	char *sentinel_password_file, *sentinel_password_credential,
		*sentinel_password_env; /* at most one */
	char *ca_file;
	char *prefix;		 /* key namespace; "default" when unset */
	unsigned timeout_ms;	 /* connect and each round trip */
	unsigned workers, queue; /* the store's pool */
	unsigned rate_on_failure, keyless_on_failure, revocations_on_failure,
		connections_on_failure; /* enum store_on_failure */
};

struct config {
	char *path; /* as given, for messages */
	struct config_server server;
	struct config_store store;
	struct config_service **services;
	size_t n_services;
	struct config_hub **hubs;
	size_t n_hubs;
	struct ngd_section **auths;
	size_t n_auths;
	struct config_rule **rules; /* in file order, which is evaluation order */
	size_t n_rules;
	struct config_index_slot *index; /* every named section by kind and name (config/index.c) */
	size_t index_mask, n_indexed;
};

struct config_index_slot {
	struct section_head *head; /* NULL: empty */
	unsigned kind;		   /* enum section_kind (config/parser.h) */
	size_t pos;		   /* its place in its kind's array above */
};

/* Room for every error a load or a runtime build reports, one a line (PARSER_MAX_ERRORS of them).
 */
#define PARSER_ERRORS_TEXT 4608

/* Parses and checks a file (or, for config_load_string, text named `name` in messages).
 * Returns the config (free with config_free), or NULL with every error, one a line
 * ("FILE:LINE: KEY: reason"), in err. */
struct config *config_load_file(const char *path, char *err, size_t err_len)
	__attribute__((warn_unused_result));
struct config *config_load_string(const char *name, const char *text, char *err, size_t err_len)
	__attribute__((warn_unused_result));
void config_free(struct config *cfg);
void template_list_free(struct template_list *l); /* clears every template; l is then empty */

/* Each a hash lookup. */
const struct config_hub *config_find_hub(const struct config *cfg, const char *name);
const struct config_service *config_find_service(const struct config *cfg, const char *name);
struct ngd_section *config_find_auth(const struct config *cfg, const char *name);
const struct config_rule *config_find_rule(const struct config *cfg, const char *name);
/* The place of the hub, service or [auth:NAME] section NAME in cfg->hubs, services or auths; -1:
 * none. */
long config_hub_pos(const struct config *cfg, const char *name);
long config_service_pos(const struct config *cfg, const char *name);
long config_auth_pos(const struct config *cfg, const char *name);
/* Prints "SECTION KEY" per line for every key the parser knows (for --list-config-keys). */
void config_list_keys(FILE *out);
/* The line a key was set on, or the section's line when it was not set. */
int config_key_line(const struct section_head *head, const char *kind, const char *key);

#endif
