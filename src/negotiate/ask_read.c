/* SPDX-License-Identifier: Apache-2.0 */
/* The client's ask as written, in the query or the body: the HTTP side of policy/ask.c. */
#include "negotiate/ask_read.h"

static void read_list(const struct ngd_request *req, json_t *body, const char *query_name,
		      const char *body_name, struct ask_list_text *out)
{
	unsigned in_query = 0;
	json_t *in_body = body ? json_object_get(body, body_name) : NULL;
	request_query(req, query_name, &in_query);
	/* field by field: items (512 bytes) is written only as far as count, on every request */
	out->in_both = in_query && in_body;
	out->place = ASK_NOWHERE;
	if (in_body)
		out->place = ASK_IN_BODY;
	else if (in_query)
		out->place = ASK_IN_QUERY;
	out->not_array = in_body && !json_is_array(in_body);
	out->count = in_body ? json_array_size(in_body) : in_query;
	if (out->in_both || out->not_array || out->count > NGD_MAX_ASK_LIST)
		return;
	for (size_t i = 0; i < out->count; i++)
		out->items[i] = in_body ? json_string_value(json_array_get(in_body, i))
					: request_query_at(req, query_name, (unsigned)i);
}

/* One value under either of two names (names[1] may be NULL), in the query or the body. */
static void read_value(const struct ngd_request *req, json_t *body, const char *const names[2],
		       struct ask_value_text *out)
{
	const char *query = NULL;
	json_t *from_body = NULL;
	*out = (struct ask_value_text){0};
	for (int i = 0; i < 2 && names[i]; i++) {
		unsigned count = 0;
		const char *v = request_query(req, names[i], &count);
		json_t *b = body ? json_object_get(body, names[i]) : NULL;
		if (count > 1 || ((v || b) && (query || from_body)) || (v && b))
			out->repeated = true;
		query = v ? v : query;
		from_body = b ? b : from_body;
	}
	if (out->repeated)
		return;
	out->place = ASK_NOWHERE;
	if (from_body)
		out->place = ASK_IN_BODY;
	else if (query)
		out->place = ASK_IN_QUERY;
	out->text = from_body ? json_string_value(from_body) : query;
	out->is_integer = json_is_integer(from_body);
	out->number = out->is_integer ? (long long)json_integer_value(from_body) : 0;
}

void ask_read(const struct ngd_request *req, json_t *body, struct ask_text *out)
{
	static const char *const minutes[2] = {"expirationTimeInMinutes", "minutesToExpire"};
	static const char *const protocol[2] = {"clientProtocol", NULL};
	out->user_id_in_body = body && json_object_get(body, "userId");
	read_list(req, body, "role", "roles", &out->roles);
	read_list(req, body, "group", "groups", &out->groups);
	read_value(req, body, minutes, &out->minutes);
	read_value(req, body, protocol, &out->protocol);
}
