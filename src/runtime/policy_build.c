/* SPDX-License-Identifier: Apache-2.0 */
/* Builds a hub's policy once per runtime from what the configuration's check compiled: templates
 * borrowed, matchers copied and bound to the hub. */
#include "runtime/policy_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The check compiled the list once (config.h): the policy borrows it. */
static void borrow_list(const struct template_list *list, struct template **out, size_t *n)
{
	*out = list->items;
	*n = list->n;
}

/* "KIND:NAME", without printf's cost for each of thousands of hubs. */
static char *rule_name(const char *kind, const char *name)
{
	size_t k = strlen(kind), n = strlen(name);
	char *out = malloc(k + n + 2);
	if (out) {
		memcpy(out, kind, k);
		out[k] = ':';
		memcpy(out + k + 1, name, n + 1);
	}
	return out;
}

static int compile_hub_rule(const struct config_hub *h, struct policy_rule *r)
{
	if (!(r->name = rule_name("hub", h->head.name)))
		return -1;
	r->line = h->head.line;
	r->roles_line = config_key_line(&h->head, "hub", "roles");
	r->groups_line = config_key_line(&h->head, "hub", "groups");
	r->lifetime_line = config_key_line(&h->head, "hub", "max_token_lifetime");
	r->max_minutes = h->max_token_lifetime;
	borrow_list(&h->roles_c, &r->roles, &r->n_roles);
	borrow_list(&h->groups_c, &r->groups, &r->n_groups);
	return 0;
}

static int compile_rule(const struct config_hub *h, const struct config_rule *c,
			struct policy_rule *r)
{
	char why[300];
	if (!(r->name = rule_name("rule", c->head.name)))
		return -1;
	r->line = c->head.line;
	r->roles_line = config_key_line(&c->head, "rule", "roles");
	r->groups_line = config_key_line(&c->head, "rule", "groups");
	r->lifetime_line = c->max_token_lifetime
				   ? config_key_line(&c->head, "rule", "max_token_lifetime")
				   : config_key_line(&h->head, "hub", "max_token_lifetime");
	r->max_minutes = c->max_token_lifetime && c->max_token_lifetime < h->max_token_lifetime
				 ? c->max_token_lifetime
				 : h->max_token_lifetime;
	if (!(r->match = calloc(c->match.n ? c->match.n : 1, sizeof *r->match)))
		return -1;
	/* parsed once by config_check(), which has also said why binding fails */
	for (; r->n_match < c->match.n; r->n_match++) {
		struct matcher *m = &r->match[r->n_match];
		if (!c->match_c || matcher_copy(&c->match_c[r->n_match], m) < 0)
			return -1;
		if (matcher_bind_user(m, h->head.name, h->auth.items, h->auth.n, why, sizeof why) <
		    0) {
			matcher_clear(m);
			return -1;
		}
	}
	borrow_list(&c->roles_c, &r->roles, &r->n_roles);
	borrow_list(&c->groups_c, &r->groups, &r->n_groups);
	return 0;
}

static unsigned protocol_bits(const struct config_hub *h)
{
	unsigned bits = 1u << h->client_protocol;
	enum client_protocol p;
	for (size_t i = 0; i < h->client_protocols.n; i++)
		if (client_protocol_parse(h->client_protocols.items[i], &p) == 0)
			bits |= 1u << p;
	return bits;
}

struct policy *policy_build(const struct config *cfg, const struct config_hub *h)
{
	struct policy *p = calloc(1, sizeof *p);
	if (!p || !(p->rules = calloc(h->n_rules + 1, sizeof *p->rules))) {
		free(p);
		return NULL;
	}
	*p = (struct policy){
		.hub = h->head.name,
		.file = cfg->path,
		.rules = p->rules,
		.has_default_roles = h->set_default_roles,
		.has_default_groups = h->set_default_groups,
		.default_roles_line = config_key_line(&h->head, "hub", "default_roles"),
		.default_groups_line = config_key_line(&h->head, "hub", "default_groups"),
		.token_lifetime = h->token_lifetime,
		.max_token_lifetime = h->max_token_lifetime,
		.on_excess = h->on_excess,
		.lifetime_excess = h->lifetime_excess,
		.protocol = h->client_protocol,
		.protocols = protocol_bits(h)};
	int rc = compile_hub_rule(h, &p->rules[p->n_rules++]);
	for (size_t i = 0; rc == 0 && i < h->n_rules; i++)
		rc = compile_rule(h, h->rules[i], &p->rules[p->n_rules++]);
	borrow_list(&h->default_roles_c, &p->default_roles, &p->n_default_roles);
	borrow_list(&h->default_groups_c, &p->default_groups, &p->n_default_groups);
	if (rc != 0) {
		policy_free(p);
		return NULL;
	}
	return p;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_rules; i++) {
		struct policy_rule *r = &p->rules[i];
		for (size_t m = 0; m < r->n_match; m++)
			matcher_clear(&r->match[m]);
		free(r->match);
		free((char *)r->name); /* the templates are the configuration's */
	}
	free(p->rules);
	free(p);
}
