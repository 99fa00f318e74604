/* SPDX-License-Identifier: Apache-2.0 */
/* Policy cost per request: the decision for the benchmark's hub (2 roles, 1 group, nothing asked),
 * a templated policy with a narrowing ask, and the audit line (stderr to /dev/null for a clean
 * run). */
#include "config/config.h"
#include "core/buf.h"
#include "policy/audit.h"
#include "policy/policy.h"
#include "runtime/policy_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SERVICE                                                                                    \
	"[service:s]\nconnection_string = Endpoint=https://a.example;AccessKey="                   \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH\n[auth:keys]\ntype = apikey\nfile = /x\n"

static const char static_config[] =
	SERVICE "[hub:chat]\nauth = keys\n"
		"roles = webpubsub.joinLeaveGroup.room1 webpubsub.sendToGroup.room1\n"
		"groups = room1\n";
static const char rules_config[] = SERVICE
	"[hub:chat]\nauth = keys\nroles = webpubsub.joinLeaveGroup.lobby\n"
	"groups = lobby\n"
	"[rule:own]\nhub = chat\nmatch = anyone\nroles = webpubsub.sendToGroup.user-{user}\n"
	"groups = user-{user}\n"
	"[rule:teams]\nhub = chat\nmatch = attr:team=red\n"
	"roles = webpubsub.sendToGroup.team-{attr:team}\n"
	"[rule:admins]\nhub = chat\nmatch = user:root\nroles = webpubsub.sendToGroup\n";

/* A hub granting 64 roles and 64 groups, the caps of one token. */
static char *wide_config(void)
{
	struct buf text = {0};
	buf_puts(&text, SERVICE "[hub:chat]\nauth = keys\nroles =");
	for (int i = 0; i < NGD_MAX_ROLES; i++) /* one per indented line: a line holds 200 bytes */
		buf_printf(&text, "%swebpubsub.sendToGroup.room%d\n", i ? "  " : " ", i);
	buf_puts(&text, "groups =");
	for (int i = 0; i < NGD_MAX_GROUPS; i++)
		buf_printf(&text, "%sroom%d\n", i ? "  " : " ", i);
	return buf_steal(&text);
}

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run(const char *text, const struct policy_ask *ask, bool audit, int n)
{
	char err[640];
	char team_name[] = "team", team_value[] = "red";
	struct principal who = {.user_id = "alice", .authenticator = "keys", .n_attrs = 1};
	who.attrs[0] = (struct attribute){team_name, team_value};
	struct config *cfg = config_load_string("bench.conf", text, err, sizeof err);
	struct policy *p = cfg ? policy_build(cfg, cfg->hubs[0]) : NULL;
	if (!p) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	double start = cpu_seconds();
	for (int i = 0; i < n; i++) {
		struct grant g = {0};
		if (policy_decide(p, &who, ask, NULL, &g) < 0)
			exit(1);
		if (audit)
			audit_issued("chat", &who, "127.0.0.1", &g, 1700000000,
				     "header.payload.signature");
		grant_clear(&g);
	}
	double us = (cpu_seconds() - start) / n * 1e6;
	policy_free(p);
	config_free(cfg);
	return us;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200000;
	const char *roles[] = {"webpubsub.sendToGroup.user-alice",
			       "webpubsub.sendToGroup.team-red"};
	const char *groups[] = {"user-alice"};
	struct policy_ask none = {0};
	struct policy_ask narrow = {roles, 2, true, groups, 1, true, 15, false, PROTOCOL_DEFAULT};
	printf("policy: static hub grant, nothing asked: %.3f us\n",
	       run(static_config, &none, false, n));
	printf("policy: 4 rules with templates, 2 roles + 1 group asked: %.3f us\n",
	       run(rules_config, &narrow, false, n));
	printf("policy + audit line (static hub): %.3f us\n", run(static_config, &none, true, n));
	char *wide = wide_config();
	static char names[NGD_MAX_ROLES + NGD_MAX_GROUPS][48];
	const char *wide_roles[NGD_MAX_ROLES], *wide_groups[NGD_MAX_GROUPS];
	for (int i = 0; i < NGD_MAX_ROLES; i++)
		snprintf(names[i], sizeof names[i], "webpubsub.sendToGroup.room%d",
			 NGD_MAX_ROLES - 1 - i);
	for (int i = 0; i < NGD_MAX_GROUPS; i++)
		snprintf(names[NGD_MAX_ROLES + i], sizeof names[0], "room%d",
			 NGD_MAX_GROUPS - 1 - i);
	for (int i = 0; i < NGD_MAX_ROLES; i++)
		wide_roles[i] = names[i];
	for (int i = 0; i < NGD_MAX_GROUPS; i++)
		wide_groups[i] = names[NGD_MAX_ROLES + i];
	struct policy_ask all = {wide_roles,  NGD_MAX_ROLES,  true,
				 wide_groups, NGD_MAX_GROUPS, true,
				 0,	      false,	      PROTOCOL_DEFAULT};
	printf("policy: 64 roles + 64 groups granted, nothing asked: %.3f us\n",
	       run(wide, &none, false, n / 10));
	printf("policy: 64 roles + 64 groups granted, all asked (reversed): %.3f us\n",
	       run(wide, &all, false, n / 10));
	free(wide);
	return 0;
}
