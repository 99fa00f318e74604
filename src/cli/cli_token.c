/* SPDX-License-Identifier: Apache-2.0 */
/* `negotiated token`: mints one client access URL from a config's hub or a connection string. */
#include "cli/cli_token.h"

#include "cli/cli_args.h"
#include "config/config.h"
#include "core/caps.h"
#include "core/decimal.h"
#include "core/names.h"
#include "core/secret.h"
#include "runtime/runtime.h"
#include "token/token.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct token_args {
	const char *config, *connection_string, *hub, *user, *protocol;
	const char *roles[NGD_MAX_ROLES], *groups[NGD_MAX_GROUPS];
	size_t n_roles, n_groups;
	unsigned ttl; /* 0: the hub's default, or 60 */
	bool json;
};

static const char COMMAND[] = "token";

static const char usage[] =
	"usage: negotiated token (--config FILE --hub HUB | --connection-string CS --hub HUB) [--user ID]\n"
	"       [--role ROLE]... [--group GROUP]... [--ttl MINUTES] [--client-protocol default|mqtt|socketio]\n"
	"       [--json]\n";

static int parse_ttl(const char *s, unsigned *out)
{
	if (decimal_parse(s, 1, NGD_MAX_TTL_MINUTES, out) < 0)
		return cli_usage_error(COMMAND, "--ttl must be whole minutes from 1 to %d, not '%.40s'",
				       NGD_MAX_TTL_MINUTES, s);
	return 0;
}

static int parse_option(int opt, void *args)
{
	struct token_args *a = args;
	switch (opt) {
	case 'c': a->config = optarg; return 0;
	case 's': a->connection_string = optarg; return 0;
	case 'H': a->hub = optarg; return 0;
	case 'u':
		a->user = optarg;
		return user_id_valid(optarg) ? 0 : cli_usage_error(COMMAND, "invalid --user '%s'", optarg);
	case 'r': return cli_add_item(COMMAND, a->roles, &a->n_roles, NGD_MAX_ROLES, optarg, role_valid, "--role");
	case 'g':
		return cli_add_item(COMMAND, a->groups, &a->n_groups, NGD_MAX_GROUPS, optarg, group_name_valid,
				    "--group");
	case 't': return parse_ttl(optarg, &a->ttl);
	case 'p': a->protocol = optarg; return 0;
	case 'j': a->json = true; return 0;
	case 'h': fputs(usage, stdout); return 1;
	default: return 2; /* getopt has already said which option */
	}
}

static int parse_args(int argc, char **argv, struct token_args *a)
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'c'},
		{"connection-string", required_argument, NULL, 's'},
		{"hub", required_argument, NULL, 'H'},
		{"user", required_argument, NULL, 'u'},
		{"role", required_argument, NULL, 'r'},
		{"group", required_argument, NULL, 'g'},
		{"ttl", required_argument, NULL, 't'},
		{"client-protocol", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int rc = cli_getopt(COMMAND, argc, argv, options, parse_option, a);
	if (rc != 0)
		return rc;
	if (!a->config == !a->connection_string)
		return cli_usage_error(COMMAND, "give exactly one of --config and --connection-string%s", "");
	if (!a->hub || !hub_name_valid(a->hub))
		return cli_usage_error(COMMAND, "--hub must name a hub (" HUB_NAME_RULE "), not '%.140s'",
				       a->hub ? a->hub : "");
	return 0;
}

/* The service and defaults from the config's hub; exit status on failure. */
static int from_config(struct token_args *a, struct service *svc, enum client_protocol *protocol)
{
	char err[512];
	struct config *cfg = config_load_file(a->config, err, sizeof err);
	const struct config_hub *hub = cfg ? config_find_hub(cfg, a->hub) : NULL;
	int rc = 0;
	if (!cfg)
		rc = cli_usage_error(COMMAND, "%s", err);
	else if (!hub)
		rc = cli_usage_error(COMMAND, "no [hub:%s] in the configuration", a->hub);
	else if (a->ttl > hub->max_token_lifetime)
		rc = cli_usage_error(COMMAND, "--ttl is above the hub's max_token_lifetime (%s)", a->config);
	else if (service_load(cfg, config_find_service(cfg, hub->service), svc, err, sizeof err) < 0)
		rc = cli_usage_error(COMMAND, "%s", err);
	if (rc == 0) {
		*protocol = hub->client_protocol;
		a->ttl = a->ttl ? a->ttl : hub->token_lifetime;
	}
	config_free(cfg);
	return rc;
}

static int print_token(const struct token_args *a, const struct service *svc, enum client_protocol protocol)
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
	int rc =
		token_issue(&svc->endpoint, svc->signer, svc->rest, &claims, &token) != ISSUE_OK || base.failed ? 1 : 0;
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

int cli_token(int argc, char **argv)
{
	struct token_args a = {0};
	struct service svc = {0};
	enum client_protocol protocol = PROTOCOL_DEFAULT;
	char err[256];
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc == 1 ? 0 : rc; /* 1: --help */
	if (a.connection_string && service_init(&svc, "command line", a.connection_string, err, sizeof err) < 0)
		return cli_usage_error(COMMAND, "--connection-string: %s", err);
	if (a.config && (rc = from_config(&a, &svc, &protocol)) != 0)
		return rc;
	if (a.protocol && client_protocol_parse(a.protocol, &protocol) < 0)
		rc = cli_usage_error(COMMAND, "--client-protocol must be default, mqtt or socketio, not '%s'",
				     a.protocol);
	else
		rc = print_token(&a, &svc, protocol);
	service_clear(&svc);
	return rc;
}
