/* The chain: DECLINED asks the next one, OK and DENY and ERROR stop (nginx's access phase). */
#include "auth/chain.h"

#include "config/config.h"
#include "core/decimal.h"
#include "core/log.h"
#include "core/names.h"
#include "edge/metrics.h"
#include "edge/request.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct ngd_authenticator *const builtins[] = {&auth_anonymous,	 &auth_apikey,	&auth_htpasswd,
							   &auth_trusted_header, &auth_webhook, &auth_jwt};

static const struct ngd_authenticator *type_find(const char *type)
{
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (strcmp(builtins[i]->type, type) == 0)
			return builtins[i];
	return NULL;
}

const char *ngd_section_name(const struct ngd_section *sec)
{
	return sec->head.name;
}

/* Remembers KEY as one the authenticator knows, for a hint at an unknown key. */
static void remember_asked(struct ngd_section *sec, const char *key)
{
	if (sec->n_asked == AUTH_MAX_ASKED || strlen(key) >= sizeof sec->asked[0])
		return;
	for (unsigned i = 0; i < sec->n_asked; i++)
		if (strcmp(sec->asked[i], key) == 0)
			return;
	strcpy(sec->asked[sec->n_asked++], key);
}

const char *ngd_section_get(struct ngd_section *sec, const char *key)
{
	remember_asked(sec, key);
	for (size_t i = 0; i < sec->n_entries; i++)
		if (strcmp(sec->entries[i].key, key) == 0) {
			sec->entries[i].used = true;
			return sec->entries[i].value;
		}
	return NULL;
}

/* The key the authenticator asked for that KEY is likely a typo of, or NULL. */
static const char *asked_nearest(const struct ngd_section *sec, const char *key)
{
	const char *names[AUTH_MAX_ASKED];
	for (unsigned i = 0; i < sec->n_asked; i++)
		names[i] = sec->asked[i];
	return name_nearest(key, names, sec->n_asked);
}

/* A key nobody asked for that is one typo away from one asked for: added to ERR as a line of its
 * own, since a missing required key (its correct spelling) is the error create() reported. */
static void add_typo_hints(const struct ngd_section *sec, char *err, size_t err_len)
{
	for (size_t i = 0; i < sec->n_entries; i++) {
		const char *near = sec->entries[i].used ? NULL : asked_nearest(sec, sec->entries[i].key);
		size_t used = strnlen(err, err_len);
		if (near)
			snprintf(err + used, err_len - used, "\n%s:%d: %s: unknown key; did you mean %s?", sec->file,
				 sec->entries[i].line, sec->entries[i].key, near);
	}
}

void ngd_section_error(struct ngd_section *sec, const char *key, const char *fmt, ...)
{
	char message[384];
	int line = sec->head.line;
	va_list ap;
	if (sec->error)
		return;
	for (size_t i = 0; key && i < sec->n_entries; i++)
		if (strcmp(sec->entries[i].key, key) == 0)
			line = sec->entries[i].line;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	if (asprintf(&sec->error, "%s:%d: %s: %s", sec->file, line, key ? key : "type", message) < 0)
		sec->error = NULL;
}

static int check_unused_keys(struct ngd_section *sec, const char *type)
{
	for (size_t i = 0; i < sec->n_entries; i++)
		if (!sec->entries[i].used) {
			const char *near = asked_nearest(sec, sec->entries[i].key);
			ngd_section_error(sec, sec->entries[i].key, "unknown key for type %s%s%s%s", type,
					  near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
			return -1;
		}
	return 0;
}

/* "anonymous, apikey, ..., plugin" from the table, so that the message never falls behind it. */
static const char *type_names(char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0] && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s, ", builtins[i]->type);
	if (used < len)
		snprintf(out + used, len - used, "plugin");
	return out;
}

/* The type a section names: a built-in, or a plugin's descriptor (its handle in *plugin). */
static const struct ngd_authenticator *section_type(struct ngd_section *sec, const char *type_name, void **plugin)
{
	char known[256];
	const struct ngd_authenticator *type = NULL;
	*plugin = NULL;
	if (!type_name)
		ngd_section_error(sec, NULL, "required in [auth:%s] (one of %s)", sec->head.name,
				  type_names(known, sizeof known));
	else if (strcmp(type_name, "plugin") == 0)
		type = plugin_open(sec, plugin);
	else if (!(type = type_find(type_name)))
		ngd_section_error(sec, "type", "'%.64s' is not a known authenticator (%s)", type_name,
				  type_names(known, sizeof known));
	return type;
}

/* A blocking authenticator's bulkhead: at most max_concurrent requests at once, on threads of its
 * own started on demand, so that its slow peer can hold only them. 0, or -1 after an error. */
static int bulkhead_create(struct ngd_section *sec, const struct auth_limits *limits, struct auth_instance *inst)
{
	const char *v = ngd_section_get(sec, "max_concurrent");
	unsigned max_concurrent = limits->threads + limits->queue, threads;
	if (max_concurrent > AUTH_MAX_CONCURRENT)
		max_concurrent = AUTH_MAX_CONCURRENT;
	if (v && decimal_parse(v, 1, AUTH_MAX_CONCURRENT, &max_concurrent) < 0) {
		ngd_section_error(sec, "max_concurrent", "'%.32s' is not a whole number from 1 to %d", v,
				  AUTH_MAX_CONCURRENT);
		return -1;
	}
	threads = max_concurrent < limits->threads ? max_concurrent : limits->threads;
	inst->pool = pool_new("auth", sec->head.name, inst->type->type, threads, max_concurrent - threads);
	if (inst->pool)
		return 0;
	ngd_section_error(sec, NULL, "out of memory");
	return -1;
}

static bool may_block(const struct ngd_authenticator *type, void *plugin)
{
	return (type->flags & NGD_AUTH_MAY_BLOCK) || (!plugin && (type->flags & AUTH_MAY_DEFER));
}

struct auth_instance *auth_instance_create(struct ngd_section *sec, const struct auth_limits *limits, char *err,
					   size_t err_len)
{
	const char *type_name = ngd_section_get(sec, "type");
	void *plugin;
	const struct ngd_authenticator *type = section_type(sec, type_name, &plugin);
	struct auth_instance *inst = NULL;
	if (type && (inst = calloc(1, sizeof *inst)))
		*inst = (struct auth_instance){.type = type,
					       .name = sec->head.name,
					       .metrics_slot = metrics_auth_slot(sec->head.name),
					       .plugin = plugin};
	if (inst && (!may_block(type, plugin) || bulkhead_create(sec, limits, inst) == 0))
		inst->state = type->create(sec);
	if (inst && !inst->state && plugin && !sec->error)
		ngd_section_error(sec, "path", "the plugin's create() failed without saying why");
	if (inst && inst->state && check_unused_keys(sec, type_name) == 0)
		return inst;
	bool inst_failed_in_create = inst && !inst->state;
	if (inst && inst->state)
		type->destroy(inst->state);
	if (inst)
		pool_free(inst->pool);
	free(inst);
	plugin_close(plugin);
	snprintf(err, err_len, "%s", sec->error ? sec->error : "out of memory");
	if (inst_failed_in_create)
		add_typo_hints(sec, err, err_len);
	return NULL;
}

int auth_instance_attributes(const struct auth_instance *inst, const char **names, size_t cap)
{
	static const char *const header_attrs[] = {"groups", "client_dn", "email"}; /* trusted_header.c */
	if (inst->type == &auth_jwt)
		return (int)jwt_attribute_names(inst->state, names, cap);
	if (inst->type == &auth_anonymous || inst->type == &auth_apikey || inst->type == &auth_htpasswd)
		return 0; /* a user id only */
	if (inst->type != &auth_trusted_header)
		return -1;
	size_t n = 0;
	for (; n < cap && n < sizeof header_attrs / sizeof header_attrs[0]; n++)
		names[n] = header_attrs[n];
	return (int)n;
}

void auth_instance_free(struct auth_instance *inst)
{
	if (!inst)
		return;
	pool_free(inst->pool); /* idle by now: every request that used it held the runtime */
	inst->type->destroy(inst->state);
	plugin_close(inst->plugin); /* after destroy: the plugin's code runs until then */
	free(inst);
}

int ngd_outcome_set_user(struct ngd_outcome *out, const char *user_id)
{
	if (!user_id || !user_id_valid(user_id))
		return -1;
	snprintf(out->principal.user_id, sizeof out->principal.user_id, "%s", user_id);
	return 0;
}

int ngd_outcome_add_attribute(struct ngd_outcome *out, const char *name, const char *value)
{
	struct principal *p = &out->principal;
	if (p->n_attrs == NGD_MAX_ATTRIBUTES || !name || !value || !text_valid(name, NGD_MAX_ATTRIBUTE) ||
	    !text_valid(value, NGD_MAX_ATTRIBUTE))
		return -1;
	struct attribute a = {strdup(name), strdup(value)};
	if (!a.name || !a.value) {
		free(a.name);
		free(a.value);
		return -1;
	}
	p->attrs[p->n_attrs++] = a;
	return 0;
}

/* A stable error code: what a client and the audit line may be shown of a plugin's refusal. */
static bool deny_code_valid(const char *code)
{
	size_t len = code ? strnlen(code, NGD_MAX_DENY_CODE + 1) : 0;
	return len > 0 && len <= NGD_MAX_DENY_CODE && strspn(code, "abcdefghijklmnopqrstuvwxyz_") == len;
}

/* Everything is copied and checked: a plugin may pass stack buffers, NULL or garbage. */
void ngd_outcome_deny(struct ngd_outcome *out, int status, const char *code, const char *message)
{
	bool code_ok = deny_code_valid(code);
	out->deny_status = status == 403 ? 403 : 401;
	snprintf(out->deny_code, sizeof out->deny_code, "%s", code_ok ? code : "invalid_credentials");
	if (code_ok && message && text_valid(message, sizeof out->deny_message - 1))
		snprintf(out->deny_message, sizeof out->deny_message, "%s", message);
	else
		snprintf(out->deny_message, sizeof out->deny_message, "the credentials were not accepted");
}

void outcome_clear(struct ngd_outcome *out)
{
	for (size_t i = 0; i < out->principal.n_attrs; i++) {
		free(out->principal.attrs[i].name);
		free(out->principal.attrs[i].value);
	}
	/* reset what is read, not the whole 2 KiB: it runs on every request */
	out->principal.n_attrs = 0;
	out->principal.user_id[0] = '\0';
	out->principal.authenticator = NULL;
	out->deny_status = 0;
	out->deny_code[0] = '\0';
	out->deny_message[0] = '\0';
}

/* Stops the chain at the authenticator it is at: it continues there on POOL's thread. */
static enum ngd_auth_result wait_on(struct pool *pool, struct ngd_outcome *out, struct pool **wait)
{
	outcome_clear(out);
	*wait = pool;
	return NGD_AUTH_ERROR; /* fails closed should anything ignore the wait */
}

/* What one authenticator said, as the chain answers it. */
static enum ngd_auth_result decided(const struct auth_instance *inst, enum ngd_auth_result r, struct ngd_outcome *out)
{
	if (r == NGD_AUTH_OK && !out->principal.user_id[0])
		r = NGD_AUTH_ERROR; /* OK must name the caller: anything else fails closed */
	metrics_auth(inst->metrics_slot, r);
	out->principal.authenticator = inst->name; /* who admitted, refused or failed, for the log */
	if (r != NGD_AUTH_OK)
		out->principal.user_id[0] = '\0'; /* a refused caller has no user id, even in the log */
	if (r == NGD_AUTH_DENY && !out->deny_code[0])
		ngd_outcome_deny(out, 401, "invalid_credentials", "the credentials were not accepted");
	return r;
}

enum ngd_auth_result auth_chain_run(struct auth_instance *const *chain, size_t n, size_t *at, const struct pool *here,
				    const struct ngd_request *req, struct ngd_outcome *out, struct pool **wait)
{
	*wait = NULL;
	for (; *at < n; (*at)++) {
		const struct auth_instance *inst = chain[*at];
		bool own = here && inst->pool == here;
		if ((inst->type->flags & NGD_AUTH_MAY_BLOCK) && !own)
			return wait_on(inst->pool, out, wait);
		out->may_block = own;
		out->defer = false;
		enum ngd_auth_result r = inst->type->authenticate(inst->state, req, out);
		if (out->defer && !own && inst->pool)
			return wait_on(inst->pool, out, wait);
		if (out->defer)
			r = NGD_AUTH_ERROR; /* asked to block where it already may: fail closed */
		if (r != NGD_AUTH_DECLINED)
			return decided(inst, r, out);
		metrics_auth(inst->metrics_slot, r);
		outcome_clear(out); /* nothing a declining authenticator set may leak into the next */
	}
	ngd_outcome_deny(out, 401, "unauthenticated", "no credentials that this hub accepts were presented");
	return NGD_AUTH_DENY;
}
