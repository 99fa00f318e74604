/* SPDX-License-Identifier: Apache-2.0 */
/* The client's ask: every name validated and every list capped before the policy sees it. */
#include "policy/ask.h"

#include "core/decimal.h"
#include "core/names.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct list_spec {
	const char *query, *body, *what; /* "role", "roles", "role" */
	size_t max;
	bool (*valid)(const char *);
};

static const struct list_spec role_list = {"role", "roles", "role", NGD_MAX_ROLES, role_valid};
static const struct list_spec group_list = {"group", "groups", "group", NGD_MAX_GROUPS,
					    group_name_valid};

static int refuse(struct ask_refusal *why, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct ask_refusal *why, const char *code, const char *fmt, ...)
{
	va_list ap;
	why->code = code;
	va_start(ap, fmt);
	vsnprintf(why->message, sizeof why->message, fmt, ap);
	va_end(ap);
	return -1;
}

static int check_item(const struct list_spec *spec, enum ask_place place, const char *value,
		      size_t index, struct ask_refusal *why)
{
	if (!value)
		return place == ASK_IN_BODY
			       ? refuse(why, "invalid_body", "%s must be an array of strings",
					spec->body)
			       : refuse(why, "invalid_parameter", "empty %s", spec->query);
	if (spec->valid(value))
		return 0;
	/* the value is not echoed: it may not even be printable */
	return refuse(why, "invalid_parameter", "%s number %zu is not a valid %s%s", spec->what,
		      index + 1, spec->what,
		      spec->valid == role_valid ? " (webpubsub.joinLeaveGroup[.GROUP], ...)"
						: " name");
}

static int check_list(const struct list_spec *spec, const struct ask_list_text *list, size_t *n,
		      bool *asked, struct ask_refusal *why)
{
	enum ask_place place = list->place;
	if (list->in_both)
		return refuse(why, "invalid_parameter",
			      "%s is given in both the query and the body", spec->body);
	*asked = place != ASK_NOWHERE;
	if (list->not_array) /* only a body's value can be no array */
		return refuse(why, "invalid_body", "%s must be an array of strings", spec->body);
	if (list->count > spec->max)
		return place == ASK_IN_BODY
			       ? refuse(why, "invalid_body", "more than %zu %s", spec->max,
					spec->body)
			       : refuse(why, "invalid_parameter", "more than %zu %s parameters",
					spec->max, spec->query);
	for (size_t i = 0; i < list->count; i++)
		if (check_item(spec, place, list->items[i], i, why) < 0)
			return -1;
	*n = list->count;
	return 0;
}

static int check_minutes(const struct ask_value_text *v, unsigned *minutes, struct ask_refusal *why)
{
	static const char name[] = "expirationTimeInMinutes";
	if (v->repeated)
		return refuse(why, "invalid_parameter", "%s is given more than once", name);
	if (v->place == ASK_IN_QUERY &&
	    decimal_parse(v->text, 1, NGD_MAX_ASKED_MINUTES, minutes) < 0)
		return refuse(why, "invalid_parameter", "%s must be whole minutes from 1", name);
	if (v->place == ASK_IN_BODY &&
	    (!v->is_integer || v->number < 1 || v->number > NGD_MAX_ASKED_MINUTES))
		return refuse(why, "invalid_body", "%s must be whole minutes from 1", name);
	if (v->place == ASK_IN_BODY)
		*minutes = (unsigned)v->number;
	return 0;
}

static int check_protocol(const struct ask_value_text *v, struct policy_ask *ask,
			  struct ask_refusal *why)
{
	if (v->repeated)
		return refuse(why, "invalid_parameter", "clientProtocol is given more than once");
	if (v->place == ASK_IN_BODY && !v->text)
		return refuse(why, "invalid_body", "clientProtocol must be a string");
	ask->protocol_asked = v->place != ASK_NOWHERE;
	if (ask->protocol_asked && client_protocol_parse(v->text, &ask->protocol) < 0)
		return refuse(why, "invalid_parameter",
			      "clientProtocol must be default, mqtt or socketio");
	return 0;
}

bool ask_parameter_known(const char *name, bool in_body, const char **near)
{
	static const char *const known[2][7] = {{"hub", "role", "group", "expirationTimeInMinutes",
						 "minutesToExpire", "clientProtocol", "userId"},
						{"hub", "roles", "groups",
						 "expirationTimeInMinutes", "minutesToExpire",
						 "clientProtocol", "userId"}};
	const char *const *names = known[in_body];
	for (size_t i = 0; i < 7; i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	if (near)
		*near = name_nearest(name, names, 7);
	return false;
}

bool ask_parameter_name_ok(const char *name)
{
	size_t len = strlen(name);
	return len > 0 && len <= 40 &&
	       strspn(name,
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-[]") == len;
}

int ask_check(const struct ask_text *text, struct policy_ask *out, struct ask_refusal *why)
{
	*out = (struct policy_ask){.roles = text->roles.items, .groups = text->groups.items};
	if (text->user_id_in_body)
		return refuse(why, "invalid_body",
			      "userId cannot be chosen by the client: the user id comes from "
			      "authentication");
	if (check_list(&role_list, &text->roles, &out->n_roles, &out->roles_asked, why) < 0 ||
	    check_list(&group_list, &text->groups, &out->n_groups, &out->groups_asked, why) < 0 ||
	    check_minutes(&text->minutes, &out->minutes, why) < 0 ||
	    check_protocol(&text->protocol, out, why) < 0)
		return -1;
	const char *over = roles_over_pattern_cap(out->roles, out->n_roles);
	if (over)
		return refuse(
			why, "invalid_parameter",
			"more than %d %sPATTERN roles: the service reads at most %d per token",
			NGD_MAX_PATTERN_ROLES, over, NGD_MAX_PATTERN_ROLES);
	return 0;
}
