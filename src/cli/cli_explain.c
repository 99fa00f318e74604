/* SPDX-License-Identifier: Apache-2.0 */
/* `negotiated explain`: runs policy_decide() (the daemon's own code) with a trace and prints it. */
#include "cli/cli_explain.h"

#include "cli/cli_args.h"
#include "cli/principal_spec.h"
#include "config/config.h"
#include "core/caps.h"
#include "core/decimal.h"
#include "core/names.h"
#include "policy/policy.h"
#include "runtime/policy_build.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct explain_args {
	const char *config, *hub, *as, *protocol;
	const char *roles[NGD_MAX_ROLES], *groups[NGD_MAX_GROUPS];
	size_t n_roles, n_groups;
	unsigned minutes;
};

static const char COMMAND[] = "explain";

static const char usage[] =
	"usage: negotiated explain --config FILE --hub HUB --as "
	"'user=ID[,auth=NAME][,attr:NAME=VALUE]...'\n"
	"       [--role ROLE]... [--group GROUP]... [--minutes N] [--client-protocol "
	"default|mqtt|socketio]\n"
	"Prints what the daemon would grant, and the rule behind each role and group.\n"
	"Exit status: 0 granted, 1 refused, 2 bad input.\n";

static int parse_option(int opt, void *args)
{
	struct explain_args *a = args;
	switch (opt) {
	case 'c': a->config = optarg; return 0;
	case 'H': a->hub = optarg; return 0;
	case 'a': a->as = optarg; return 0;
	case 'r':
		return cli_add_item(COMMAND, a->roles, &a->n_roles, NGD_MAX_ROLES, optarg,
				    role_valid, "--role");
	case 'g':
		return cli_add_item(COMMAND, a->groups, &a->n_groups, NGD_MAX_GROUPS, optarg,
				    group_name_valid, "--group");
	case 'm':
		return decimal_parse(optarg, 1, 999999999, &a->minutes) == 0
			       ? 0
			       : cli_usage_error(
					 COMMAND,
					 "--minutes must be whole minutes from 1, not '%.40s'",
					 optarg);
	case 'p': a->protocol = optarg; return 0;
	case 'h': fputs(usage, stdout); return 1;
	default: return 2;
	}
}

static int parse_args(int argc, char **argv, struct explain_args *a)
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'c'},
		{"hub", required_argument, NULL, 'H'},
		{"as", required_argument, NULL, 'a'},
		{"role", required_argument, NULL, 'r'},
		{"group", required_argument, NULL, 'g'},
		{"minutes", required_argument, NULL, 'm'},
		{"client-protocol", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int rc = cli_getopt(COMMAND, argc, argv, options, parse_option, a);
	if (rc != 0)
		return rc;
	if (!a->config || !a->hub || !a->as)
		return cli_usage_error(COMMAND, "--config, --hub and --as are required%s", "");
	if (!hub_name_valid(a->hub))
		return cli_usage_error(
			COMMAND, "--hub must name a hub (" HUB_NAME_RULE "), not '%.140s'", a->hub);
	return 0;
}

static void print_note(void *ctx, const char *text)
{
	(void)ctx;
	printf("  %s\n", text);
}

static void print_note_silent(void *ctx, const char *text)
{
	(void)ctx, (void)text; /* the second, relaxed pass repeats what the first printed */
}

static const char *rule_line(const struct policy_rule *r, const char *file, bool role, char *out,
			     size_t len)
{
	snprintf(out, len, "%s at %s:%d", r->name, file, role ? r->roles_line : r->groups_line);
	return out;
}

static bool listed(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* Each carried name with its rule; each asked name the token does not carry, with why. */
static void print_items(const char *what, const char *const *names,
			const struct policy_rule *const *rules, size_t n, const char *const *asked,
			size_t n_asked, const char *file)
{
	char where[200];
	for (size_t i = 0; i < n; i++)
		printf("%s %s: granted by %s\n", what, names[i],
		       rule_line(rules[i], file, what[0] == 'r', where, sizeof where));
	for (size_t i = 0; i < n_asked; i++)
		if (!listed(names, n, asked[i]) && !listed(asked, i, asked[i]))
			printf("%s %s: refused: no matching rule grants it to this caller\n", what,
			       asked[i]);
}

/* The same decision with drop and cap, to show every asked item when the real one refused. */
static void print_detail(const struct policy *p, const struct principal *who,
			 const struct policy_ask *ask, const struct grant *g)
{
	struct policy relaxed = *p;
	struct grant all = {0};
	const struct grant *shown = g;
	relaxed.on_excess = EXCESS_DROP;
	relaxed.lifetime_excess = EXCESS_CAP;
	relaxed.protocols = ~0u;
	if (g->refusal && policy_decide(&relaxed, who, ask,
					&(struct policy_trace){print_note_silent, NULL}, &all) == 0)
		shown = &all;
	print_items("role", shown->roles, shown->role_rule, shown->n_roles, ask->roles,
		    ask->n_roles, p->file);
	print_items("group", shown->groups, shown->group_rule, shown->n_groups, ask->groups,
		    ask->n_groups, p->file);
	if (!g->refusal)
		printf("lifetime: %u minutes\nclient protocol: %s\n", g->ttl_minutes,
		       client_protocol_name(g->protocol));
	grant_clear(&all);
}

static int decide(const struct explain_args *a, const struct config *cfg,
		  const struct config_hub *hub)
{
	char why[300], spec[1024];
	struct ngd_outcome who = {0};
	struct grant g = {0};
	struct policy_ask ask = {a->roles,   a->n_roles,	  a->n_roles > 0,
				 a->groups,  a->n_groups,	  a->n_groups > 0,
				 a->minutes, a->protocol != NULL, PROTOCOL_DEFAULT};
	if (a->protocol && client_protocol_parse(a->protocol, &ask.protocol) < 0)
		return cli_usage_error(
			COMMAND, "--client-protocol must be default, mqtt or socketio, not '%.40s'",
			a->protocol);
	snprintf(spec, sizeof spec, "%s", a->as);
	if (strlen(a->as) >= sizeof spec || principal_spec_parse(spec, &who, why, sizeof why) < 0) {
		outcome_clear(&who);
		return cli_usage_error(COMMAND, "--as: %s",
				       strlen(a->as) >= sizeof spec ? "too long" : why);
	}
	struct policy *p = policy_build(cfg, hub);
	if (!p) {
		outcome_clear(&who);
		return cli_usage_error(COMMAND, "out of memory");
	}
	printf("hub %s (%s:%d), caller %s\nrules, in order:\n", hub->head.name, cfg->path,
	       hub->head.line, a->as);
	int rc = policy_decide(p, &who.principal, &ask, &(struct policy_trace){print_note, NULL},
			       &g);
	if (rc == 0)
		printf("decision: granted\n");
	else
		printf("decision: refused: 403 %s: %s\n", g.refusal, g.message);
	print_detail(p, &who.principal, &ask, &g);
	grant_clear(&g);
	policy_free(p);
	outcome_clear(&who);
	return rc == 0 ? 0 : 1;
}

int cli_explain(int argc, char **argv)
{
	struct explain_args a = {0};
	char err[PARSER_ERRORS_TEXT];
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : rc; /* 1: --help */
	struct config *cfg = config_load_file(a.config, err, sizeof err);
	const struct config_hub *hub = cfg ? config_find_hub(cfg, a.hub) : NULL;
	if (!cfg)
		rc = cli_usage_error(COMMAND, "%s", err);
	else if (!hub)
		rc = cli_usage_error(COMMAND, "no [hub:%s] in %s", a.hub, a.config);
	else
		rc = decide(&a, cfg, hub);
	config_free(cfg);
	return rc;
}
