/* The service's name rules, as a table. */
#include "tap.h"
#include "names.h"

#include <stdlib.h>

static char *repeat(char c, size_t n, const char *prefix)
{
	char *s = malloc(strlen(prefix) + n + 1);
	strcpy(s, prefix);
	memset(s + strlen(prefix), c, n);
	s[strlen(prefix) + n] = '\0';
	return s;
}

int main(void)
{
	static const struct {
		const char *name;
		bool valid;
	} hubs[] = {
		{"chat", true}, {"Chat_1", true}, {"a`,.[]", true}, {"1chat", false}, {"", false},
		{"_x", false},	{"a b", false},	  {"a-b", false},   {"a/b", false},   {"h\xc3\xa9", false},
	};
	for (size_t i = 0; i < sizeof hubs / sizeof hubs[0]; i++)
		ok(hub_name_valid(hubs[i].name) == hubs[i].valid, "hub '%s' %s", hubs[i].name,
		   hubs[i].valid ? "valid" : "invalid");
	char *h128 = repeat('a', 128, ""), *h129 = repeat('a', 129, "");
	ok(hub_name_valid(h128) && !hub_name_valid(h129), "hub names stop at 128 characters");

	static const struct {
		const char *name;
		bool valid;
	} groups[] = {
		{"room1", true},     {"with space", true}, {"\xc3\xa9t\xc3\xa9", true},
		{"*", true},	     {"", false},	   {"   ", false},
		{"a\nb", false},     {"\xc3", false},	   {"\xed\xa0\x80", false},
		{"\xc0\xaf", false},
	};
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
		ok(group_name_valid(groups[i].name) == groups[i].valid, "group %zu %s", i,
		   groups[i].valid ? "valid" : "invalid");
	char *g1024 = repeat('g', 1024, ""), *g1025 = repeat('g', 1025, "");
	ok(group_name_valid(g1024) && !group_name_valid(g1025), "group names stop at 1024 bytes");

	static const struct {
		const char *role;
		bool valid;
	} roles[] = {
		{"webpubsub.joinLeaveGroup", true},
		{"webpubsub.sendToGroup", true},
		{"webpubsub.joinLeaveGroup.room1", true},
		{"webpubsub.sendToGroup.*", true},
		{"webpubsub.joinLeaveGroups.chat.**", true},
		{"webpubsub.sendToGroups.a\\*b.?", true},
		{"webpubsub.sendToGroups.*.*.*.*.*.*", false},
		{"webpubsub.sendToGroups.x\\", false},
		{"webpubsub.joinLeaveGroup.", false},
		{"webpubsub.sendToGroups.", false},
		{"webpubsub.fly", false},
		{"admin", false},
		{"webpubsub.sendToGroup.a\tb", false},
	};
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		ok(role_valid(roles[i].role) == roles[i].valid, "role '%s' %s", roles[i].role,
		   roles[i].valid ? "valid" : "invalid");

	char *u512 = repeat('u', 512, ""), *u513 = repeat('u', 513, "");
	ok(user_id_valid("alice") && user_id_valid(u512) && !user_id_valid(u513) && !user_id_valid("") &&
		   !user_id_valid("a\x7f"),
	   "user ids: 1 to 512 bytes, no control characters");
	free(h128), free(h129), free(g1024), free(g1025), free(u512), free(u513);
	return tap_done();
}
