/* SPDX-License-Identifier: Apache-2.0 */
/* The service's name rules, as a table. */
#include "core/caps.h"
#include "core/names.h"
#include "tap.h"

#include <stdlib.h>

static char *repeat(char c, size_t n, const char *prefix)
{
	char *s = malloc(strlen(prefix) + n + 1);
	strcpy(s, prefix);
	memset(s + strlen(prefix), c, n);
	s[strlen(prefix) + n] = '\0';
	return s;
}

struct name_case {
	const char *name;
	bool valid;
};

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

static void check(const char *what, bool (*valid)(const char *), const struct name_case *cases,
		  size_t n)
{
	for (size_t i = 0; i < n; i++) /* names with control bytes would break the TAP line */
		ok(valid(cases[i].name) == cases[i].valid, "%s %zu '%s' %s", what, i,
		   printable(cases[i].name) ? cases[i].name : "(not printable)",
		   cases[i].valid ? "valid" : "invalid");
}

/* "did you mean": distances counted up to 3, and only near names suggested. */
static void test_nearest(void)
{
	static const char *const keys[] = {"connection_string", "auth", "issuer",
					   "attribute_claims", "AccessKey"};
	static const struct {
		const char *typo, *want;
	} cases[] = {
		{"connection_strng", "connection_string"},
		{"conection_string", "connection_string"},
		{"auht", "auth"},
		{"aut", "auth"},
		{"isuer", "issuer"},
		{"atribute_claims", "attribute_claims"},
		{"AccesKey", "AccessKey"},
		{"colour", NULL},
		{"a", NULL},
		{"ath", "auth"},
		{"xyzw", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *got = name_nearest(cases[i].typo, keys, sizeof keys / sizeof keys[0]);
		ok(cases[i].want ? got && strcmp(got, cases[i].want) == 0 : got == NULL,
		   "nearest to '%s': %s", cases[i].typo, got ? got : "none");
	}
	ok(name_distance("ab", "ba") == 1, "a swap of neighbours is one edit");
	ok(name_distance("kitten", "sitting") == 3, "three edits or more count as 3");
	ok(name_distance("same", "same") == 0, "no edit");
}

int main(void)
{
	test_nearest();
	static const struct name_case hubs[] = {
		{"chat", true}, {"Chat_1", true},     {"a`,.[]", true}, {"1chat", false},
		{"", false},	{"_x", false},	      {"a b", false},	{"a-b", false},
		{"a/b", false}, {"h\xc3\xa9", false},
	};
	check("hub", hub_name_valid, hubs, sizeof hubs / sizeof hubs[0]);
	char *h128 = repeat('a', 128, ""), *h129 = repeat('a', 129, "");
	ok(hub_name_valid(h128) && !hub_name_valid(h129), "hub names stop at 128 characters");

	static const struct name_case groups[] = {
		{"room1", true},     {"with space", true}, {"\xc3\xa9t\xc3\xa9", true},
		{"*", true},	     {"", false},	   {"   ", false},
		{"a\nb", false},     {"\xc3", false},	   {"\xed\xa0\x80", false},
		{"\xc0\xaf", false},
	};
	check("group", group_name_valid, groups, sizeof groups / sizeof groups[0]);
	char *g1024 = repeat('g', 1024, ""), *g1025 = repeat('g', 1025, "");
	ok(group_name_valid(g1024) && !group_name_valid(g1025), "group names stop at 1024 bytes");

	static const struct name_case roles[] = {
		{"webpubsub.joinLeaveGroup", true},
		{"webpubsub.sendToGroup", true},
		{"webpubsub.joinLeaveGroup.room1", true},
		{"webpubsub.sendToGroup.*", true},
		{"webpubsub.joinLeaveGroups.chat.**", true},
		{"webpubsub.sendToGroups.a\\*b.?", true},
		{"webpubsub.sendToGroups.*.*.*.*.*.*", false},
		{"webpubsub.sendToGroups.x\\", false},
		{"webpubsub.sendToGroups.a\\\\b", true},
		{"webpubsub.joinLeaveGroups.a\\?", true},
		{"webpubsub.joinLeaveGroups.a\\.b", false},
		{"webpubsub.sendToGroups.\\x", false},
		{"webpubsub.sendToGroup.a\\.b", true},
		{"webpubsub.joinLeaveGroup.", false},
		{"webpubsub.sendToGroups.", false},
		{"webpubsub.fly", false},
		{"admin", false},
		{"webpubsub.sendToGroup.a\tb", false},
	};
	check("role", role_valid, roles, sizeof roles / sizeof roles[0]);

	const char *patterns[NGD_MAX_PATTERN_ROLES + 2];
	for (size_t i = 0; i < NGD_MAX_PATTERN_ROLES + 2; i++)
		patterns[i] = i == 0 ? "webpubsub.sendToGroups.s*" : "webpubsub.joinLeaveGroups.j*";
	ok(roles_over_pattern_cap(patterns, NGD_MAX_PATTERN_ROLES + 1) == NULL,
	   "10 pattern roles of one kind and 1 of the other pass");
	const char *over = roles_over_pattern_cap(patterns, NGD_MAX_PATTERN_ROLES + 2);
	ok(over && strcmp(over, "webpubsub.joinLeaveGroups.") == 0,
	   "11 pattern roles of one kind are over the cap");

	char *u512 = repeat('u', 512, ""), *u513 = repeat('u', 513, "");
	ok(user_id_valid("alice") && user_id_valid(u512) && !user_id_valid(u513) &&
		   !user_id_valid("") && !user_id_valid("a\x7f"),
	   "user ids: 1 to 512 bytes, no control characters");
	free(h128), free(h129), free(g1024), free(g1025), free(u512), free(u513);
	return tap_done();
}
