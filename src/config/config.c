/* Configuration: one table of keys, a line-counting reader around inih, then whole-file checks.
 * inih is built here without line numbers in its handler and with 200-byte lines, so the reader
 * counts lines, registers [section] headers itself and joins indented continuation lines. */
#include "config/config.h"

#include "edge/cors.h"
#include "core/decimal.h"
#include "core/file.h"
#include "core/caps.h"
#include "edge/listen.h"
#include "policy/matcher.h"
#include "core/names.h"
#include "core/secret.h"
#include "policy/template.h"
#include "edge/trusted_proxies.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONFIG_BYTES (1 << 20)

enum section_kind { KIND_SERVER, KIND_SERVICE, KIND_HUB, KIND_AUTH, KIND_RULE, N_KINDS };
enum key_type {
	KEY_STRING,
	KEY_SECRET,
	KEY_UINT,
	KEY_LIST,
	KEY_PROTOCOL,
	KEY_LOG_LEVEL,
	KEY_CHOICE,
	KEY_BOOL,
	KEY_RATE
};

struct key_spec {
	enum section_kind kind;
	const char *name;
	enum key_type type;
	size_t offset;
	unsigned min, max; /* KEY_CHOICE: max indexes choices[] */
};

/* KEY_CHOICE words, stored as enum excess_mode. */
static const struct {
	const char *words[2];
	enum excess_mode values[2];
} choices[] = {{{"refuse", "drop"}, {EXCESS_REFUSE, EXCESS_DROP}}, {{"cap", "refuse"}, {EXCESS_CAP, EXCESS_REFUSE}}};

#define SERVER(f) offsetof(struct config_server, f)
#define SERVICE(f) offsetof(struct config_service, f)
#define HUB(f) offsetof(struct config_hub, f)
#define RULE(f) offsetof(struct config_rule, f)
static const struct key_spec keys[] = {
	{KIND_SERVER, "listen", KEY_STRING, SERVER(listen), 0, 0},
	{KIND_SERVER, "threads", KEY_UINT, SERVER(threads), 1, 64},
	{KIND_SERVER, "max_url_bytes", KEY_UINT, SERVER(max_url_bytes), 256, 65536},
	{KIND_SERVER, "max_header_bytes", KEY_UINT, SERVER(max_header_bytes), 1024, 65536},
	{KIND_SERVER, "max_body_bytes", KEY_UINT, SERVER(max_body_bytes), 0, 1 << 20},
	{KIND_SERVER, "connection_timeout", KEY_UINT, SERVER(connection_timeout), 1, 3600},
	{KIND_SERVER, "log_level", KEY_LOG_LEVEL, SERVER(log_level), 0, 0},
	{KIND_SERVER, "trusted_proxies", KEY_LIST, SERVER(trusted_proxies), 0, NGD_MAX_TRUSTED_PROXIES + 1},
	{KIND_SERVER, "auth_failure_delay", KEY_UINT, SERVER(auth_failure_delay), 0, 10000},
	{KIND_SERVER, "auth_workers", KEY_UINT, SERVER(auth_workers), 1, 256},
	{KIND_SERVER, "auth_queue", KEY_UINT, SERVER(auth_queue), 1, 65536},
	{KIND_SERVER, "metrics_allow", KEY_LIST, SERVER(metrics_allow), 0, NGD_MAX_TRUSTED_PROXIES + 1},
	{KIND_SERVER, "access_log", KEY_STRING, SERVER(access_log), 0, 0},
	{KIND_SERVER, "cors_origins", KEY_LIST, SERVER(cors_origins), 0, NGD_MAX_CORS_ORIGINS},
	{KIND_SERVER, "cors_credentials", KEY_BOOL, SERVER(cors_credentials), 0, 0},
	{KIND_SERVICE, "connection_string", KEY_SECRET, SERVICE(primary.inline_text), 0, 0},
	{KIND_SERVICE, "connection_string_file", KEY_STRING, SERVICE(primary.file), 0, 0},
	{KIND_SERVICE, "connection_string_env", KEY_STRING, SERVICE(primary.env), 0, 0},
	{KIND_SERVICE, "connection_string_credential", KEY_STRING, SERVICE(primary.credential), 0, 0},
	{KIND_SERVICE, "secondary_connection_string", KEY_SECRET, SERVICE(secondary.inline_text), 0, 0},
	{KIND_SERVICE, "secondary_connection_string_file", KEY_STRING, SERVICE(secondary.file), 0, 0},
	{KIND_SERVICE, "secondary_connection_string_env", KEY_STRING, SERVICE(secondary.env), 0, 0},
	{KIND_SERVICE, "secondary_connection_string_credential", KEY_STRING, SERVICE(secondary.credential), 0, 0},
	{KIND_SERVICE, "sign_with", KEY_STRING, SERVICE(sign_with), 0, 0},
	{KIND_HUB, "service", KEY_STRING, HUB(service), 0, 0},
	{KIND_HUB, "client_protocol", KEY_PROTOCOL, HUB(client_protocol), 0, 0},
	{KIND_HUB, "token_lifetime", KEY_UINT, HUB(token_lifetime), 1, NGD_MAX_TTL_MINUTES},
	{KIND_HUB, "max_token_lifetime", KEY_UINT, HUB(max_token_lifetime), 1, NGD_MAX_TTL_MINUTES},
	{KIND_HUB, "auth", KEY_LIST, HUB(auth), 1, 16},
	{KIND_HUB, "roles", KEY_LIST, HUB(roles), 0, NGD_MAX_ROLES},
	{KIND_HUB, "groups", KEY_LIST, HUB(groups), 0, NGD_MAX_GROUPS},
	{KIND_HUB, "default_roles", KEY_LIST, HUB(default_roles), 0, NGD_MAX_ROLES},
	{KIND_HUB, "default_groups", KEY_LIST, HUB(default_groups), 0, NGD_MAX_GROUPS},
	{KIND_HUB, "on_excess", KEY_CHOICE, HUB(on_excess), 0, 0},
	{KIND_HUB, "lifetime_excess", KEY_CHOICE, HUB(lifetime_excess), 0, 1},
	{KIND_HUB, "client_protocols", KEY_LIST, HUB(client_protocols), 0, 3},
	{KIND_RULE, "hub", KEY_LIST, RULE(hubs), 1, 64},
	{KIND_RULE, "match", KEY_LIST, RULE(match), 1, 16},
	{KIND_RULE, "roles", KEY_LIST, RULE(roles), 0, NGD_MAX_ROLES},
	{KIND_RULE, "groups", KEY_LIST, RULE(groups), 0, NGD_MAX_GROUPS},
	{KIND_RULE, "max_token_lifetime", KEY_UINT, RULE(max_token_lifetime), 1, NGD_MAX_TTL_MINUTES},
	{KIND_HUB, "cors_origins", KEY_LIST, HUB(cors_origins), 0, NGD_MAX_CORS_ORIGINS},
	{KIND_HUB, "cors_credentials", KEY_BOOL, HUB(cors_credentials), 0, 0},
	{KIND_HUB, "rate_per_user", KEY_RATE, HUB(rate_per_user), 0, 0},
	{KIND_HUB, "rate_per_address", KEY_RATE, HUB(rate_per_address), 0, 0},
};

static const char *const kind_names[] = {"server", "service", "hub", "auth", "rule"};

struct parser {
	struct config *cfg;
	const char *source; /* the text left to read */
	int line;
	int section_line;
	enum section_kind kind;
	struct section_head *section; /* NULL before the first section */
	bool continuation;	      /* the current line is indented under a key */
	const struct key_spec *last_key;
	char err[512];
};

static void parser_error(struct parser *p, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void parser_error(struct parser *p, int line, const char *key, const char *fmt, ...)
{
	if (p->err[0])
		return; /* the first error is the one worth reading */
	int n = snprintf(p->err, sizeof p->err, "%s:%d: %s%s", p->cfg->path, line, key ? key : "", key ? ": " : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + n, sizeof p->err - (size_t)n, fmt, ap);
	va_end(ap);
}

static bool section_name_valid(enum section_kind kind, const char *name)
{
	if (kind == KIND_HUB)
		return hub_name_valid(name);
	size_t len = strlen(name);
	return len > 0 && len <= 64 &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == len;
}

static int kind_parse(const char *s, size_t len, enum section_kind *kind, const char **name_start)
{
	for (size_t k = 0; k < N_KINDS; k++) {
		size_t n = strlen(kind_names[k]);
		if (k == KIND_SERVER && len == n && memcmp(s, "server", n) == 0) {
			*kind = KIND_SERVER, *name_start = NULL;
			return 0;
		}
		if (k != KIND_SERVER && len > n + 1 && memcmp(s, kind_names[k], n) == 0 && s[n] == ':') {
			*kind = (enum section_kind)k, *name_start = s + n + 1;
			return 0;
		}
	}
	return -1;
}

static struct section_head *find_section(const struct config *cfg, enum section_kind kind, const char *name)
{
	if (kind == KIND_SERVICE)
		return (struct section_head *)config_find_service(cfg, name);
	if (kind == KIND_HUB)
		return (struct section_head *)config_find_hub(cfg, name);
	if (kind == KIND_AUTH)
		return (struct section_head *)config_find_auth(cfg, name);
	if (kind == KIND_RULE)
		return (struct section_head *)config_find_rule(cfg, name);
	return cfg->server.head.line ? (struct section_head *)&cfg->server.head : NULL;
}

static void hub_defaults(struct config_hub *hub)
{
	hub->client_protocol = PROTOCOL_DEFAULT;
	hub->token_lifetime = 60;
	hub->max_token_lifetime = 1440;
	hub->on_excess = EXCESS_REFUSE;
	hub->lifetime_excess = EXCESS_CAP;
	hub->cors_credentials = -1;
}

static struct section_head *add_section(struct config *cfg, enum section_kind kind)
{
	static const size_t sizes[] = {0, sizeof(struct config_service), sizeof(struct config_hub),
				       sizeof(struct ngd_section), sizeof(struct config_rule)};
	void ***arrays[] = {NULL, (void ***)&cfg->services, (void ***)&cfg->hubs, (void ***)&cfg->auths,
			    (void ***)&cfg->rules};
	size_t *counts[] = {NULL, &cfg->n_services, &cfg->n_hubs, &cfg->n_auths, &cfg->n_rules};
	if (kind == KIND_SERVER)
		return &cfg->server.head;
	void **grown = realloc(*arrays[kind], (*counts[kind] + 1) * sizeof *grown);
	if (!grown)
		return NULL;
	*arrays[kind] = grown;
	void *section = calloc(1, sizes[kind]);
	if (!section)
		return NULL;
	grown[(*counts[kind])++] = section;
	if (kind == KIND_HUB)
		hub_defaults(section);
	if (kind == KIND_AUTH)
		((struct ngd_section *)section)->file = cfg->path;
	return section;
}

/* Called by the reader for a line that starts with '['. */
static void open_section(struct parser *p, const char *line)
{
	const char *close = strchr(line, ']');
	const char *name;
	enum section_kind kind;
	p->section = NULL;
	if (!close)
		return; /* inih reports the syntax error */
	size_t len = (size_t)(close - line - 1);
	char shown[160];
	snprintf(shown, sizeof shown, "[%.*s]", (int)(len < 150 ? len : 150), line + 1);
	if (kind_parse(line + 1, len, &kind, &name) < 0)
		return parser_error(
			p, p->line, shown,
			"unknown section (expected [server], [service:NAME], [hub:NAME], [auth:NAME] or [rule:NAME])");
	char *name_copy = name ? strndup(name, (size_t)(close - name)) : NULL;
	if (name && !section_name_valid(kind, name_copy)) {
		free(name_copy);
		return parser_error(p, p->line, shown,
				    kind == KIND_HUB ? "invalid hub name (" HUB_NAME_RULE ")"
						     : "invalid name (1 to 64 of A-Z a-z 0-9 _ . -)");
	}
	struct section_head *prev = find_section(p->cfg, kind, name_copy);
	if (prev) {
		free(name_copy);
		return parser_error(p, p->line, shown, "duplicate section (first on line %d)", prev->line);
	}
	p->section = add_section(p->cfg, kind);
	if (!p->section) {
		free(name_copy);
		return parser_error(p, p->line, shown, "out of memory");
	}
	p->section->name = name_copy;
	p->section->line = p->line;
	p->kind = kind;
	p->last_key = NULL;
}

static bool is_blank_or_comment(const char *s)
{
	s += strspn(s, " \t\r\n");
	return *s == '\0' || *s == ';' || *s == '#';
}

/* inih's line reader: counts lines, finds section headers, marks continuation lines. */
static char *read_line(char *out, int size, void *stream)
{
	struct parser *p = stream;
	if (!*p->source || p->err[0])
		return NULL; /* end of text, or stop at the first error */
	const char *nl = strchr(p->source, '\n');
	size_t len = nl ? (size_t)(nl - p->source) + 1 : strlen(p->source);
	p->line++;
	if (len >= (size_t)size) {
		parser_error(p, p->line, NULL,
			     "line longer than %d bytes: continue lists on indented lines, or read long values "
			     "from a file",
			     size - 2);
		return NULL;
	}
	memcpy(out, p->source, len);
	out[len] = '\0';
	p->source += len;
	const char *text = out + strspn(out, " \t");
	p->continuation = text != out && !is_blank_or_comment(out);
	if (*text == '[')
		open_section(p, text);
	return out;
}

static int list_append(struct strlist *list, const char *value, unsigned max)
{
	char *copy = strdup(value);
	if (!copy)
		return -1;
	for (char *save = NULL, *item = strtok_r(copy, " \t", &save); item; item = strtok_r(NULL, " \t", &save)) {
		char **grown = list->n < max ? realloc(list->items, (list->n + 1) * sizeof *grown) : NULL;
		char *dup = grown ? strdup(item) : NULL;
		if (grown)
			list->items = grown;
		if (!dup) {
			free(copy);
			return -1;
		}
		list->items[list->n++] = dup;
	}
	free(copy);
	return 0;
}

static int set_value(struct parser *p, const struct key_spec *k, const char *value)
{
	void *field = (char *)p->section + k->offset;
	switch (k->type) {
	case KEY_STRING:
	case KEY_SECRET:
		if (!*value)
			return parser_error(p, p->line, k->name, "empty value"), -1;
		free(*(char **)field);
		*(char **)field = strdup(value);
		return *(char **)field ? 0 : -1;
	case KEY_UINT:
		if (decimal_parse(value, k->min, k->max, field) == 0)
			return 0;
		return parser_error(p, p->line, k->name, "'%s' is not a whole number from %u to %u", value, k->min,
				    k->max),
		       -1;
	case KEY_LIST:
		if (list_append(field, value, k->max) == 0)
			return 0;
		return parser_error(p, p->line, k->name, "more than %u entries", k->max), -1;
	case KEY_PROTOCOL:
		if (client_protocol_parse(value, field) == 0)
			return 0;
		return parser_error(p, p->line, k->name, "'%s' is not one of default, mqtt, socketio", value), -1;
	case KEY_LOG_LEVEL:
		if (log_level_parse(value, field) == 0)
			return 0;
		return parser_error(p, p->line, k->name, "'%s' is not one of error, warning, info, debug", value), -1;
	case KEY_CHOICE:
		for (size_t i = 0; i < 2; i++)
			if (strcmp(value, choices[k->max].words[i]) == 0)
				return *(unsigned *)field = choices[k->max].values[i], 0;
		return parser_error(p, p->line, k->name, "'%.80s' is not one of %s, %s", value,
				    choices[k->max].words[0], choices[k->max].words[1]),
		       -1;
	case KEY_BOOL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0)
			return *(int *)field = value[0] == 'y', 0;
		return parser_error(p, p->line, k->name, "'%.60s' is not yes or no", value), -1;
	case KEY_RATE: {
		char why[160];
		if (rate_spec_parse(value, field, why, sizeof why) == 0)
			return 0;
		return parser_error(p, p->line, k->name, "%s", why), -1;
	}
	}
	return -1;
}

static int continue_value(struct parser *p, const char *name, const char *value)
{
	const struct key_spec *k = p->last_key;
	if (!k || strcmp(k->name, name) != 0 || k->type != KEY_LIST || strchr(value, '=')) {
		parser_error(p, p->line, name,
			     "indented line continues the value above; only lists (auth, roles, groups, "
			     "trusted_proxies, match, cors_origins, ...) continue, so remove the indentation if this "
			     "is a new key");
		return -1;
	}
	return set_value(p, k, value);
}

static int add_auth_entry(struct parser *p, const char *name, const char *value)
{
	struct ngd_section *sec = (struct ngd_section *)p->section;
	for (size_t i = 0; i < sec->n_entries; i++)
		if (strcmp(sec->entries[i].key, name) == 0)
			return parser_error(p, p->line, name, "duplicate key (first set on line %d)",
					    sec->entries[i].line),
			       -1;
	struct auth_entry *grown =
		sec->n_entries < 64 ? realloc(sec->entries, (sec->n_entries + 1) * sizeof *grown) : NULL;
	if (!grown)
		return parser_error(p, p->line, name, "too many keys in this section"), -1;
	sec->entries = grown;
	grown[sec->n_entries] = (struct auth_entry){strdup(name), strdup(value), p->line, false};
	if (!grown[sec->n_entries].key || !grown[sec->n_entries].value)
		return -1;
	sec->n_entries++;
	return 0;
}

static int handle_key(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;
	(void)section; /* the reader has already opened it */
	if (p->err[0])
		return 1;
	if (!p->section)
		return parser_error(p, p->line, name, "key outside a known section"), 1;
	if (p->continuation && (p->last_key || p->kind == KIND_AUTH)) /* auth sections have no lists */
		return continue_value(p, name, value), 1;
	if (p->kind == KIND_AUTH)
		return add_auth_entry(p, name, value), 1;
	for (size_t i = 0, idx = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (keys[i].kind != p->kind)
			continue;
		if (strcmp(keys[i].name, name) == 0) {
			if (p->section->seen & (1u << idx))
				return parser_error(p, p->line, name, "duplicate key (first set on line %d)",
						    p->section->key_line[idx]),
				       1;
			p->section->seen |= 1u << idx;
			p->section->key_line[idx] = p->line;
			p->last_key = &keys[i];
			set_value(p, &keys[i], value);
			return 1;
		}
		idx++;
	}
	parser_error(p, p->line, name, "unknown key in [%s%s%s]", kind_names[p->kind], p->section->name ? ":" : "",
		     p->section->name ? p->section->name : "");
	return 1;
}

/* A key's position among its section kind's keys: its bit in section_head.seen. */
static int key_index(enum section_kind kind, const char *key)
{
	for (size_t i = 0, idx = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (keys[i].kind != kind)
			continue;
		if (strcmp(keys[i].name, key) == 0)
			return (int)idx;
		idx++;
	}
	return -1;
}

int config_key_line(const struct section_head *head, const char *kind, const char *key)
{
	for (int k = 0; k < N_KINDS; k++) {
		int idx = strcmp(kind_names[k], kind) == 0 ? key_index((enum section_kind)k, key) : -1;
		if (idx >= 0)
			return (head->seen & (1u << idx)) ? head->key_line[idx] : head->line;
	}
	return head->line;
}

static void section_label(const struct section_head *h, const char *kind, char *out, size_t len)
{
	snprintf(out, len, "[%s%s%s]", kind, h->name ? ":" : "", h->name ? h->name : "");
}

static int source_count(const struct connstr_source *src)
{
	return !!src->inline_text + !!src->file + !!src->env + !!src->credential;
}

static bool credential_name_valid(const char *name)
{
	return name && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && !strchr(name, '/') && strlen(name) < 256;
}

static void check_credentials(struct parser *p, const struct config_service *s)
{
	const char *names[] = {s->primary.credential, s->secondary.credential};
	const char *key_names[] = {"connection_string_credential", "secondary_connection_string_credential"};
	for (int i = 0; i < 2; i++)
		if (names[i] && !credential_name_valid(names[i]))
			parser_error(p, config_key_line(&s->head, "service", key_names[i]), key_names[i],
				     "a credential name is a file name in $CREDENTIALS_DIRECTORY, without '/'");
}

static void check_service(struct parser *p, const struct config_service *s)
{
	char label[96];
	section_label(&s->head, "service", label, sizeof label);
	if (source_count(&s->primary) != 1)
		parser_error(p, s->head.line, label,
			     "set exactly one of connection_string, connection_string_file, connection_string_env, "
			     "connection_string_credential");
	if (source_count(&s->secondary) > 1)
		parser_error(p, s->head.line, label, "set at most one of the secondary_connection_string* keys");
	check_credentials(p, s);
	int line = config_key_line(&s->head, "service", "sign_with");
	if (s->sign_with && strcmp(s->sign_with, "primary") != 0 && strcmp(s->sign_with, "secondary") != 0)
		parser_error(p, line, "sign_with", "'%.64s' is not one of primary, secondary", s->sign_with);
	else if (s->sign_with && strcmp(s->sign_with, "secondary") == 0 && source_count(&s->secondary) == 0)
		parser_error(p, line, "sign_with", "secondary: no secondary_connection_string* key is set");
}

/* Every template of a list compiles: a typo in a role is an error, not a role that grants nothing. */
static void check_templates(struct parser *p, const struct section_head *head, const char *kind, const char *key,
			    const struct strlist *list, enum template_kind tk)
{
	char why[300];
	struct template t;
	for (size_t i = 0; i < list->n; i++) {
		if (template_compile(list->items[i], tk, &t, why, sizeof why) < 0)
			parser_error(p, config_key_line(head, kind, key), key, "'%.80s'%s%s", list->items[i],
				     strncmp(why, "is ", 3) == 0 ? " " : ": ", why);
		else
			template_clear(&t);
	}
}

static bool list_has(const struct strlist *list, const char *item)
{
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->items[i], item) == 0)
			return true;
	return false;
}

static bool rule_applies(const struct config_rule *r, const char *hub)
{
	return list_has(&r->hubs, hub);
}

/* A default must be something a rule of this hub (or the hub itself) can grant, as written. */
static void check_defaults(struct parser *p, const struct config_hub *h, const char *key,
			   const struct strlist *defaults, bool roles)
{
	for (size_t i = 0; i < defaults->n; i++) {
		bool granted = list_has(roles ? &h->roles : &h->groups, defaults->items[i]);
		for (size_t r = 0; !granted && r < p->cfg->n_rules; r++)
			granted = rule_applies(p->cfg->rules[r], h->head.name) &&
				  list_has(roles ? &p->cfg->rules[r]->roles : &p->cfg->rules[r]->groups,
					   defaults->items[i]);
		if (!granted)
			parser_error(p, config_key_line(&h->head, "hub", key), key,
				     "'%.80s' is granted by neither this hub's %s nor a [rule:NAME] for it",
				     defaults->items[i], roles ? "roles" : "groups");
	}
}

static void check_hub_names(struct parser *p, struct config_hub *h)
{
	enum client_protocol protocol;
	check_templates(p, &h->head, "hub", "roles", &h->roles, TEMPLATE_ROLE);
	check_templates(p, &h->head, "hub", "groups", &h->groups, TEMPLATE_GROUP);
	check_templates(p, &h->head, "hub", "default_roles", &h->default_roles, TEMPLATE_ROLE);
	check_templates(p, &h->head, "hub", "default_groups", &h->default_groups, TEMPLATE_GROUP);
	h->set_default_roles = config_key_line(&h->head, "hub", "default_roles") != h->head.line;
	h->set_default_groups = config_key_line(&h->head, "hub", "default_groups") != h->head.line;
	check_defaults(p, h, "default_roles", &h->default_roles, true);
	check_defaults(p, h, "default_groups", &h->default_groups, false);
	for (size_t i = 0; i < h->client_protocols.n; i++)
		if (client_protocol_parse(h->client_protocols.items[i], &protocol) < 0)
			parser_error(p, config_key_line(&h->head, "hub", "client_protocols"), "client_protocols",
				     "'%.40s' is not one of default, mqtt, socketio", h->client_protocols.items[i]);
}

static void check_match(struct parser *p, const struct config_rule *r)
{
	char why[300];
	struct matcher m;
	int line = config_key_line(&r->head, "rule", "match");
	for (size_t i = 0; i < r->match.n; i++) {
		if (matcher_parse(r->match.items[i], &m, why, sizeof why) < 0) {
			parser_error(p, line, "match", "%s", why);
			continue;
		}
		if (m.kind == MATCH_ANYONE && r->match.n > 1)
			parser_error(p, line, "match", "'anyone' holds for every caller: it stands alone");
		if (m.kind == MATCH_AUTH && !config_find_auth(p->cfg, m.name))
			parser_error(p, line, "match", "'%.80s': no [auth:%.64s] section", m.source, m.name);
		for (size_t h = 0; m.kind == MATCH_AUTH && h < r->hubs.n; h++) {
			const struct config_hub *hub = config_find_hub(p->cfg, r->hubs.items[h]);
			if (hub && !list_has(&hub->auth, m.name))
				parser_error(p, line, "match",
					     "'%.80s' can never hold on hub %s: it is not in its auth list", m.source,
					     hub->head.name);
		}
		matcher_clear(&m);
	}
}

static void check_rule(struct parser *p, const struct config_rule *r)
{
	char label[96];
	section_label(&r->head, "rule", label, sizeof label);
	if (r->hubs.n == 0)
		parser_error(p, r->head.line, label, "hub: required (the hubs this rule grants on)");
	for (size_t i = 0; i < r->hubs.n; i++)
		if (!config_find_hub(p->cfg, r->hubs.items[i]))
			parser_error(p, config_key_line(&r->head, "rule", "hub"), "hub", "no [hub:%.128s] section",
				     r->hubs.items[i]);
	if (r->match.n == 0)
		parser_error(p, r->head.line, label,
			     "match: required (anyone, user:ID, attr:NAME=VALUE, auth:NAME; all must hold)");
	if (r->roles.n + r->groups.n == 0)
		parser_error(p, r->head.line, label, "grants nothing: set roles or groups");
	check_match(p, r);
	check_templates(p, &r->head, "rule", "roles", &r->roles, TEMPLATE_ROLE);
	check_templates(p, &r->head, "rule", "groups", &r->groups, TEMPLATE_GROUP);
	for (size_t h = 0; r->max_token_lifetime && h < r->hubs.n; h++) {
		const struct config_hub *hub = config_find_hub(p->cfg, r->hubs.items[h]);
		if (hub && r->max_token_lifetime > hub->max_token_lifetime)
			log_warning("%s:%d: max_token_lifetime: %u minutes is above hub %s's cap (%u), which wins",
				    p->cfg->path, config_key_line(&r->head, "rule", "max_token_lifetime"),
				    r->max_token_lifetime, hub->head.name, hub->max_token_lifetime);
	}
}

/* Each origin is well formed, "*" stands alone, and "*" never meets credentials. */
static void check_cors(struct parser *p, const struct section_head *head, const char *kind,
		       const struct strlist *origins, int credentials, const struct section_head *credentials_head)
{
	char why[256];
	int line = config_key_line(head, kind, "cors_origins");
	for (size_t i = 0; i < origins->n; i++)
		if (cors_origin_check(origins->items[i], why, sizeof why) < 0)
			return parser_error(p, line, "cors_origins", "%s", why);
		else if (strcmp(origins->items[i], "*") == 0 && origins->n > 1)
			return parser_error(p, line, "cors_origins", "* allows every origin: list it alone");
	if (credentials == 1 && origins->n == 1 && strcmp(origins->items[0], "*") == 0)
		parser_error(p,
			     config_key_line(credentials_head, credentials_head->name ? "hub" : "server",
					     "cors_credentials"),
			     "cors_credentials", "yes cannot go with cors_origins = *: list the origins");
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

static void check_hub(struct parser *p, struct config_hub *h)
{
	const struct config *cfg = p->cfg;
	char label[160];
	section_label(&h->head, "hub", label, sizeof label);
	if (!h->service && cfg->n_services == 1)
		h->service = strdup(cfg->services[0]->head.name);
	if (!h->service)
		parser_error(p, h->head.line, label, "service: required (%s)",
			     cfg->n_services ? "several [service:NAME] sections exist" : "no [service:NAME] section");
	else if (!config_find_service(cfg, h->service))
		parser_error(p, config_key_line(&h->head, "hub", "service"), "service", "no [service:%s] section",
			     h->service);
	if (h->auth.n == 0)
		parser_error(p, h->head.line, label, "auth: required (the [auth:NAME] sections that admit callers)");
	for (size_t i = 0; i < h->auth.n; i++)
		if (!config_find_auth(cfg, h->auth.items[i]))
			parser_error(p, config_key_line(&h->head, "hub", "auth"), "auth", "no [auth:%.64s] section",
				     h->auth.items[i]);
	if (h->token_lifetime > h->max_token_lifetime)
		parser_error(p, config_key_line(&h->head, "hub", "token_lifetime"), "token_lifetime",
			     "%u minutes is above max_token_lifetime (%u)", h->token_lifetime, h->max_token_lifetime);
	check_hub_names(p, h);
	check_hub_cors(p, h);
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
			parser_error(p, config_key_line(&s->head, "server", "trusted_proxies"), "trusted_proxies", "%s",
				     why);
	struct trusted_proxies allow = {0};
	for (size_t i = 0; i < s->metrics_allow.n; i++)
		if (trusted_proxies_add(&allow, s->metrics_allow.items[i], why, sizeof why) < 0)
			parser_error(p, config_key_line(&s->head, "server", "metrics_allow"), "metrics_allow", "%s",
				     why);
	check_cors(p, &s->head, "server", &s->cors_origins, s->cors_credentials, &s->head);
}

static void config_check(struct parser *p)
{
	struct config *cfg = p->cfg;
	check_server(p);
	for (size_t i = 0; i < cfg->n_services; i++)
		check_service(p, cfg->services[i]);
	for (size_t i = 0; i < cfg->n_hubs; i++)
		check_hub(p, cfg->hubs[i]);
	for (size_t i = 0; i < cfg->n_rules; i++)
		check_rule(p, cfg->rules[i]);
	if (!p->err[0] && cfg->n_hubs == 0)
		snprintf(p->err, sizeof p->err, "%s: no [hub:NAME] section: there would be nothing to serve",
			 cfg->path);
}

static void server_defaults(struct config_server *s)
{
	s->threads = 2;
	s->max_url_bytes = 4096;
	s->max_header_bytes = 8192;
	s->max_body_bytes = 16384;
	s->connection_timeout = 30;
	s->log_level = LOG_LEVEL_INFO;
	s->auth_failure_delay = 200;
	s->auth_workers = 8;
	s->auth_queue = 256;
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
	int syntax_line = ini_parse_stream(read_line, &p, handle_key, &p);
	if (!p.err[0] && syntax_line > 0)
		parser_error(&p, syntax_line, NULL, "syntax error (expected 'key = value' or '[section]')");
	if (!p.err[0])
		config_check(&p);
	if (p.err[0]) {
		snprintf(err, err_len, "%s", p.err);
		config_free(cfg);
		return NULL;
	}
	bool oom = !cfg->server.listen && !(cfg->server.listen = strdup("127.0.0.1:8080"));
	/* by default only unix-socket peers may forward: the socket's mode says who they are */
	if (!(cfg->server.head.seen & (1u << key_index(KIND_SERVER, "trusted_proxies"))))
		oom |= list_append(&cfg->server.trusted_proxies, "unix", 1) < 0;
	/* /metrics is for this machine unless listed otherwise */
	if (!(cfg->server.head.seen & (1u << key_index(KIND_SERVER, "metrics_allow"))))
		oom |= list_append(&cfg->server.metrics_allow, "127.0.0.1 ::1 unix", 3) < 0;
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

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->server.listen);
	strlist_free(&cfg->server.trusted_proxies);
	strlist_free(&cfg->server.metrics_allow);
	strlist_free(&cfg->server.cors_origins);
	free(cfg->server.access_log);
	for (size_t i = 0; i < cfg->n_services; i++) {
		struct config_service *s = cfg->services[i];
		source_free(&s->primary);
		source_free(&s->secondary);
		free(s->sign_with);
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
		strlist_free(&h->cors_origins);
		free(h->head.name);
		free(h);
	}
	for (size_t i = 0; i < cfg->n_rules; i++) {
		struct config_rule *r = cfg->rules[i];
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
			secret_free(a->entries[k].value); /* an authenticator may keep a secret here */
		}
		free(a->entries);
		free(a->error);
		free(a->head.name);
		free(a);
	}
	free(cfg->services);
	free(cfg->hubs);
	free(cfg->auths);
	free(cfg->path);
	free(cfg);
}

void config_list_keys(FILE *out)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		fprintf(out, "%s %s\n", kind_names[keys[i].kind], keys[i].name);
	fprintf(out, "auth type\n"); /* the one key every [auth:NAME] has; the others are the type's */
}

#define FIND(array, count, type)                                                                                       \
	for (size_t i = 0; name && i < cfg->count; i++)                                                                \
		if (strcmp(cfg->array[i]->head.name, name) == 0)                                                       \
			return (type)cfg->array[i];                                                                    \
	return NULL

const struct config_hub *config_find_hub(const struct config *cfg, const char *name)
{
	FIND(hubs, n_hubs, const struct config_hub *);
}

const struct config_service *config_find_service(const struct config *cfg, const char *name)
{
	FIND(services, n_services, const struct config_service *);
}

struct ngd_section *config_find_auth(const struct config *cfg, const char *name)
{
	FIND(auths, n_auths, struct ngd_section *);
}

const struct config_rule *config_find_rule(const struct config *cfg, const char *name)
{
	FIND(rules, n_rules, const struct config_rule *);
}
