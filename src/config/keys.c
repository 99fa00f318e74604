/* SPDX-License-Identifier: Apache-2.0 */
/* The one table of configuration keys (name, type, field, bounds) and how a value is stored. */
#include "config/parser.h"

#include "core/caps.h"
#include "core/decimal.h"
#include "core/names.h"
#include "edge/allowed_hosts.h"
#include "edge/trusted_proxies.h"
#include "policy/policy.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* KEY_CHOICE words, stored as enum excess_mode (and enum store_on_failure). */
static const struct {
	const char *words[2];
	unsigned values[2];
} choices[] = {{{"refuse", "drop"}, {EXCESS_REFUSE, EXCESS_DROP}},
	       {{"cap", "refuse"}, {EXCESS_CAP, EXCESS_REFUSE}},
	       {{"open", "closed"}, {STORE_FAIL_OPEN, STORE_FAIL_CLOSED}}};

#define SERVER(f) offsetof(struct config_server, f)
#define SERVICE(f) offsetof(struct config_service, f)
#define HUB(f) offsetof(struct config_hub, f)
#define RULE(f) offsetof(struct config_rule, f)
#define STORE(f) offsetof(struct config_store, f)
static const struct key_spec keys[] = {
	{KIND_SERVER, "listen", KEY_STRING, SERVER(listen), 0, 0, true},
	{KIND_SERVER, "threads", KEY_UINT, SERVER(threads), 1, 64, true},
	{KIND_SERVER, "max_url_bytes", KEY_UINT, SERVER(max_url_bytes), 256, 65536, true},
	{KIND_SERVER, "max_header_bytes", KEY_UINT, SERVER(max_header_bytes), 1024, 65536, true},
	{KIND_SERVER, "max_body_bytes", KEY_UINT, SERVER(max_body_bytes), 0, 1 << 20, true},
	{KIND_SERVER, "connection_timeout", KEY_UINT, SERVER(connection_timeout), 1, 3600, true},
	{KIND_SERVER, "log_level", KEY_LOG_LEVEL, SERVER(log_level), 0, 0, false},
	{KIND_SERVER, "trusted_proxies", KEY_LIST, SERVER(trusted_proxies), 0,
	 NGD_MAX_TRUSTED_PROXIES + 1, false},
	{KIND_SERVER, "auth_failure_delay", KEY_UINT, SERVER(auth_failure_delay), 0, 10000, true},
	{KIND_SERVER, "auth_workers", KEY_UINT, SERVER(auth_workers), 1, 256, false},
	{KIND_SERVER, "auth_queue", KEY_UINT, SERVER(auth_queue), 0, 1024, false},
	{KIND_SERVER, "metrics_allow", KEY_LIST, SERVER(metrics_allow), 0,
	 NGD_MAX_TRUSTED_PROXIES + 1, false},
	{KIND_SERVER, "access_log", KEY_STRING, SERVER(access_log), 0, 0, false},
	{KIND_SERVER, "cors_origins", KEY_LIST, SERVER(cors_origins), 0, NGD_MAX_CORS_ORIGINS,
	 false},
	{KIND_SERVER, "cors_credentials", KEY_BOOL, SERVER(cors_credentials), 0, 0, false},
	{KIND_SERVER, "max_connections", KEY_UINT, SERVER(max_connections), 1, 100000, true},
	{KIND_SERVER, "max_connections_per_address", KEY_UINT, SERVER(max_connections_per_address),
	 0, 100000, true},
	{KIND_SERVER, "header_timeout", KEY_UINT, SERVER(header_timeout), 1, 3600, true},
	{KIND_SERVER, "dev_page", KEY_BOOL, SERVER(dev_page), 0, 0, false},
	{KIND_SERVER, "allowed_hosts", KEY_LIST, SERVER(allowed_hosts), 0,
	 NGD_MAX_ALLOWED_HOSTS + 1, false},
	{KIND_SERVER, "state_directory", KEY_STRING, SERVER(state_directory), 0, 0, true},
	{KIND_SERVER, "admin_socket", KEY_STRING, SERVER(admin_socket), 0, 0, true},
	{KIND_SERVER, "admin_group", KEY_STRING, SERVER(admin_group), 0, 0, true},
	{KIND_SERVER, "admin_listen", KEY_STRING, SERVER(admin_listen), 0, 0, true},
	{KIND_SERVER, "admin_token_file", KEY_STRING, SERVER(admin_token_file), 0, 0, true},
	{KIND_SERVICE, "connection_string", KEY_SECRET, SERVICE(primary.inline_text), 0, 0, false},
	{KIND_SERVICE, "connection_string_file", KEY_STRING, SERVICE(primary.file), 0, 0, false},
	{KIND_SERVICE, "connection_string_env", KEY_STRING, SERVICE(primary.env), 0, 0, false},
	{KIND_SERVICE, "connection_string_credential", KEY_STRING, SERVICE(primary.credential), 0,
	 0, false},
	{KIND_SERVICE, "secondary_connection_string", KEY_SECRET, SERVICE(secondary.inline_text), 0,
	 0, false},
	{KIND_SERVICE, "secondary_connection_string_file", KEY_STRING, SERVICE(secondary.file), 0,
	 0, false},
	{KIND_SERVICE, "secondary_connection_string_env", KEY_STRING, SERVICE(secondary.env), 0, 0,
	 false},
	{KIND_SERVICE, "secondary_connection_string_credential", KEY_STRING,
	 SERVICE(secondary.credential), 0, 0, false},
	{KIND_SERVICE, "sign_with", KEY_STRING, SERVICE(sign_with), 0, 0, false},
	{KIND_SERVICE, "endpoint", KEY_STRING, SERVICE(keyless.endpoint), 0, 0, false},
	{KIND_SERVICE, "credential", KEY_STRING, SERVICE(keyless.credential), 0, 0, false},
	{KIND_SERVICE, "tenant_id", KEY_STRING, SERVICE(keyless.tenant_id), 0, 0, false},
	{KIND_SERVICE, "client_id", KEY_STRING, SERVICE(keyless.client_id), 0, 0, false},
	{KIND_SERVICE, "authority_host", KEY_STRING, SERVICE(keyless.authority_host), 0, 0, false},
	{KIND_SERVICE, "client_secret_file", KEY_STRING, SERVICE(keyless.client_secret_file), 0, 0,
	 false},
	{KIND_SERVICE, "client_secret_credential", KEY_STRING,
	 SERVICE(keyless.client_secret_credential), 0, 0, false},
	{KIND_SERVICE, "client_certificate_file", KEY_STRING,
	 SERVICE(keyless.client_certificate_file), 0, 0, false},
	{KIND_SERVICE, "client_certificate_credential", KEY_STRING,
	 SERVICE(keyless.client_certificate_credential), 0, 0, false},
	{KIND_SERVICE, "federated_token_file", KEY_STRING, SERVICE(keyless.federated_token_file), 0,
	 0, false},
	{KIND_SERVICE, "identity_endpoint", KEY_STRING, SERVICE(keyless.identity_endpoint), 0, 0,
	 false},
	{KIND_SERVICE, "tls_ca_file", KEY_STRING, SERVICE(keyless.tls_ca_file), 0, 0, false},
	{KIND_SERVICE, "rest_timeout", KEY_UINT, SERVICE(keyless.rest_timeout), 100, 60000, false},
	{KIND_SERVICE, "rest_concurrency", KEY_UINT, SERVICE(keyless.rest_concurrency), 1, 256,
	 false},
	{KIND_SERVICE, "rest_queue", KEY_UINT, SERVICE(keyless.rest_queue), 0, 65536, false},
	{KIND_SERVICE, "token_cache", KEY_UINT, SERVICE(keyless.token_cache), 0, 65536, false},
	{KIND_HUB, "service", KEY_STRING, HUB(service), 0, 0, false},
	{KIND_HUB, "client_protocol", KEY_PROTOCOL, HUB(client_protocol), 0, 0, false},
	{KIND_HUB, "token_lifetime", KEY_UINT, HUB(token_lifetime), 1, NGD_MAX_TTL_MINUTES, false},
	{KIND_HUB, "max_token_lifetime", KEY_UINT, HUB(max_token_lifetime), 1, NGD_MAX_TTL_MINUTES,
	 false},
	{KIND_HUB, "auth", KEY_LIST, HUB(auth), 1, 16, false},
	{KIND_HUB, "roles", KEY_LIST, HUB(roles), 0, NGD_MAX_ROLES, false},
	{KIND_HUB, "groups", KEY_LIST, HUB(groups), 0, NGD_MAX_GROUPS, false},
	{KIND_HUB, "default_roles", KEY_LIST, HUB(default_roles), 0, NGD_MAX_ROLES, false},
	{KIND_HUB, "default_groups", KEY_LIST, HUB(default_groups), 0, NGD_MAX_GROUPS, false},
	{KIND_HUB, "on_excess", KEY_CHOICE, HUB(on_excess), 0, 0, false},
	{KIND_HUB, "lifetime_excess", KEY_CHOICE, HUB(lifetime_excess), 0, 1, false},
	{KIND_HUB, "client_protocols", KEY_LIST, HUB(client_protocols), 0, 3, false},
	{KIND_HUB, "ignore_parameters", KEY_LIST, HUB(ignore_parameters), 0, 16, false},
	{KIND_RULE, "hub", KEY_LIST, RULE(hubs), 1, 64, false},
	{KIND_RULE, "match", KEY_LIST, RULE(match), 1, 16, false},
	{KIND_RULE, "roles", KEY_LIST, RULE(roles), 0, NGD_MAX_ROLES, false},
	{KIND_RULE, "groups", KEY_LIST, RULE(groups), 0, NGD_MAX_GROUPS, false},
	{KIND_RULE, "max_token_lifetime", KEY_UINT, RULE(max_token_lifetime), 1,
	 NGD_MAX_TTL_MINUTES, false},
	{KIND_HUB, "cors_origins", KEY_LIST, HUB(cors_origins), 0, NGD_MAX_CORS_ORIGINS, false},
	{KIND_HUB, "cors_credentials", KEY_BOOL, HUB(cors_credentials), 0, 0, false},
	{KIND_HUB, "rate_per_user", KEY_RATE, HUB(rate_per_user), 0, 0, false},
	{KIND_HUB, "rate_per_address", KEY_RATE, HUB(rate_per_address), 0, 0, false},
	{KIND_STORE, "url", KEY_STRING, STORE(url), 0, 0, false},
	{KIND_STORE, "user", KEY_STRING, STORE(user), 0, 0, false},
	{KIND_STORE, "password_file", KEY_STRING, STORE(password_file), 0, 0, false},
	{KIND_STORE, "password_credential", KEY_STRING, STORE(password_credential), 0, 0, false},
	{KIND_STORE, "password_env", KEY_STRING, STORE(password_env), 0, 0, false},
	{KIND_STORE, "ca_file", KEY_STRING, STORE(ca_file), 0, 0, false},
	{KIND_STORE, "credential", KEY_STRING, STORE(entra.credential), 0, 0, false},
	{KIND_STORE, "tenant_id", KEY_STRING, STORE(entra.tenant_id), 0, 0, false},
	{KIND_STORE, "client_id", KEY_STRING, STORE(entra.client_id), 0, 0, false},
	{KIND_STORE, "authority_host", KEY_STRING, STORE(entra.authority_host), 0, 0, false},
	{KIND_STORE, "client_secret_file", KEY_STRING, STORE(entra.client_secret_file), 0, 0,
	 false},
	{KIND_STORE, "client_secret_credential", KEY_STRING, STORE(entra.client_secret_credential),
	 0, 0, false},
	{KIND_STORE, "client_certificate_file", KEY_STRING, STORE(entra.client_certificate_file), 0,
	 0, false},
	{KIND_STORE, "client_certificate_credential", KEY_STRING,
	 STORE(entra.client_certificate_credential), 0, 0, false},
	{KIND_STORE, "federated_token_file", KEY_STRING, STORE(entra.federated_token_file), 0, 0,
	 false},
	{KIND_STORE, "identity_endpoint", KEY_STRING, STORE(entra.identity_endpoint), 0, 0, false},
	{KIND_STORE, "sentinel_user", KEY_STRING, STORE(sentinel_user), 0, 0, false},
	{KIND_STORE, "sentinel_password_file", KEY_STRING, STORE(sentinel_password_file), 0, 0,
	 false},
	{KIND_STORE, "sentinel_password_credential", KEY_STRING,
	 STORE(sentinel_password_credential), 0, 0, false},
	{KIND_STORE, "sentinel_password_env", KEY_STRING, STORE(sentinel_password_env), 0, 0,
	 false},
	{KIND_STORE, "prefix", KEY_STRING, STORE(prefix), 0, 0, false},
	{KIND_STORE, "timeout", KEY_MS, STORE(timeout_ms), 10, 10000, false},
	{KIND_STORE, "workers", KEY_UINT, STORE(workers), 1, 256, false},
	{KIND_STORE, "queue", KEY_UINT, STORE(queue), 0, 65536, false},
	{KIND_STORE, "rate_on_failure", KEY_CHOICE, STORE(rate_on_failure), 0, 2, false},
	{KIND_STORE, "keyless_on_failure", KEY_CHOICE, STORE(keyless_on_failure), 0, 2, false},
	{KIND_STORE, "revocations_on_failure", KEY_CHOICE, STORE(revocations_on_failure), 0, 2,
	 false},
	{KIND_STORE, "connections_on_failure", KEY_CHOICE, STORE(connections_on_failure), 0, 2,
	 false},
	{KIND_HUB, "connect_gate", KEY_BOOL, HUB(connect_gate), 0, 0, false},
	{KIND_HUB, "max_connections_per_user", KEY_UINT, HUB(max_connections_per_user), 0, 10000,
	 false},
	{KIND_HUB, "connection_count_ttl", KEY_UINT, HUB(connection_count_ttl), 1, 43200, false},
	{KIND_HUB, "close_on_revoke", KEY_BOOL, HUB(close_on_revoke), 0, 0, false},
	{KIND_HUB, "remove_from_groups_on_revoke", KEY_BOOL, HUB(remove_from_groups_on_revoke), 0,
	 0, false},
	{KIND_SERVER, "event_handler_path", KEY_STRING, SERVER(event_handler_path), 0, 0, true},
};

const char *const kind_names[N_KINDS] = {"server", "service", "hub", "auth", "rule", "store"};

#define N_KEYS (sizeof keys / sizeof keys[0])
#define KEY_SLOTS 256 /* four times the keys: a lookup is one hash and about one strcmp */
static unsigned char key_slots[KEY_SLOTS]; /* position in keys[] + 1; 0: empty */
static unsigned char key_bits[N_KEYS];	   /* each key's position among its kind's keys */
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

static void index_keys(void)
{
	unsigned char next[N_KINDS] = {0};
	for (size_t i = 0; i < N_KEYS; i++) {
		size_t s = config_name_hash(keys[i].kind, keys[i].name) % KEY_SLOTS;
		while (key_slots[s])
			s = (s + 1) % KEY_SLOTS;
		key_slots[s] = (unsigned char)(i + 1);
		key_bits[i] = next[keys[i].kind]++;
	}
}

void config_server_restart_changes(
	const struct config_server *running, const struct config_server *wanted,
	void (*fn)(void *arg, const char *key, const char *running, const char *wanted), void *arg)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key_spec *k = &keys[i];
		const char *was = (const char *)running + k->offset,
			   *now = (const char *)wanted + k->offset;
		char a[16], b[16];
		if (!k->restart)
			continue;
		if (k->type == KEY_STRING) {
			const char *x = *(const char *const *)was, *y = *(const char *const *)now;
			if (strcmp(x ? x : "", y ? y : "") != 0)
				fn(arg, k->name, x ? x : "", y ? y : "");
			continue;
		}
		snprintf(a, sizeof a, "%u", *(const unsigned *)was);
		snprintf(b, sizeof b, "%u", *(const unsigned *)now);
		if (strcmp(a, b) != 0)
			fn(arg, k->name, a, b);
	}
}

const struct key_spec *key_find(enum section_kind kind, const char *name, int *idx)
{
	pthread_once(&keys_once, index_keys);
	for (size_t s = config_name_hash(kind, name) % KEY_SLOTS; key_slots[s];
	     s = (s + 1) % KEY_SLOTS) {
		const struct key_spec *k = &keys[key_slots[s] - 1];
		if (k->kind == kind && strcmp(k->name, name) == 0) {
			*idx = key_bits[k - keys];
			return k;
		}
	}
	return NULL;
}

const char *key_nearest(enum section_kind kind, const char *name)
{
	const char *names[N_KEYS];
	size_t n = 0;
	for (size_t i = 0; i < N_KEYS; i++)
		if (keys[i].kind == kind)
			names[n++] = keys[i].name;
	return name_nearest(name, names, n);
}

int key_index(enum section_kind kind, const char *key)
{
	int idx;
	return key_find(kind, key, &idx) ? idx : -1;
}

int config_key_line(const struct section_head *head, const char *kind, const char *key)
{
	for (int k = 0; k < N_KINDS; k++) {
		int idx = kind_names[k][1] == kind[1] && strcmp(kind_names[k], kind) == 0
				  ? key_index((enum section_kind)k, key)
				  : -1;
		if (idx >= 0)
			return (head->seen & (1u << idx)) ? head->key_line[idx] : head->line;
	}
	return head->line;
}

int strlist_append(struct strlist *list, const char *value, unsigned max)
{
	for (const char *s = value + strspn(value, " \t"); *s; s += strspn(s, " \t")) {
		size_t len = strcspn(s, " \t"), n = list->n;
		char **grown = list->items;
		if (n >= max || ((n & (n - 1)) == 0 &&
				 !(grown = realloc(grown, (n ? 2 * n : 1) * sizeof *grown))))
			return -1; /* the capacity doubles at each power of two */
		list->items = grown;
		if (!(grown[n] = strndup(s, len)))
			return -1;
		list->n++;
		s += len;
	}
	return 0;
}

/* "250ms", "1s" or a bare number of milliseconds, within [min, max] ms. */
static int ms_parse(const char *value, unsigned min, unsigned max, unsigned *out)
{
	char number[16];
	size_t digits = strspn(value, "0123456789");
	unsigned scale = 1, n;
	if (digits == 0 || digits >= sizeof number)
		return -1;
	if (strcmp(value + digits, "s") == 0)
		scale = 1000;
	else if (value[digits] && strcmp(value + digits, "ms") != 0)
		return -1;
	memcpy(number, value, digits);
	number[digits] = '\0';
	if (decimal_parse(number, 0, max, &n) < 0 || (unsigned long long)n * scale > max ||
	    n * scale < min)
		return -1;
	*out = n * scale;
	return 0;
}

int key_set_value(struct parser *p, const struct key_spec *k, const char *value)
{
	void *field = (char *)p->section + k->offset;
	switch (k->type) {
	case KEY_STRING:
	case KEY_SECRET:
		if (!*value) {
			parser_error(p, p->line, k->name, "empty value");
			return -1;
		}
		free(*(char **)field);
		*(char **)field = strdup(value);
		return *(char **)field ? 0 : -1;
	case KEY_UINT:
		if (decimal_parse(value, k->min, k->max, field) == 0)
			return 0;
		parser_error(p, p->line, k->name, "'%s' is not a whole number from %u to %u", value,
			     k->min, k->max);
		return -1;
	case KEY_LIST:
		if (strlist_append(field, value, k->max) == 0)
			return 0;
		parser_error(p, p->line, k->name, "more than %u entries", k->max);
		return -1;
	case KEY_PROTOCOL:
		if (client_protocol_parse(value, field) == 0)
			return 0;
		parser_error(p, p->line, k->name, "'%s' is not one of default, mqtt, socketio",
			     value);
		return -1;
	case KEY_LOG_LEVEL:
		if (log_level_parse(value, field) == 0)
			return 0;
		parser_error(p, p->line, k->name, "'%s' is not one of error, warning, info, debug",
			     value);
		return -1;
	case KEY_CHOICE:
		for (size_t i = 0; i < 2; i++)
			if (strcmp(value, choices[k->max].words[i]) == 0) {
				*(unsigned *)field = choices[k->max].values[i];
				return 0;
			}
		parser_error(p, p->line, k->name, "'%.80s' is not one of %s, %s", value,
			     choices[k->max].words[0], choices[k->max].words[1]);
		return -1;
	case KEY_BOOL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0) {
			*(int *)field = value[0] == 'y';
			return 0;
		}
		parser_error(p, p->line, k->name, "'%.60s' is not yes or no", value);
		return -1;
	case KEY_MS:
		if (ms_parse(value, k->min, k->max, field) == 0)
			return 0;
		parser_error(p, p->line, k->name,
			     "'%.40s' is not a time from %ums to %ums (e.g. 250ms or 1s)", value,
			     k->min, k->max);
		return -1;
	case KEY_RATE: {
		char why[160];
		if (rate_spec_parse(value, field, why, sizeof why) == 0)
			return 0;
		parser_error(p, p->line, k->name, "%s", why);
		return -1;
	}
	}
	return -1;
}

void config_list_keys(FILE *out)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		fprintf(out, "%s %s\n", kind_names[keys[i].kind], keys[i].name);
	fprintf(out,
		"auth type\n"); /* the one key every [auth:NAME] has; the others are the type's */
}
