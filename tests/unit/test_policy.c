/* SPDX-License-Identifier: Apache-2.0 */
/* Policy: table-driven cases (tests/unit/policy/NAME.conf + NAME.expect, in the spirit of
 * pgbouncer's hba tests), configuration errors with FILE:LINE: KEY, and a property test. */
#include "cli/principal_spec.h"
#include "config/config.h"
#include "core/secret.h"
#include "policy/policy.h"
#include "runtime/policy_build.h"
#include "runtime/runtime.h"
#include "tap.h"

#include <stdlib.h>
#include <time.h>

static const char *const cases[] = {"matchers", "templates", "narrowing", "lifetimes"};

/* "%20" stands for a space, which the .expect format uses as a separator. */
static void unescape(char *s)
{
	char *w = s;
	for (; *s; s++)
		if (strncmp(s, "%20", 3) == 0)
			*w++ = ' ', s += 2;
		else
			*w++ = *s;
	*w = '\0';
}

struct expect_case {
	char file[64];
	int line;
	char hub[64], as[512];
	char names[2][16][160]; /* asked roles, groups */
	size_t n_asked[2];
	bool asked[2];
	unsigned minutes;
	char protocol[16];
	bool check[2];
	char want[2][512]; /* space-separated, escaped */
	char from[4][2][160];
	size_t n_from;
	unsigned ttl;
	char want_protocol[16];
	char refused[64], refused_detail[160];
};

static void join(char *out, size_t len, const char *const *names, size_t n)
{
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char shown[1200], *w = shown;
		for (const char *s = names[i]; *s && w < shown + sizeof shown - 4; s++)
			w = *s == ' ' ? (memcpy(w, "%20", 3), w + 3) : (*w = *s, w + 1);
		*w = '\0';
		snprintf(out + strlen(out), len - strlen(out), "%s%s", i ? " " : "", shown);
	}
}

static void run_case(const struct config *cfg, struct expect_case *c)
{
	char why[300], spec[512], got[2048];
	struct ngd_outcome who = {0};
	const char *asked[2][16];
	struct grant g = {0};
	const struct config_hub *hub = config_find_hub(cfg, c->hub);
	struct policy *p = hub ? policy_build(cfg, hub) : NULL;
	snprintf(spec, sizeof spec, "%s", c->as);
	if (!p || principal_spec_parse(spec, &who, why, sizeof why) < 0) {
		ok(0, "%s:%d: hub %s and principal '%s' (%s)", c->file, c->line, c->hub, c->as,
		   p ? why : "no hub");
		policy_free(p);
		outcome_clear(&who);
		return;
	}
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < c->n_asked[k]; i++)
			asked[k][i] = c->names[k][i];
	struct policy_ask ask = {asked[0],   c->n_asked[0],	  c->asked[0],
				 asked[1],   c->n_asked[1],	  c->asked[1],
				 c->minutes, c->protocol[0] != 0, PROTOCOL_DEFAULT};
	if (c->protocol[0])
		client_protocol_parse(c->protocol, &ask.protocol);
	int rc = policy_decide(p, &who.principal, &ask, NULL, &g);
	if (c->refused[0]) {
		ok(rc < 0 && g.refusal && strcmp(g.refusal, c->refused) == 0 &&
			   strstr(g.message, c->refused_detail),
		   "%s:%d: refused %s naming '%s' (got %s: %s)", c->file, c->line, c->refused,
		   c->refused_detail, rc < 0 ? g.refusal : "granted", g.message);
	} else if (rc < 0) {
		ok(0, "%s:%d: granted (got %s: %s)", c->file, c->line, g.refusal, g.message);
	} else {
		const char *const *lists[2] = {g.roles, g.groups};
		size_t counts[2] = {g.n_roles, g.n_groups};
		for (int k = 0; k < 2; k++)
			if (c->check[k]) {
				join(got, sizeof got, lists[k], counts[k]);
				is_str(got, c->want[k], "%s:%d: %s", c->file, c->line,
				       k ? "groups" : "roles");
			}
		for (size_t f = 0; f < c->n_from; f++) {
			const char *rule = NULL;
			for (size_t i = 0; i < g.n_roles; i++)
				rule = strcmp(g.roles[i], c->from[f][0]) == 0 ? g.role_rule[i]->name
									      : rule;
			for (size_t i = 0; i < g.n_groups; i++)
				rule = strcmp(g.groups[i], c->from[f][0]) == 0
					       ? g.group_rule[i]->name
					       : rule;
			is_str(rule, c->from[f][1], "%s:%d: %s granted by", c->file, c->line,
			       c->from[f][0]);
		}
		if (c->ttl)
			ok(g.ttl_minutes == c->ttl, "%s:%d: ttl %u (got %u)", c->file, c->line,
			   c->ttl, g.ttl_minutes);
		if (c->want_protocol[0])
			is_str(client_protocol_name(g.protocol), c->want_protocol,
			       "%s:%d: protocol", c->file, c->line);
	}
	grant_clear(&g);
	policy_free(p);
	outcome_clear(&who);
}

static void parse_line(struct expect_case *c, char *line)
{
	char *arg = strchr(line, ' ');
	arg = arg ? (*arg = '\0', arg + 1) : line + strlen(line);
	if (strcmp(line, "hub") == 0)
		snprintf(c->hub, sizeof c->hub, "%s", arg);
	else if (strcmp(line, "as") == 0)
		snprintf(c->as, sizeof c->as, "%s", arg), unescape(c->as);
	else if (strcmp(line, "ask") == 0 && strncmp(arg, "role ", 5) == 0)
		c->asked[0] = true, snprintf(c->names[0][c->n_asked[0]++], 160, "%s", arg + 5);
	else if (strcmp(line, "ask") == 0 && strncmp(arg, "group ", 6) == 0)
		c->asked[1] = true, snprintf(c->names[1][c->n_asked[1]++], 160, "%s", arg + 6);
	else if (strcmp(line, "ask") == 0 && strcmp(arg, "no-roles") == 0)
		c->asked[0] = true;
	else if (strcmp(line, "ask") == 0 && strcmp(arg, "no-groups") == 0)
		c->asked[1] = true;
	else if (strcmp(line, "ask") == 0 && strncmp(arg, "minutes ", 8) == 0)
		c->minutes = (unsigned)atoi(arg + 8);
	else if (strcmp(line, "ask") == 0 && strncmp(arg, "protocol ", 9) == 0)
		snprintf(c->protocol, sizeof c->protocol, "%s", arg + 9);
	else if (strcmp(line, "roles") == 0 || strcmp(line, "groups") == 0)
		c->check[line[0] == 'g'] = true, snprintf(c->want[line[0] == 'g'], 512, "%s", arg);
	else if (strcmp(line, "from") == 0 && strchr(arg, ' ') && c->n_from < 4)
		*strchr(arg, ' ') = '\0', snprintf(c->from[c->n_from][0], 160, "%s", arg),
			     snprintf(c->from[c->n_from][1], 160, "%s", arg + strlen(arg) + 1),
			     c->n_from++;
	else if (strcmp(line, "ttl") == 0)
		c->ttl = (unsigned)atoi(arg);
	else if (strcmp(line, "protocol") == 0)
		snprintf(c->want_protocol, sizeof c->want_protocol, "%s", arg);
	else if (strcmp(line, "refused") == 0 && strchr(arg, ' '))
		*strchr(arg, ' ') = '\0', snprintf(c->refused, 64, "%s", arg),
			     snprintf(c->refused_detail, 160, "%s", arg + strlen(arg) + 1);
	else
		ok(0, "%s:%d: unknown line '%s'", c->file, c->line, line);
}

static void run_file(const char *dir, const char *name)
{
	char path[512], err[640], line[1024];
	snprintf(path, sizeof path, "%s/%s.conf", dir, name);
	struct config *cfg = config_load_file(path, err, sizeof err);
	ok(cfg != NULL, "%s.conf loads (%s)", name, cfg ? "" : err);
	snprintf(path, sizeof path, "%s/%s.expect", dir, name);
	FILE *f = fopen(path, "r");
	ok(f != NULL, "%s.expect opens", name);
	if (!cfg || !f) {
		config_free(cfg);
		if (f)
			fclose(f);
		return;
	}
	struct expect_case c = {0}, sticky = {0};
	bool open = false;
	for (int n = 1; fgets(line, sizeof line, f); n++) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#')
			continue;
		if (!line[0]) {
			if (open)
				run_case(cfg, &c);
			open = false;
			continue;
		}
		if (!open) {
			c = (struct expect_case){.line = n};
			snprintf(c.file, sizeof c.file, "%s.expect", name);
			snprintf(c.hub, sizeof c.hub, "%s", sticky.hub);
			open = true;
		}
		parse_line(&c, line);
		snprintf(sticky.hub, sizeof sticky.hub, "%s", c.hub);
	}
	if (open)
		run_case(cfg, &c);
	fclose(f);
	config_free(cfg);
}

#define CS "Endpoint=https://a.example;AccessKey=SECRETSECRETSECRETSECRETSECRET00"
#define BASE                                                                                       \
	"[service:main]\nconnection_string = " CS                                                  \
	"\n[auth:keys]\ntype = apikey\nfile = /x\n[hub:chat]\nauth = keys\n"
#define RULE "[rule:r]\nhub = chat\n"

static const struct {
	const char *text, *error;
} bad[] = {
	{BASE RULE "match = anyone\nroles = webpubsub.fly\n",
	 "t.conf:11: roles: 'webpubsub.fly' is not a Web PubSub role"},
	{BASE RULE "match = anyone\n", "t.conf:8: [rule:r]: grants nothing: set roles or groups"},
	{BASE "[rule:r]\nmatch = anyone\ngroups = a\n", "t.conf:8: [rule:r]: hub: required"},
	{BASE "[rule:r]\nhub = lobby\nmatch = anyone\ngroups = a\n",
	 "t.conf:9: hub: no [hub:lobby] section"},
	{BASE RULE "groups = a\n", "t.conf:8: [rule:r]: match: required"},
	{BASE RULE "match = everyone\ngroups = a\n",
	 "t.conf:10: match: 'everyone' is not a condition"},
	{BASE RULE "match = anyone user:a\ngroups = a\n",
	 "t.conf:10: match: 'anyone' holds for every caller"},
	{BASE RULE "match = attr:team\ngroups = a\n",
	 "t.conf:10: match: 'attr:team' must be attr:NAME=VALUE"},
	{BASE RULE "match = auth:sso\ngroups = a\n",
	 "t.conf:10: match: 'auth:sso': no [auth:sso] section"},
	{BASE "[auth:sso]\ntype = anonymous\n" RULE "match = auth:sso\ngroups = a\n",
	 "t.conf:12: match: 'auth:sso' can never hold on hub chat: it is not in its auth list"},
	{BASE "[auth:sso]\ntype = anonymous\n" RULE "match = user:sso/a\ngroups = a\n",
	 "t.conf:12: match: 'user:sso/a' can never hold on hub chat: [auth:sso] is not in its auth "
	 "list"},
	{BASE "[auth:sso]\ntype = anonymous\n[hub:two]\nauth = keys sso\n[rule:r]\nhub = "
	      "two\nmatch = user:admin\n"
	      "groups = a\n",
	 "t.conf:14: match: 'user:admin' on hub two, which has 2 authenticators that could each "
	 "admit that id: say "
	 "which, as user:keys/admin"},
	{BASE RULE "match = anyone\ngroups = team-{team}\n",
	 "t.conf:11: groups: 'team-{team}': '{team}' is not a placeholder"},
	{BASE RULE "match = anyone\ngroups = team-{user\n",
	 "t.conf:11: groups: 'team-{user': '{' opens no placeholder"},
	{BASE RULE "match = anyone\ngroups = a}\n",
	 "t.conf:11: groups: 'a}': '}' closes no placeholder"},
	{BASE RULE "match = anyone\ngroups = {attr:a}-{attr:b}\n",
	 "t.conf:11: groups: '{attr:a}-{attr:b}': one {attr:NAME}"},
	{BASE RULE "match = anyone\nroles = webpubsub.{user}\n",
	 "t.conf:11: roles: 'webpubsub.{user}': placeholders may only"},
	{BASE RULE "match = anyone\nroles = webpubsub.sendToGroup{attr:x}\n",
	 "placeholders may only follow a role's fixed part"},
	{BASE RULE "match = anyone\ngroups = a\nmax_token_lifetime = 0\n",
	 "t.conf:12: max_token_lifetime: '0' is not"},
	{BASE "on_excess = maybe\n", "t.conf:8: on_excess: 'maybe' is not one of refuse, drop"},
	{BASE "lifetime_excess = drop\n",
	 "t.conf:8: lifetime_excess: 'drop' is not one of cap, refuse"},
	{BASE "client_protocols = ws\n",
	 "t.conf:8: client_protocols: 'ws' is not one of default, mqtt, socketio"},
	{BASE "default_roles = webpubsub.sendToGroup\n",
	 "t.conf:8: default_roles: 'webpubsub.sendToGroup' is granted by neither"},
	{BASE "groups = a\ndefault_groups = b\n",
	 "t.conf:9: default_groups: 'b' is granted by neither"},
	{BASE "[rule:r]\nhub = chat\n[rule:r]\n",
	 "t.conf:10: [rule:r]: duplicate section (first on line 8)"},
};

static void errors(void)
{
	char err[640];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		struct config *cfg = config_load_string("t.conf", bad[i].text, err, sizeof err);
		ok(!cfg && strstr(err, bad[i].error) && !strstr(err, "SECRET"),
		   "refused: %s (got: %s)", bad[i].error, err);
		config_free(cfg);
	}
}

/* 64 roles and 64 groups, from the hub and an overlapping rule with a shorter cap: the token the
 * grant mints is byte for byte the one the scanning policy (before its sets were hashed) minted. */
static const char wide_digest[][65] = {
	"0c6e2e2324e257963466fc04435ce041441a892aad8b9e6b61475e852983bcc1",
	"a8d5f3a6065015bdaea31a9f01a0cbb97cc726192f3fff506878b966353f567a",
};

static char *wide_config(void)
{
	struct buf t = {0};
	buf_puts(&t, "[service:s]\nconnection_string = Endpoint=https://a.example;AccessKey="
		     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH\n[auth:keys]\ntype = anonymous\n"
		     "[hub:wide]\nauth = keys\nroles = webpubsub.joinLeaveGroup\n");
	for (int i = 0; i < 39;
	     i++) /* hub: the role above and sendToGroup.g0 to g38; groups g0 to g39 */
		buf_printf(&t, "  webpubsub.sendToGroup.g%d\n", i);
	buf_puts(&t, "groups = g0\n");
	for (int i = 1; i < 40; i++)
		buf_printf(&t, "  g%d\n", i);
	buf_puts(&t, "[rule:more]\nhub = wide\nmatch = anyone\nmax_token_lifetime = 30\nroles = "
		     "webpubsub.sendToGroup.g30\n");
	for (int i = 31; i < 63; i++) /* 30 to 38 overlap the hub's */
		buf_printf(&t, "  webpubsub.sendToGroup.g%d\n", i);
	buf_puts(&t, "groups = g30\n");
	for (int i = 31; i < 64; i++)
		buf_printf(&t, "  g%d\n", i);
	return buf_steal(&t);
}

static void wide_token(const struct policy *p, const struct service *svc,
		       const struct policy_ask *ask, const char *want, const char *what)
{
	struct principal who = {.user_id = "alice", .authenticator = "keys"};
	struct grant g;
	memset(&g, 0xa5,
	       sizeof g); /* policy_decide() needs no zeroed grant: the daemon passes none */
	struct buf token = {0};
	unsigned char digest[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1] = "";
	if (policy_decide(p, &who, ask, NULL, &g) == 0) {
		struct token_claims c = {"wide",   g.protocol, who.user_id, g.roles,	  g.n_roles,
					 g.groups, g.n_groups, 1700000000,  g.ttl_minutes};
		if (token_mint(&svc->endpoint, svc->signer, &c, &token) == 0 &&
		    sha256(token.data, token.len, digest) == 0)
			hex_encode(digest, sizeof digest, hex);
	}
	ok(g.n_roles == 64 && g.n_groups == 64 && g.ttl_minutes == 30,
	   "%s: 64 roles, 64 groups, the rule's cap (%zu, %zu, %u)", what, g.n_roles, g.n_groups,
	   g.ttl_minutes);
	is_str(hex, want, "%s: the same token as before", what);
	grant_clear(&g);
	buf_free_secret(&token);
}

static void wide(void)
{
	char err[640], names[128][40];
	char *text = wide_config();
	struct config *cfg = config_load_string("wide.conf", text, err, sizeof err);
	struct policy *p = cfg ? policy_build(cfg, cfg->hubs[0]) : NULL;
	struct service svc = {0};
	const char *asked[128];
	free(text);
	if (!p || service_init(&svc, "s",
			       "Endpoint=https://"
			       "a.example;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH",
			       err, sizeof err) < 0) {
		ok(0, "the 64 + 64 configuration loads (%s)", err);
		return;
	}
	wide_token(p, &svc, &(struct policy_ask){0}, wide_digest[0], "nothing asked");
	for (int i = 0; i < 64; i++) { /* all of them, in reverse order */
		snprintf(names[i], sizeof names[i],
			 i == 63 ? "webpubsub.joinLeaveGroup" : "webpubsub.sendToGroup.g%d",
			 62 - i);
		snprintf(names[64 + i], sizeof names[0], "g%d", 63 - i);
		asked[i] = names[i], asked[64 + i] = names[64 + i];
	}
	wide_token(p, &svc,
		   &(struct policy_ask){asked, 64, true, asked + 64, 64, true, 0, false,
					PROTOCOL_DEFAULT},
		   wide_digest[1], "all asked, reversed");
	service_clear(&svc);
	policy_free(p);
	config_free(cfg);
}

int property(unsigned seed, int rounds, int *loaded); /* test_policy_property.c */

int main(void)
{
	const char *srcdir = getenv("srcdir");
	log_set_level(LOG_LEVEL_ERROR); /* the policy's warnings are expected here */
	char dir[512];
	snprintf(dir, sizeof dir, "%s/tests/unit/policy", srcdir ? srcdir : ".");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_file(dir, cases[i]);
	errors();
	wide();
	const char *seed = getenv("POLICY_SEED");
	unsigned s = seed ? (unsigned)strtoul(seed, NULL, 10) : (unsigned)time(NULL);
	int loaded, failures = property(s, 3000, &loaded);
	ok(failures == 0 && loaded == 3000, "property: %d random policies x 8 asks, seed %u",
	   loaded, s);
	return tap_done();
}
