/* The client's ask: every name validated and every list capped before the policy sees it. */
#include "policy/ask.h"

#include "core/decimal.h"
#include "core/names.h"

#include <stdbool.h>
#include <string.h>

struct list_spec {
	const char *query, *body, *what; /* "role", "roles", "role" */
	size_t max;
	bool (*valid)(const char *);
};

static const struct list_spec role_list = {"role", "roles", "role", NGD_MAX_ROLES, role_valid};
static const struct list_spec group_list = {"group", "groups", "group", NGD_MAX_GROUPS, group_name_valid};

static int check_item(const struct list_spec *spec, const char *value, size_t index, struct reply *reply)
{
	if (spec->valid(value))
		return 0;
	/* the value is not echoed: it may not even be printable */
	reply_error(reply, 400, "invalid_parameter", "%s number %zu is not a valid %s%s", spec->what, index + 1,
		    spec->what, spec->valid == role_valid ? " (webpubsub.joinLeaveGroup[.GROUP], ...)" : " name");
	return -1;
}

static int list_from_query(const struct ngd_request *req, const struct list_spec *spec, unsigned count,
			   const char **items, size_t *n, struct reply *reply)
{
	if (count > spec->max)
		return reply_error(reply, 400, "invalid_parameter", "more than %zu %s parameters", spec->max,
				   spec->query),
		       -1;
	for (unsigned i = 0; i < count; i++) {
		const char *value = request_query_at(req, spec->query, i);
		if (!value || check_item(spec, value, i, reply) < 0)
			return value ? -1 : (reply_error(reply, 400, "invalid_parameter", "empty %s", spec->query), -1);
		items[(*n)++] = value;
	}
	return 0;
}

static int list_from_body(json_t *array, const struct list_spec *spec, const char **items, size_t *n,
			  struct reply *reply)
{
	if (!json_is_array(array))
		return reply_error(reply, 400, "invalid_body", "%s must be an array of strings", spec->body), -1;
	if (json_array_size(array) > spec->max)
		return reply_error(reply, 400, "invalid_body", "more than %zu %s", spec->max, spec->body), -1;
	for (size_t i = 0; i < json_array_size(array); i++) {
		const char *value = json_string_value(json_array_get(array, i));
		if (!value)
			return reply_error(reply, 400, "invalid_body", "%s must be an array of strings", spec->body),
			       -1;
		if (check_item(spec, value, i, reply) < 0)
			return -1;
		items[(*n)++] = value;
	}
	return 0;
}

static int ask_list(const struct ngd_request *req, json_t *body, const struct list_spec *spec, const char **items,
		    size_t *n, bool *asked, struct reply *reply)
{
	unsigned in_query = 0;
	json_t *in_body = body ? json_object_get(body, spec->body) : NULL;
	request_query(req, spec->query, &in_query);
	if (in_query && in_body)
		return reply_error(reply, 400, "invalid_parameter", "%s is given in both the query and the body",
				   spec->body),
		       -1;
	*asked = in_query || in_body;
	return in_body ? list_from_body(in_body, spec, items, n, reply)
		       : list_from_query(req, spec, in_query, items, n, reply);
}

/* One value from the query (under either name) or the body; NULL when absent. */
static int one_value(const struct ngd_request *req, json_t *body, const char *const names[2], const char **query,
		     json_t **from_body, struct reply *reply)
{
	unsigned count[2] = {0, 0};
	*query = NULL, *from_body = NULL;
	for (int i = 0; i < 2 && names[i]; i++) {
		const char *v = request_query(req, names[i], &count[i]);
		json_t *b = body ? json_object_get(body, names[i]) : NULL;
		if (count[i] > 1 || (v && (*query || *from_body)) || (b && (*query || *from_body)) || (v && b))
			return reply_error(reply, 400, "invalid_parameter", "%s is given more than once", names[0]), -1;
		*query = v ? v : *query;
		*from_body = b ? b : *from_body;
	}
	return 0;
}

static int ask_minutes(const struct ngd_request *req, json_t *body, unsigned *minutes, struct reply *reply)
{
	static const char *const names[2] = {"expirationTimeInMinutes", "minutesToExpire"};
	const char *q;
	json_t *b;
	if (one_value(req, body, names, &q, &b, reply) < 0)
		return -1;
	if (q && decimal_parse(q, 1, NGD_MAX_ASKED_MINUTES, minutes) < 0)
		return reply_error(reply, 400, "invalid_parameter", "%s must be whole minutes from 1", names[0]), -1;
	if (b && (!json_is_integer(b) || json_integer_value(b) < 1 ||
		  json_integer_value(b) > (json_int_t)NGD_MAX_ASKED_MINUTES))
		return reply_error(reply, 400, "invalid_body", "%s must be whole minutes from 1", names[0]), -1;
	if (b)
		*minutes = (unsigned)json_integer_value(b);
	return 0;
}

static int ask_protocol(const struct ngd_request *req, json_t *body, struct policy_ask *ask, struct reply *reply)
{
	static const char *const names[2] = {"clientProtocol", NULL};
	const char *q;
	json_t *b;
	if (one_value(req, body, names, &q, &b, reply) < 0)
		return -1;
	if (b && !json_is_string(b))
		return reply_error(reply, 400, "invalid_body", "clientProtocol must be a string"), -1;
	const char *name = q ? q : json_string_value(b);
	ask->protocol_asked = name != NULL;
	if (name && client_protocol_parse(name, &ask->protocol) < 0)
		return reply_error(reply, 400, "invalid_parameter", "clientProtocol must be default, mqtt or socketio"),
		       -1;
	return 0;
}

int ask_parse(const struct ngd_request *req, json_t *body, struct client_ask *out, struct reply *reply)
{
	struct policy_ask *a = &out->ask;
	*a = (struct policy_ask){.roles = out->roles, .groups = out->groups};
	if (body && json_object_get(body, "userId"))
		return reply_error(reply, 400, "invalid_body",
				   "userId cannot be chosen by the client: the user id comes from authentication"),
		       -1;
	if (ask_list(req, body, &role_list, out->roles, &a->n_roles, &a->roles_asked, reply) < 0 ||
	    ask_list(req, body, &group_list, out->groups, &a->n_groups, &a->groups_asked, reply) < 0 ||
	    ask_minutes(req, body, &a->minutes, reply) < 0 || ask_protocol(req, body, a, reply) < 0)
		return -1;
	return 0;
}
