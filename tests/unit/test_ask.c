/* SPDX-License-Identifier: Apache-2.0 */
/* The client's ask checked as plain text, with no request and no reply (policy/ask.c). */
#include "policy/ask.h"
#include "tap.h"

/* A list given as n values at place; values beyond the array are only counted. */
static struct ask_list_text list(enum ask_place place, size_t n, const char *const *values)
{
	struct ask_list_text l = {.place = place, .count = n};
	for (size_t i = 0; i < n && i < NGD_MAX_ASK_LIST; i++)
		l.items[i] = values ? values[i] : "webpubsub.sendToGroup";
	return l;
}

static void refused(const struct ask_text *t, const char *code, const char *message,
		    const char *what)
{
	struct policy_ask ask;
	struct ask_refusal why = {0};
	int rc = ask_check(t, &ask, &why);
	ok(rc == -1, "%s: refused", what);
	is_str(rc == -1 ? why.code : NULL, code, "%s: code", what);
	is_str(rc == -1 ? why.message : NULL, message, "%s: message", what);
}

static void lists(void)
{
	static const char *const roles[] = {"webpubsub.joinLeaveGroup.lobby",
					    "webpubsub.sendToGroup"};
	static const char *const groups[] = {"lobby", "a b"};
	static const char *const bad_role[] = {"webpubsub.joinLeaveGroup.lobby", "admin\x01"};
	static const char *const empty[] = {NULL};
	struct ask_text t = {.roles = list(ASK_IN_QUERY, 2, roles),
			     .groups = list(ASK_IN_BODY, 2, groups)};
	struct policy_ask ask;
	struct ask_refusal why;
	ok(ask_check(&t, &ask, &why) == 0 && ask.n_roles == 2 && ask.n_groups == 2 &&
		   ask.roles_asked && ask.groups_asked && ask.roles[1] == roles[1] &&
		   ask.groups[0] == groups[0],
	   "roles from the query and groups from the body pass, pointing into the text");
	t = (struct ask_text){0};
	ok(ask_check(&t, &ask, &why) == 0 && !ask.roles_asked && !ask.groups_asked &&
		   !ask.minutes && !ask.protocol_asked,
	   "an empty ask asks for nothing");
	t = (struct ask_text){.roles = list(ASK_IN_BODY, 0, NULL)};
	ok(ask_check(&t, &ask, &why) == 0 && ask.roles_asked && ask.n_roles == 0,
	   "an empty list asks for none");
	t = (struct ask_text){.roles = list(ASK_IN_BODY, 1, NULL)};
	t.roles.in_both = true;
	refused(&t, "invalid_parameter", "roles is given in both the query and the body",
		"roles in both places");
	t = (struct ask_text){.groups = list(ASK_IN_BODY, 0, NULL)};
	t.groups.not_array = true;
	refused(&t, "invalid_body", "groups must be an array of strings", "groups not an array");
	t = (struct ask_text){.roles = list(ASK_IN_QUERY, NGD_MAX_ROLES + 1, NULL)};
	refused(&t, "invalid_parameter", "more than 64 role parameters", "65 roles in the query");
	t = (struct ask_text){.groups = list(ASK_IN_BODY, NGD_MAX_GROUPS + 1, NULL)};
	refused(&t, "invalid_body", "more than 64 groups", "65 groups in the body");
	t = (struct ask_text){.roles = list(ASK_IN_QUERY, 1, empty)};
	refused(&t, "invalid_parameter", "empty role", "an empty role in the query");
	t = (struct ask_text){.roles = list(ASK_IN_BODY, 1, empty)};
	refused(&t, "invalid_body", "roles must be an array of strings",
		"a role in the body that is no string");
	t = (struct ask_text){.roles = list(ASK_IN_BODY, 2, bad_role)};
	refused(&t, "invalid_parameter",
		"role number 2 is not a valid role (webpubsub.joinLeaveGroup[.GROUP], ...)",
		"an unknown role is named by position, not echoed");
	t = (struct ask_text){.groups = list(ASK_IN_QUERY, 2, (const char *const[]){"lobby", ""})};
	refused(&t, "invalid_parameter", "group number 2 is not a valid group name",
		"an invalid group name");
}

static void minutes(void)
{
	struct policy_ask ask;
	struct ask_refusal why;
	struct ask_text t = {.minutes = {.place = ASK_IN_QUERY, .text = "30"}};
	ok(ask_check(&t, &ask, &why) == 0 && ask.minutes == 30, "minutes from the query");
	t = (struct ask_text){.minutes = {.place = ASK_IN_BODY, .is_integer = true, .number = 90}};
	ok(ask_check(&t, &ask, &why) == 0 && ask.minutes == 90, "minutes from the body");
	const char *bad[] = {"0", "-1", "1.5", "abc", "", "1000000000"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t = (struct ask_text){.minutes = {.place = ASK_IN_QUERY, .text = bad[i]}};
		refused(&t, "invalid_parameter",
			"expirationTimeInMinutes must be whole minutes from 1", bad[i]);
	}
	long long numbers[] = {0, -5, 1000000000LL};
	for (size_t i = 0; i < 3; i++) {
		t = (struct ask_text){.minutes = {.place = ASK_IN_BODY,
						  .is_integer = true,
						  .number = numbers[i]}};
		refused(&t, "invalid_body", "expirationTimeInMinutes must be whole minutes from 1",
			"body number");
	}
	t = (struct ask_text){.minutes = {.place = ASK_IN_BODY, .text = "30"}};
	refused(&t, "invalid_body", "expirationTimeInMinutes must be whole minutes from 1",
		"a string in the body");
	t = (struct ask_text){.minutes = {.repeated = true}};
	refused(&t, "invalid_parameter", "expirationTimeInMinutes is given more than once",
		"minutes twice");
}

static void protocol(void)
{
	struct policy_ask ask;
	struct ask_refusal why;
	struct ask_text t = {.protocol = {.place = ASK_IN_QUERY, .text = "socketio"}};
	ok(ask_check(&t, &ask, &why) == 0 && ask.protocol_asked &&
		   ask.protocol == PROTOCOL_SOCKETIO,
	   "clientProtocol=socketio");
	t = (struct ask_text){.protocol = {.place = ASK_IN_BODY, .text = "mqtt"}};
	ok(ask_check(&t, &ask, &why) == 0 && ask.protocol == PROTOCOL_MQTT,
	   "clientProtocol mqtt in the body");
	t = (struct ask_text){.protocol = {.place = ASK_IN_QUERY, .text = "websocket"}};
	refused(&t, "invalid_parameter", "clientProtocol must be default, mqtt or socketio",
		"an unknown protocol");
	t = (struct ask_text){.protocol = {.place = ASK_IN_BODY, .is_integer = true, .number = 1}};
	refused(&t, "invalid_body", "clientProtocol must be a string",
		"a protocol that is no string");
	t = (struct ask_text){.protocol = {.repeated = true}};
	refused(&t, "invalid_parameter", "clientProtocol is given more than once",
		"protocol twice");
}

static void order(void)
{
	struct ask_text t = {.user_id_in_body = true,
			     .roles = list(ASK_IN_QUERY, NGD_MAX_ROLES + 1, NULL)};
	refused(&t, "invalid_body",
		"userId cannot be chosen by the client: the user id comes from authentication",
		"userId in the body comes first");
	t = (struct ask_text){.roles = list(ASK_IN_QUERY, 1, (const char *const[]){""}),
			      .minutes = {.repeated = true}};
	refused(&t, "invalid_parameter",
		"role number 1 is not a valid role (webpubsub.joinLeaveGroup[.GROUP], ...)",
		"roles are checked before the lifetime");
}

int main(void)
{
	lists();
	minutes();
	protocol();
	order();
	return tap_done();
}
