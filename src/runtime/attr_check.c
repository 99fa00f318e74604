/* SPDX-License-Identifier: Apache-2.0 */
/* Rules against authenticators: a condition on an attribute nobody sets passes every other check
 * and silently grants nothing, so it is refused with what the hub's authenticators do set. */
#include "runtime/attr_check.h"

#include "core/caps.h"
#include "policy/matcher.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_NAMES 32

/* Appends one line to ERR, after a newline when it holds something already. */
__attribute__((format(printf, 3, 4))) static void append_line(char *err, size_t err_len,
							      const char *fmt, ...)
{
	size_t used = strnlen(err, err_len);
	if (used && used + 1 < err_len)
		err[used++] = '\n', err[used] = '\0';
	if (used + 1 >= err_len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + used, err_len - used, fmt, ap);
	va_end(ap);
}

/* 1 when some authenticator of HUB (only ONLY_AUTH, when the rule says auth:NAME) may set NAME;
 * else 0 with what they set in SETS. */
static int hub_may_set(const struct runtime *rt, const struct config_hub *hub,
		       const char *only_auth, const char *name, char *sets, size_t sets_len)
{
	size_t used = 0;
	sets[0] = '\0';
	for (size_t i = 0; i < hub->auth.n; i++) {
		const char *auth = hub->auth.items[i], *names[MAX_NAMES];
		long pos = config_auth_pos(rt->cfg, auth);
		if (pos < 0 || (only_auth && strcmp(only_auth, auth) != 0))
			continue;
		int n = auth_instance_attributes(rt->auths[pos], names, MAX_NAMES);
		if (n < 0)
			return 1;
		if (used < sets_len)
			used += (size_t)snprintf(sets + used, sets_len - used,
						 "%s%s:", used ? "; " : "", auth);
		for (int k = 0; k < n; k++) {
			if (strcmp(names[k], name) == 0)
				return 1;
			if (used < sets_len)
				used += (size_t)snprintf(sets + used, sets_len - used, " %s",
							 names[k]);
		}
		if (n == 0 && used < sets_len)
			used += (size_t)snprintf(sets + used, sets_len - used, " none");
	}
	return 0;
}

/* The auth:NAME condition of rule R, if it has one. */
static const char *rule_auth(const struct config_rule *r)
{
	for (size_t i = 0; i < r->match.n; i++)
		if (strncmp(r->match.items[i], "auth:", 5) == 0)
			return r->match.items[i] + 5;
	return NULL;
}

static int check_rule(const struct runtime *rt, const struct config_rule *r, char *err,
		      size_t err_len)
{
	int found = 0;
	char sets[400];
	for (size_t i = 0; r->match_c && i < r->match.n; i++) {
		const struct matcher m = r->match_c[i]; /* parsed once, by config_load's check */
		for (size_t h = 0; m.kind == MATCH_ATTR && h < r->hubs.n; h++) {
			const struct config_hub *hub = config_find_hub(rt->cfg, r->hubs.items[h]);
			if (!hub || hub_may_set(rt, hub, rule_auth(r), m.name, sets, sizeof sets))
				continue;
			append_line(err, err_len,
				    "%s:%d: match: '%.80s' can never hold on hub %s: no "
				    "authenticator of it sets an "
				    "attribute '%.64s' (they set: %s)",
				    rt->cfg->path, config_key_line(&r->head, "rule", "match"),
				    m.source, hub->head.name, m.name, sets[0] ? sets : "nothing");
			found++;
		}
	}
	return found;
}

int attr_check(const struct runtime *rt, char *err, size_t err_len)
{
	int found = 0;
	for (size_t i = 0; i < rt->cfg->n_rules; i++)
		found += check_rule(rt, rt->cfg->rules[i], err, err_len);
	return found;
}
