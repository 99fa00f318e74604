/* SPDX-License-Identifier: Apache-2.0 */
/* The property test: random policies, principals and asks, checked against a small oracle.
 * A token never carries a role or group outside the policy's grant or (when asked) the ask, and
 * its lifetime is within every cap. The seed is printed; POLICY_SEED=N repeats a run. */
#include <stdio.h>
#include <string.h>
#include "config/config.h"
#include "policy/policy.h"
#include "runtime/policy_build.h"

#include <stdlib.h>

int property(unsigned seed, int rounds, int *loaded);

static const char *const users[] = {"u0", "u1", "u2", "a*b"};
static const char *const auths[] = {"k1", "k2"};
static const char *const teams[] = {"red", "blue"};
static const char *const role_pool[] = {"webpubsub.joinLeaveGroup.lobby",
					"webpubsub.sendToGroup.lobby",
					"webpubsub.sendToGroup",
					"webpubsub.joinLeaveGroup.user-{user}",
					"webpubsub.sendToGroup.team-{attr:team}",
					"webpubsub.joinLeaveGroups.{user}.*"};
static const char *const group_pool[] = {"lobby", "user-{user}", "{attr:team}", "ops"};
/* user: names its authenticator: the hub has two, and ids are per authenticator */
static const char *const matcher_pool[] = {"anyone",	    "user:k1/u0",  "user:k2/u1",
					   "attr:team=red", "attr:team=*", "attr:role=admin",
					   "auth:k1",	    "auth:k2"};
#define N(a) (sizeof a / sizeof a[0])

struct rule_gen {
	const char *match[2];
	size_t n_match;
	const char *roles[3], *groups[2];
	size_t n_roles, n_groups;
	unsigned max; /* 0: none */
};

struct world {
	unsigned t, m, on_excess, lifetime_excess;
	struct rule_gen hub, rules[4]; /* hub: the implicit anyone rule */
	size_t n_rules;
	const char *def_roles[3], *def_groups[3];
	size_t n_def_roles, n_def_groups;
	bool has_def_roles, has_def_groups;
	/* the principal */
	const char *user, *auth, *team[2], *admin;
	size_t n_team;
};

static unsigned pick(unsigned n)
{
	return (unsigned)rand() % n;
}

static void gen_lists(struct rule_gen *r, size_t max_roles, size_t max_groups)
{
	r->n_roles = pick((unsigned)max_roles + 1);
	r->n_groups = pick((unsigned)max_groups + 1);
	for (size_t i = 0; i < r->n_roles; i++)
		r->roles[i] = role_pool[pick(N(role_pool))];
	for (size_t i = 0; i < r->n_groups; i++)
		r->groups[i] = group_pool[pick(N(group_pool))];
}

static void gen_world(struct world *w)
{
	*w = (struct world){.t = 1 + pick(100), .on_excess = pick(2), .lifetime_excess = pick(2)};
	w->m = w->t + pick(100);
	gen_lists(&w->hub, 2, 1);
	w->n_rules = pick(5);
	for (size_t r = 0; r < w->n_rules; r++) {
		struct rule_gen *g = &w->rules[r];
		gen_lists(g, 3, 2);
		if (g->n_roles + g->n_groups == 0)
			g->roles[g->n_roles++] = role_pool[pick(N(role_pool))];
		g->match[g->n_match++] = matcher_pool[pick(N(matcher_pool))];
		if (strcmp(g->match[0], "anyone") != 0 && pick(2))
			g->match[g->n_match++] = matcher_pool[1 + pick(N(matcher_pool) - 1)];
		g->max = pick(2) ? 1 + pick(300) : 0;
	}
	/* defaults are drawn from what the hub or a rule writes, as config_load requires */
	struct rule_gen *src = w->n_rules ? &w->rules[pick((unsigned)w->n_rules)] : &w->hub;
	w->has_def_roles = pick(2), w->has_def_groups = pick(2);
	for (size_t i = 0; w->has_def_roles && i < src->n_roles && i < 3; i++)
		w->def_roles[w->n_def_roles++] = src->roles[i];
	for (size_t i = 0; w->has_def_groups && i < src->n_groups && i < 3; i++)
		w->def_groups[w->n_def_groups++] = src->groups[i];
	w->user = users[pick(N(users))];
	w->auth = auths[pick(N(auths))];
	w->n_team = pick(3);
	for (size_t i = 0; i < w->n_team; i++)
		w->team[i] = teams[pick(2)];
	w->admin = pick(2) ? "admin" : NULL;
}

static void list_line(struct buf *b, const char *key, const char *const *items, size_t n)
{
	if (!n)
		return;
	buf_printf(b, "%s = %s\n", key, items[0]);
	for (size_t i = 1; i < n; i++)
		buf_printf(b, "  %s\n", items[i]);
}

static void write_config(const struct world *w, struct buf *b)
{
	static const char *const excess[] = {"refuse", "drop"}, *const lifetime[] = {"cap",
										     "refuse"};
	buf_printf(b,
		   "[service:s]\nconnection_string = Endpoint=https://a.example;AccessKey=%032d\n"
		   "[auth:k1]\ntype = anonymous\n[auth:k2]\ntype = anonymous\n"
		   "[hub:h]\nauth = k1 k2\ntoken_lifetime = %u\nmax_token_lifetime = %u\non_excess "
		   "= %s\n"
		   "lifetime_excess = %s\n",
		   0, w->t, w->m, excess[w->on_excess], lifetime[w->lifetime_excess]);
	list_line(b, "roles", w->hub.roles, w->hub.n_roles);
	list_line(b, "groups", w->hub.groups, w->hub.n_groups);
	if (w->has_def_roles)
		buf_printf(b, "default_roles =%s\n", w->n_def_roles ? "" : " ");
	for (size_t i = 0; i < w->n_def_roles; i++)
		buf_printf(b, "  %s\n", w->def_roles[i]);
	if (w->has_def_groups)
		buf_printf(b, "default_groups =%s\n", w->n_def_groups ? "" : " ");
	for (size_t i = 0; i < w->n_def_groups; i++)
		buf_printf(b, "  %s\n", w->def_groups[i]);
	for (size_t r = 0; r < w->n_rules; r++) {
		const struct rule_gen *g = &w->rules[r];
		buf_printf(b, "[rule:r%zu]\nhub = h\n", r);
		/* inih splits an indented "attr:a=b" at its '=': conditions share one line */
		buf_printf(b, "match = %s%s%s\n", g->match[0], g->n_match > 1 ? " " : "",
			   g->n_match > 1 ? g->match[1] : "");
		list_line(b, "roles", g->roles, g->n_roles);
		list_line(b, "groups", g->groups, g->n_groups);
		if (g->max)
			buf_printf(b, "max_token_lifetime = %u\n", g->max);
	}
}

/* The oracle: naive matching and substitution, independent of policy.c. */
static bool holds(const struct world *w, const char *m)
{
	if (strcmp(m, "anyone") == 0)
		return true;
	if (strncmp(m, "user:", 5) == 0) { /* user:AUTH/ID: both must be the caller's */
		const char *slash = strchr(m + 5, '/');
		size_t len = (size_t)(slash - (m + 5));
		return strlen(w->auth) == len && strncmp(m + 5, w->auth, len) == 0 &&
		       strcmp(slash + 1, w->user) == 0;
	}
	if (strncmp(m, "auth:", 5) == 0)
		return strcmp(m + 5, w->auth) == 0;
	if (strcmp(m, "attr:role=admin") == 0)
		return w->admin != NULL;
	if (strcmp(m, "attr:team=*") == 0)
		return w->n_team > 0;
	for (size_t i = 0; i < w->n_team; i++)
		if (strcmp(m + strlen("attr:team="), w->team[i]) == 0)
			return true;
	return false;
}

struct named {
	char name[128];
	unsigned cap;
};

static void put(struct named *set, size_t *n, const char *name, unsigned cap)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(set[i].name, name) == 0) {
			set[i].cap = cap > set[i].cap ? cap : set[i].cap;
			return;
		}
	snprintf(set[*n].name, sizeof set[*n].name, "%s", name);
	set[(*n)++].cap = cap;
}

/* Every name a template makes for this principal. */
static size_t render(const struct world *w, const char *t, char out[2][128])
{
	const char *brace = strchr(t, '{');
	if (!brace) {
		snprintf(out[0], 128, "%s", t);
		return 1;
	}
	const char *close = strchr(brace, '}');
	if (strncmp(brace, "{user}", 6) == 0) {
		char user[16] = "";
		for (const char *s = w->user; *s; s++) /* a pattern role escapes the caller's '*' */
			snprintf(user + strlen(user), sizeof user - strlen(user), "%s%c",
				 *s == '*' && strstr(t, "Groups.") ? "\\" : "", *s);
		snprintf(out[0], 128, "%.*s%s%s", (int)(brace - t), t, user, close + 1);
		return 1;
	}
	for (size_t i = 0; i < w->n_team; i++)
		snprintf(out[i], 128, "%.*s%s%s", (int)(brace - t), t, w->team[i], close + 1);
	return w->n_team;
}

static void oracle(const struct world *w, struct named *roles, size_t *n_roles,
		   struct named *groups, size_t *n_groups)
{
	char names[2][128];
	for (size_t r = 0; r <= w->n_rules; r++) {
		const struct rule_gen *g = r ? &w->rules[r - 1] : &w->hub;
		bool match = true;
		for (size_t i = 0; i < g->n_match; i++)
			match &= holds(w, g->match[i]);
		if (!match)
			continue;
		unsigned cap = g->max && g->max < w->m ? g->max : w->m;
		for (size_t i = 0; i < g->n_roles; i++)
			for (size_t k = render(w, g->roles[i], names); k-- > 0;)
				put(roles, n_roles, names[k], cap);
		for (size_t i = 0; i < g->n_groups; i++)
			for (size_t k = render(w, g->groups[i], names); k-- > 0;)
				put(groups, n_groups, names[k], cap);
	}
}

static const struct named *find(const struct named *set, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(set[i].name, name) == 0)
			return &set[i];
	return NULL;
}

static bool in(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

/* Asks for some of what the pools can make for someone: granted or not. */
static void gen_ask(const struct world *w, struct policy_ask *a, const char **roles,
		    const char **groups, char store[8][128])
{
	char names[2][128];
	size_t used = 0;
	*a = (struct policy_ask){.roles = roles, .groups = groups};
	a->roles_asked = pick(2), a->groups_asked = pick(2);
	for (size_t i = 0, n = pick(4); a->roles_asked && i < n; i++)
		if (render(w, role_pool[pick(N(role_pool))], names))
			roles[a->n_roles++] = strcpy(store[used++], names[0]);
	for (size_t i = 0, n = pick(4); a->groups_asked && i < n; i++)
		if (render(w, group_pool[pick(N(group_pool))], names))
			groups[a->n_groups++] = strcpy(store[used++], names[0]);
	a->minutes = pick(2) ? 1 + pick(300) : 0;
}

static void principal_of(const struct world *w, struct principal *p)
{
	static char team_names[2][8] = {"team", "team"}, role_name[8] = "role";
	memset(p, 0, sizeof *p);
	snprintf(p->user_id, sizeof p->user_id, "%s", w->user);
	p->authenticator = w->auth;
	for (size_t i = 0; i < w->n_team; i++)
		p->attrs[p->n_attrs++] = (struct attribute){team_names[i], (char *)w->team[i]};
	if (w->admin)
		p->attrs[p->n_attrs++] = (struct attribute){role_name, (char *)w->admin};
}

/* One random case; returns a description of the first broken property, or NULL. */
static const char *one_case(const struct world *w, const struct policy *p,
			    const struct principal *who)
{
	struct named allowed_roles[64], allowed_groups[64];
	size_t n_ar = 0, n_ag = 0;
	const char *roles[8], *groups[8];
	char store[8][128];
	struct policy_ask ask;
	struct grant g = {0};
	const char *broken = NULL;
	oracle(w, allowed_roles, &n_ar, allowed_groups, &n_ag);
	gen_ask(w, &ask, roles, groups, store);
	if (policy_decide(p, who, &ask, NULL, &g) < 0) {
		bool role_excess = false, group_excess = false;
		for (size_t i = 0; i < ask.n_roles; i++)
			role_excess |= !find(allowed_roles, n_ar, roles[i]);
		for (size_t i = 0; i < ask.n_groups; i++)
			group_excess |= !find(allowed_groups, n_ag, groups[i]);
		if (strcmp(g.refusal, "forbidden_role") == 0 && !(role_excess && w->on_excess == 0))
			broken = "refused a role that was granted, or in drop mode";
		else if (strcmp(g.refusal, "forbidden_group") == 0 &&
			 !(group_excess && w->on_excess == 0))
			broken = "refused a group that was granted, or in drop mode";
		else if (strcmp(g.refusal, "forbidden_lifetime") == 0 &&
			 !(w->lifetime_excess == 1 && ask.minutes > 0))
			broken = "refused a lifetime without lifetime_excess = refuse";
		else if (strncmp(g.refusal, "forbidden_", 10) != 0 ||
			 strcmp(g.refusal, "forbidden_protocol") == 0)
			broken = "refused for an unexpected reason";
		grant_clear(&g);
		return broken;
	}
	unsigned cap = w->m;
	for (size_t i = 0; i < g.n_roles && !broken; i++) {
		const struct named *a = find(allowed_roles, n_ar, g.roles[i]);
		if (!a || (ask.roles_asked && !in(roles, ask.n_roles, g.roles[i])) ||
		    in(g.roles, i, g.roles[i]))
			broken = "a role outside the grant or the ask, or twice";
		cap = a && a->cap < cap ? a->cap : cap;
	}
	for (size_t i = 0; i < g.n_groups && !broken; i++) {
		const struct named *a = find(allowed_groups, n_ag, g.groups[i]);
		if (!a || (ask.groups_asked && !in(groups, ask.n_groups, g.groups[i])) ||
		    in(g.groups, i, g.groups[i]))
			broken = "a group outside the grant or the ask, or twice";
		cap = a && a->cap < cap ? a->cap : cap;
	}
	unsigned want =
		ask.minutes ? (ask.minutes < cap ? ask.minutes : cap) : (w->t < cap ? w->t : cap);
	if (!broken && (g.ttl_minutes < 1 || g.ttl_minutes > cap || g.ttl_minutes > w->m ||
			g.ttl_minutes != want))
		broken = "a lifetime outside a cap, or not the one asked for within it";
	if (!broken && !ask.roles_asked && !w->has_def_roles && g.n_roles != n_ar)
		broken = "with nothing asked and no default_roles, not every granted role";
	grant_clear(&g);
	return broken;
}

int property(unsigned seed, int rounds, int *loaded)
{
	int failures = 0;
	*loaded = 0;
	printf("# property test seed %u (repeat with POLICY_SEED=%u)\n", seed, seed);
	srand(seed);
	for (int round = 0; round < rounds && failures < 5; round++) {
		struct world w;
		struct buf text = {0};
		char err[640];
		gen_world(&w);
		write_config(&w, &text);
		struct config *cfg = config_load_string("prop.conf", text.data, err, sizeof err);
		struct policy *p = cfg ? policy_build(cfg, cfg->hubs[0]) : NULL;
		if (!p) {
			printf("# config refused: %s\n%s\n", err, text.data);
			failures++;
		} else {
			struct principal who;
			(*loaded)++;
			principal_of(&w, &who);
			for (int k = 0; k < 8; k++) {
				const char *broken = one_case(&w, p, &who);
				if (broken) {
					printf("# round %d: %s\n%s", round, broken, text.data);
					failures++;
					break;
				}
			}
		}
		policy_free(p);
		config_free(cfg);
		buf_free(&text);
	}
	return failures;
}
