/* SPDX-License-Identifier: Apache-2.0 */
/* `negotiated token`: mints one client access URL. With --config it answers what the daemon would
 * for that caller and ask (the hub's policy applied, authentication aside); --raw, or a connection
 * string, mints exactly what is asked. */
#include "cli/cli_token.h"

#include "cli/cli_args.h"
#include "cli/principal_spec.h"
#include "config/config.h"
#include "core/caps.h"
#include "core/decimal.h"
#include "core/names.h"
#include "core/secret.h"
#include "runtime/policy_build.h"
#include "runtime/runtime.h"
#include "token/token.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct token_args {
	const char *config, *hub, *user, *protocol, *as;
	struct cli_secret_source cs; /* the connection string's source */
	const char *roles[NGD_MAX_ROLES], *groups[NGD_MAX_GROUPS];
	size_t n_roles, n_groups;
	unsigned ttl; /* 0: the hub's default, or 60 */
	bool json, raw;
};

static const char COMMAND[] = "token";

static const char usage[] =
	"usage: negotiated token --config FILE --hub HUB (--user ID | --as "
	"'user=ID[,auth=NAME][,attr:NAME=VALUE]...')\n"
	"       [--role ROLE]... [--group GROUP]... [--ttl MINUTES] [--client-protocol "
	"default|mqtt|socketio]\n"
	"       [--json]\n"
	"   or: negotiated token --config FILE --hub HUB --raw [--user ID] [asks]...\n"
	"   or: negotiated token (--connection-string-file PATH|- | --connection-string-env NAME\n"
	"       | --connection-string-credential NAME) --hub HUB [--user ID] [asks]...\n"
	"With --config, the answer is the daemon's for that caller and ask: the hub's roles, "
	"groups, rules,\n"
	"defaults and lifetimes apply (the hub's authenticators are not asked: --user or --as says "
	"who the\n"
	"caller is); a refusal exits 1 with the daemon's 403 code. --raw, or a connection string, "
	"signs\n"
	"exactly the roles and groups given. A connection string is never taken on the command "
	"line.\n";

static int parse_ttl(const char *s, unsigned *out)
{
	if (decimal_parse(s, 1, NGD_MAX_TTL_MINUTES, out) < 0)
		return cli_usage_error(COMMAND,
				       "--ttl must be whole minutes from 1 to %d, not '%.40s'",
				       NGD_MAX_TTL_MINUTES, s);
	return 0;
}

static int parse_option(int opt, void *args)
{
	struct token_args *a = args;
	switch (opt) {
	case 'c': a->config = optarg; return 0;
	case 's':
		return cli_usage_error(
			COMMAND,
			"--connection-string would show the access key in ps, /proc and shell "
			"history: use --connection-string-file PATH (- for standard input), "
			"--connection-string-env NAME or --connection-string-credential NAME%s",
			"");
	case 'F': a->cs.file = optarg; return 0;
	case 'E': a->cs.env = optarg; return 0;
	case 'C': a->cs.credential = optarg; return 0;
	case 'H': a->hub = optarg; return 0;
	case 'u':
		a->user = optarg;
		return user_id_valid(optarg)
			       ? 0
			       : cli_usage_error(COMMAND, "invalid --user '%s'", optarg);
	case 'r':
		return cli_add_item(COMMAND, a->roles, &a->n_roles, NGD_MAX_ROLES, optarg,
				    role_valid, "--role");
	case 'g':
		return cli_add_item(COMMAND, a->groups, &a->n_groups, NGD_MAX_GROUPS, optarg,
				    group_name_valid, "--group");
	case 't': return parse_ttl(optarg, &a->ttl);
	case 'p': a->protocol = optarg; return 0;
	case 'j': a->json = true; return 0;
	case 'R': a->raw = true; return 0;
	case 'a': a->as = optarg; return 0;
	case 'h': fputs(usage, stdout); return 1;
	default: return 2; /* getopt has already said which option */
	}
}

static int parse_args(int argc, char **argv, struct token_args *a)
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'c'},
		{"connection-string", required_argument, NULL, 's'},
		{"connection-string-file", required_argument, NULL, 'F'},
		{"connection-string-env", required_argument, NULL, 'E'},
		{"connection-string-credential", required_argument, NULL, 'C'},
		{"hub", required_argument, NULL, 'H'},
		{"user", required_argument, NULL, 'u'},
		{"role", required_argument, NULL, 'r'},
		{"group", required_argument, NULL, 'g'},
		{"ttl", required_argument, NULL, 't'},
		{"client-protocol", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"raw", no_argument, NULL, 'R'},
		{"as", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int rc = cli_getopt(COMMAND, argc, argv, options, parse_option, a);
	if (rc != 0)
		return rc;
	int sources = !!a->config + !!a->cs.file + !!a->cs.env + !!a->cs.credential;
	if (sources != 1)
		return cli_usage_error(
			COMMAND,
			"give exactly one of --config and --connection-string-file, -env or "
			"-credential%s",
			"");
	if ((a->raw || !a->config) && a->as)
		return cli_usage_error(
			COMMAND,
			"--as is for the hub's policy: not with --raw or a connection string%s",
			"");
	if (a->user && a->as)
		return cli_usage_error(COMMAND, "give --user or --as, not both%s", "");
	if (a->config && !a->raw && !a->user && !a->as)
		return cli_usage_error(COMMAND,
				       "--config answers as the daemon would for a caller: give "
				       "--user ID (or --as "
				       "'user=ID,auth=NAME,attr:NAME=VALUE'), or --raw to sign "
				       "exactly what is asked%s",
				       "");
	if (!a->hub || !hub_name_valid(a->hub))
		return cli_usage_error(COMMAND,
				       "--hub must name a hub (" HUB_NAME_RULE "), not '%.140s'",
				       a->hub ? a->hub : "");
	return 0;
}

/* The service and defaults from the config's hub; exit status on failure. In policy mode (not
 * --raw) the configuration is handed over in *keep (config_free it). */
static int from_config(struct token_args *a, struct service *svc, enum client_protocol *protocol,
		       struct config **keep)
{
	char err[PARSER_ERRORS_TEXT];
	struct config *cfg = config_load_file(a->config, err, sizeof err);
	const struct config_hub *hub = cfg ? config_find_hub(cfg, a->hub) : NULL;
	int rc = 0;
	if (!cfg)
		rc = cli_usage_error(COMMAND, "%s", err);
	else if (!hub)
		rc = cli_usage_error(COMMAND, "no [hub:%s] in the configuration", a->hub);
	else if (a->raw && a->ttl > hub->max_token_lifetime)
		rc = cli_usage_error(COMMAND, "--ttl is above the hub's max_token_lifetime (%s)",
				     a->config);
	else if (service_load(cfg, config_find_service(cfg, hub->service), svc, err, sizeof err) <
		 0)
		rc = cli_usage_error(COMMAND, "%s", err);
	if (rc == 0) {
		*protocol = hub->client_protocol;
		a->ttl = a->ttl || !a->raw ? a->ttl : hub->token_lifetime;
	}
	if (rc == 0 && !a->raw)
		*keep = cfg;
	else
		config_free(cfg);
	return rc;
}

static int print_token(const struct token_args *a, const struct service *svc,
		       enum client_protocol protocol)
{
	struct buf token = {0}, base = {0}, out = {0};
	struct token_claims claims = {a->hub,
				      protocol,
				      a->user,
				      a->roles,
				      a->n_roles,
				      a->groups,
				      a->n_groups,
				      (long long)time(NULL),
				      a->ttl ? a->ttl : 60};
	client_base_url(&svc->endpoint, a->hub, protocol, &base);
	int rc = token_issue(&svc->endpoint, svc->signer, svc->rest, &claims, &token) != ISSUE_OK ||
				 base.failed
			 ? 1
			 : 0;
	if (rc == 0 && a->json)
		client_access_json(base.data, token.data, protocol, &out);
	else if (rc == 0)
		buf_printf(&out, "%s?access_token=%s", base.data, token.data);
	if (rc == 0 && !out.failed)
		printf("%s\n", out.data);
	else
		fputs("negotiated: token: could not sign the token\n", stderr);
	buf_free_secret(&token);
	buf_free_secret(&out);
	buf_free(&base);
	return rc || out.failed ? 1 : 0;
}

/* The caller the daemon's authenticator would have admitted: --user (admitted by the hub's only
 * authenticator, if it has one), or --as's principal. */
static int caller(const struct token_args *a, const struct config_hub *hub, char *spec,
		  size_t spec_len, struct ngd_outcome *who)
{
	char why[300];
	if (!a->as) {
		snprintf(who->principal.user_id, sizeof who->principal.user_id, "%s", a->user);
		if (hub->auth.n == 1)
			who->principal.authenticator = hub->auth.items[0];
		else
			fprintf(stderr,
				"negotiated: token: note: hub %s has several authenticators: rules "
				"with auth:NAME "
				"or attr:NAME hold only with --as "
				"'user=ID,auth=NAME,attr:NAME=VALUE'\n",
				hub->head.name);
		return 0;
	}
	if (strlen(a->as) >= spec_len)
		return cli_usage_error(COMMAND, "--as: too long%s", "");
	snprintf(spec, spec_len, "%s", a->as);
	if (principal_spec_parse(spec, who, why, sizeof why) < 0)
		return cli_usage_error(COMMAND, "--as: %s", why);
	return 0;
}

/* Decides as the daemon does for the caller and ask, then signs the grant; exit status. */
static int policy_token(const struct token_args *a, struct config *cfg, const struct service *svc)
{
	char spec[1024];
	struct ngd_outcome who = {0};
	struct grant g = {0};
	struct policy_ask ask = {a->roles,  a->n_roles,		 a->n_roles > 0,
				 a->groups, a->n_groups,	 a->n_groups > 0,
				 a->ttl,    a->protocol != NULL, PROTOCOL_DEFAULT};
	if (a->protocol && client_protocol_parse(a->protocol, &ask.protocol) < 0)
		return cli_usage_error(
			COMMAND, "--client-protocol must be default, mqtt or socketio, not '%.40s'",
			a->protocol);
	const struct config_hub *hub = config_find_hub(cfg, a->hub);
	int rc = caller(a, hub, spec, sizeof spec, &who);
	struct policy *p = rc ? NULL : policy_build(cfg, hub);
	if (!rc && !p)
		rc = cli_usage_error(COMMAND, "out of memory%s", "");
	if (!rc && policy_decide(p, &who.principal, &ask, NULL, &g) < 0) {
		fprintf(stderr, "negotiated: token: refused as the daemon would (403 %s): %s\n",
			g.refusal, g.message);
		rc = 1;
	} else if (!rc) {
		struct token_args granted = *a;
		granted.user = who.principal.user_id;
		memcpy(granted.roles, g.roles, g.n_roles * sizeof g.roles[0]);
		granted.n_roles = g.n_roles;
		memcpy(granted.groups, g.groups, g.n_groups * sizeof g.groups[0]);
		granted.n_groups = g.n_groups;
		granted.ttl = g.ttl_minutes;
		rc = print_token(&granted, svc, g.protocol);
	}
	grant_clear(&g);
	policy_free(p);
	outcome_clear(&who);
	return rc;
}

int cli_token(int argc, char **argv)
{
	struct token_args a = {0};
	struct service svc = {0};
	enum client_protocol protocol = PROTOCOL_DEFAULT;
	char err[256];
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : rc; /* 1: --help */
	if (!a.config) {
		char *cs = cli_read_secret(COMMAND, &a.cs, NGD_MAX_CONNSTR, "a connection string");
		if (!cs)
			return 2; /* cli_read_secret said why */
		rc = service_init(&svc, "command line", cs, err, sizeof err);
		secret_free(cs);
		if (rc < 0)
			return cli_usage_error(COMMAND, "the connection string: %s", err);
	}
	struct config *cfg = NULL;
	if (a.config && (rc = from_config(&a, &svc, &protocol, &cfg)) != 0)
		return rc;
	if (cfg)
		rc = policy_token(&a, cfg, &svc);
	else if (a.protocol && client_protocol_parse(a.protocol, &protocol) < 0)
		rc = cli_usage_error(
			COMMAND, "--client-protocol must be default, mqtt or socketio, not '%s'",
			a.protocol);
	else
		rc = print_token(&a, &svc, protocol);
	config_free(cfg);
	service_clear(&svc);
	return rc;
}
