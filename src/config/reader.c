/* SPDX-License-Identifier: Apache-2.0 */
/* The line-counting reader around inih. inih is built here without line numbers in its handler
 * and with 200-byte lines, so the reader counts lines, registers [section] headers itself and
 * joins indented continuation lines. */
#include "config/parser.h"

#include "core/names.h"
#include "policy/policy.h"

#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void parser_error(struct parser *p, int line, const char *key, const char *fmt, ...)
{
	size_t used = strnlen(p->err, sizeof p->err);
	if (++p->n_errors > PARSER_MAX_ERRORS) {
		if (p->n_errors == PARSER_MAX_ERRORS + 1)
			snprintf(p->err + used, sizeof p->err - used,
				 "\n%s: more errors follow: fix these first", p->cfg->path);
		return;
	}
	int n = snprintf(p->err + used, sizeof p->err - used, "%s%s:%d: %s%s", used ? "\n" : "",
			 p->cfg->path, line, key ? key : "", key ? ": " : "");
	if (n < 0 || used + (size_t)n >= sizeof p->err)
		return; /* full (truncated): no room left for the message */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + used + (size_t)n, sizeof p->err - used - (size_t)n, fmt, ap);
	va_end(ap);
}

static bool section_name_valid(enum section_kind kind, const char *name)
{
	if (kind == KIND_HUB)
		return hub_name_valid(name);
	size_t len = strlen(name);
	return len > 0 && len <= 64 &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
		       len;
}

static int kind_parse(const char *s, size_t len, enum section_kind *kind, const char **name_start)
{
	for (size_t k = 0; k < N_KINDS; k++) {
		size_t n = strlen(kind_names[k]);
		bool unnamed = k == KIND_SERVER || k == KIND_STORE;
		if (unnamed && len == n && memcmp(s, kind_names[k], n) == 0) {
			*kind = (enum section_kind)k, *name_start = NULL;
			return 0;
		}
		if (!unnamed && len > n + 1 && memcmp(s, kind_names[k], n) == 0 && s[n] == ':') {
			*kind = (enum section_kind)k, *name_start = s + n + 1;
			return 0;
		}
	}
	return -1;
}

static struct section_head *find_section(const struct config *cfg, enum section_kind kind,
					 const char *name)
{
	if (kind == KIND_SERVICE)
		return (struct section_head *)config_find_service(cfg, name);
	if (kind == KIND_HUB)
		return (struct section_head *)config_find_hub(cfg, name);
	if (kind == KIND_AUTH)
		return (struct section_head *)config_find_auth(cfg, name);
	if (kind == KIND_RULE)
		return (struct section_head *)config_find_rule(cfg, name);
	if (kind == KIND_STORE)
		return cfg->store.head.line ? (struct section_head *)&cfg->store.head : NULL;
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
	hub->connection_count_ttl = 1440;
}

/* A new section of that kind, named and indexed; NULL when out of memory. */
static struct section_head *add_section(struct config *cfg, enum section_kind kind, char *name,
					int line)
{
	static const size_t sizes[] = {0, sizeof(struct config_service), sizeof(struct config_hub),
				       sizeof(struct ngd_section), sizeof(struct config_rule)};
	void ***arrays[] = {NULL, (void ***)&cfg->services, (void ***)&cfg->hubs,
			    (void ***)&cfg->auths, (void ***)&cfg->rules};
	size_t *counts[] = {NULL, &cfg->n_services, &cfg->n_hubs, &cfg->n_auths, &cfg->n_rules};
	if (kind == KIND_SERVER) {
		cfg->server.head.line = line;
		return &cfg->server.head;
	}
	if (kind == KIND_STORE) {
		cfg->store.head.line = line;
		return &cfg->store.head;
	}
	size_t n = *counts[kind];
	void **grown = *arrays[kind];
	if ((n & (n - 1)) == 0 && !(grown = realloc(grown, (n ? 2 * n : 1) * sizeof *grown)))
		return NULL; /* the capacity doubles at each power of two: appending stays linear */
	*arrays[kind] = grown;
	struct section_head *section = calloc(1, sizes[kind]);
	if (section)
		*section = (struct section_head){.name = name, .line = line};
	if (!section || config_index_add(cfg, section, kind, n) < 0) {
		free(section);
		return NULL;
	}
	grown[(*counts[kind])++] = section;
	if (kind == KIND_HUB)
		hub_defaults((struct config_hub *)section);
	if (kind == KIND_SERVICE)
		((struct config_service *)section)->keyless =
			(struct config_keyless){.rest_timeout = 5000,
						.rest_concurrency = 4,
						.rest_queue = 2,
						.token_cache = 256};
	if (kind == KIND_AUTH)
		((struct ngd_section *)section)->file = cfg->path;
	return section;
}

/* Called by the reader for a line that starts with '['. */
/* "[TEXT]" of a section header line, for a message about it. */
static const char *header_text(char shown[160], const char *line, size_t len)
{
	snprintf(shown, 160, "[%.*s]", (int)(len < 150 ? len : 150), line + 1);
	return shown;
}

static void open_section(struct parser *p, const char *line)
{
	const char *close = strchr(line, ']');
	const char *name;
	enum section_kind kind;
	p->section = NULL;
	p->skipping = true; /* until the header is accepted */
	if (!close)
		return; /* inih reports the syntax error */
	size_t len = (size_t)(close - line - 1);
	char shown[160]; /* written by header_text() only for a message */
	if (kind_parse(line + 1, len, &kind, &name) < 0)
		return parser_error(p, p->line, header_text(shown, line, len),
				    "unknown section (expected [server], [service:NAME], "
				    "[hub:NAME], [auth:NAME], [rule:NAME] or [store])");
	char *name_copy = name ? strndup(name, (size_t)(close - name)) : NULL;
	if (name && !section_name_valid(kind, name_copy)) {
		free(name_copy);
		return parser_error(p, p->line, header_text(shown, line, len),
				    kind == KIND_HUB
					    ? "invalid hub name (" HUB_NAME_RULE ")"
					    : "invalid name (1 to 64 of A-Z a-z 0-9 _ . -)");
	}
	struct section_head *prev = find_section(p->cfg, kind, name_copy);
	if (prev) {
		free(name_copy);
		return parser_error(p, p->line, header_text(shown, line, len),
				    "duplicate section (first on line %d)", prev->line);
	}
	p->section = add_section(p->cfg, kind, name_copy, p->line);
	if (!p->section) {
		free(name_copy);
		return parser_error(p, p->line, header_text(shown, line, len), "out of memory");
	}
	p->kind = kind;
	p->last_key = NULL;
	p->skipping = false;
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
	if (!*p->source || p->stop)
		return NULL;
	const char *nl = strchr(p->source, '\n');
	size_t len = nl ? (size_t)(nl - p->source) + 1 : strlen(p->source);
	p->line++;
	if (len >= (size_t)size) {
		parser_error(p, p->line, NULL,
			     "line longer than %d bytes: continue lists on indented lines, or read "
			     "long values "
			     "from a file",
			     size - 2);
		p->stop = true; /* inih cannot step over it */
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

/* Whether a key's own text may appear in a message. A key name is 1 to 48 of a-z 0-9 _ -, starting
 * with a letter, in words of at most 12 characters: an access key, API key or password pasted alone
 * on a line (inih splits it at its trailing '=') fails that shape, and so does a connection string
 * (Endpoint=...). Key names are not secrets, in [service:NAME] too: values are. */
static bool key_shown(const struct parser *p, const char *name)
{
	size_t len = strlen(name), word = 0;
	(void)p;
	if (len == 0 || len > 48 || name[0] < 'a' || name[0] > 'z' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len)
		return false;
	for (const char *c = name; *c; c++)
		if ((word = (*c == '_' || *c == '-') ? 0 : word + 1) > 12)
			return false;
	return true;
}

/* parser_error() for a key that may be a secret: its text only when key_shown(). */
static void key_error(struct parser *p, const char *name, const char *what)
{
	char where[96] = "";
	if (p->section)
		snprintf(where, sizeof where, " in [%s%s%.64s]", kind_names[p->kind],
			 p->section->name ? ":" : "", p->section->name ? p->section->name : "");
	const char *near =
		p->section && !strcmp(what, "unknown key") ? key_nearest(p->kind, name) : NULL;
	if (key_shown(p, name) && near)
		return parser_error(p, p->line, name, "%s%s; did you mean %s?", what, where, near);
	if (key_shown(p, name))
		return parser_error(p, p->line, name, "%s%s", what, where);
	parser_error(p, p->line, NULL, "%s%s (text withheld: it may be a secret)", what, where);
}

/* Relative paths would depend on the working directory, which is / under systemd. Path keys are
 * file, path, access_log (but stderr), state_directory, admin_socket, listen's unix:PATH and every
 * *_file, in every section. */
static int check_path(struct parser *p, const char *name, const char *value)
{
	size_t len = strlen(name);
	bool path_key = strcmp(name, "file") == 0 || strcmp(name, "path") == 0 ||
			(len > 5 && strcmp(name + len - 5, "_file") == 0) ||
			(strcmp(name, "access_log") == 0 && strcmp(value, "stderr") != 0) ||
			strcmp(name, "state_directory") == 0 || strcmp(name, "admin_socket") == 0;
	const char *path = strcmp(name, "listen") == 0 && strncmp(value, "unix:", 5) == 0
				   ? value + 5
			   : path_key ? value
				      : NULL;
	if (path && *path && *path != '/') {
		parser_error(p, p->line, name, "must be an absolute path");
		return -1;
	}
	return 0;
}

static int continue_value(struct parser *p, const char *name, const char *value)
{
	const struct key_spec *k = p->last_key;
	if (!k || strcmp(k->name, name) != 0 || k->type != KEY_LIST || strchr(value, '=')) {
		if (!key_shown(p, name)) {
			key_error(p, name, "indented line continues the value above");
			return -1;
		}
		parser_error(
			p, p->line, name,
			"indented line continues the value above; only lists (auth, roles, groups, "
			"trusted_proxies, match, cors_origins, ...) continue, so remove the "
			"indentation if this "
			"is a new key");
		return -1;
	}
	return key_set_value(p, k, value);
}

static int add_auth_entry(struct parser *p, const char *name, const char *value)
{
	struct ngd_section *sec = (struct ngd_section *)p->section;
	if (!key_shown(p,
		       name)) { /* no authenticator has such a key: it is text pasted on its own */
		key_error(p, name, "unknown key");
		return -1;
	}
	if (check_path(p, name, value) < 0)
		return -1;
	for (size_t i = 0; i < sec->n_entries; i++)
		if (strcmp(sec->entries[i].key, name) == 0) {
			parser_error(p, p->line, name, "duplicate key (first set on line %d)",
				     sec->entries[i].line);
			return -1;
		}
	struct auth_entry *grown =
		sec->n_entries < 64 ? realloc(sec->entries, (sec->n_entries + 1) * sizeof *grown)
				    : NULL;
	if (!grown) {
		parser_error(p, p->line, name, "too many keys in this section");
		return -1;
	}
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
	if (p->skipping)
		return 1; /* its header is reported already */
	if (!p->section) {
		key_error(p, name, "key outside a known section");
		return 1;
	}
	if (p->continuation &&
	    (p->last_key || p->kind == KIND_AUTH)) { /* auth sections have no lists */
		continue_value(p, name, value);
		return 1;
	}
	if (p->kind == KIND_AUTH) {
		add_auth_entry(p, name, value);
		return 1;
	}
	int idx;
	const struct key_spec *k = key_find(p->kind, name, &idx);
	if (k) {
		if (p->section->seen & (1u << idx)) {
			parser_error(p, p->line, name, "duplicate key (first set on line %d)",
				     p->section->key_line[idx]);
			return 1;
		}
		p->section->seen |= 1u << idx;
		p->section->key_line[idx] = p->line;
		p->last_key = k;
		if (check_path(p, name, value) == 0)
			key_set_value(p, k, value);
		return 1;
	}
	key_error(p, name, "unknown key");
	return 1;
}

void parser_read(struct parser *p)
{
	int syntax_line = ini_parse_stream(read_line, p, handle_key, p);
	if (syntax_line > 0 && !p->stop)
		parser_error(p, syntax_line, NULL,
			     "syntax error (expected 'key = value' or '[section]')");
}
