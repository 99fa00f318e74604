/* SPDX-License-Identifier: Apache-2.0 */
/* The authenticator types (built-ins and plugins) and their instances, each blocking one with its
 * own pool (a bulkhead). */
#include "auth/registry.h"

#include "config/config.h"
#include "core/decimal.h"
#include "edge/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct ngd_authenticator *const builtins[] = {&auth_anonymous, &auth_apikey,
							   &auth_htpasswd,  &auth_trusted_header,
							   &auth_webhook,   &auth_jwt};

static const struct ngd_authenticator *type_find(const char *type)
{
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (strcmp(builtins[i]->type, type) == 0)
			return builtins[i];
	return NULL;
}

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
static const struct ngd_authenticator *section_type(struct ngd_section *sec, const char *type_name,
						    void **plugin)
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
		ngd_section_error(sec, "type", "'%.64s' is not a known authenticator (%s)",
				  type_name, type_names(known, sizeof known));
	return type;
}

/* A blocking authenticator's bulkhead: at most max_concurrent requests at once, on threads of its
 * own started on demand, so that its slow peer can hold only them. 0, or -1 after an error. */
static int bulkhead_create(struct ngd_section *sec, const struct auth_limits *limits,
			   struct auth_instance *inst)
{
	const char *v = ngd_section_get(sec, "max_concurrent");
	unsigned max_concurrent = limits->threads + limits->queue, threads;
	if (max_concurrent > AUTH_MAX_CONCURRENT)
		max_concurrent = AUTH_MAX_CONCURRENT;
	if (v && decimal_parse(v, 1, AUTH_MAX_CONCURRENT, &max_concurrent) < 0) {
		ngd_section_error(sec, "max_concurrent",
				  "'%.32s' is not a whole number from 1 to %d", v,
				  AUTH_MAX_CONCURRENT);
		return -1;
	}
	threads = max_concurrent < limits->threads ? max_concurrent : limits->threads;
	inst->pool = pool_new("auth", sec->head.name, inst->type->type, threads,
			      max_concurrent - threads);
	if (inst->pool)
		return 0;
	ngd_section_error(sec, NULL, "out of memory");
	return -1;
}

static bool may_block(const struct ngd_authenticator *type, void *plugin)
{
	return (type->flags & NGD_AUTH_MAY_BLOCK) || (!plugin && (type->flags & AUTH_MAY_DEFER));
}

struct auth_instance *auth_instance_create(struct ngd_section *sec,
					   const struct auth_limits *limits, char *err,
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
	if (inst && inst->state && section_check_unused(sec, type_name) == 0)
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
		section_add_typo_hints(sec, err, err_len);
	return NULL;
}

int auth_instance_attributes(const struct auth_instance *inst, const char **names, size_t cap)
{
	if (inst->type == &auth_jwt)
		return (int)jwt_attribute_names(inst->state, names, cap);
	if (inst->type == &auth_anonymous || inst->type == &auth_apikey ||
	    inst->type == &auth_htpasswd)
		return 0; /* a user id only */
	if (inst->type != &auth_trusted_header)
		return -1;
	return (int)trusted_header_attribute_names(inst->state, names, cap);
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
