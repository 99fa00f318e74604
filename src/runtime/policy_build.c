/* SPDX-License-Identifier: Apache-2.0 */
/* Compiles a hub's policy once per runtime: matchers parsed, templates split into parts. */
#include "runtime/policy_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compile_list(const struct strlist *list, enum template_kind kind, struct template **out,
			size_t *n)
{
	char why[300];
	*out = list->n ? calloc(list->n, sizeof **out)
		       : NULL; /* most hubs leave most lists empty */
	if (list->n && !*out)
		return -1;
	for (; *n < list->n; (*n)++)
		if (template_compile(list->items[*n], kind, &(*out)[*n], why, sizeof why) < 0)
			return -1; /* config_load has checked every template: only memory can fail
				      here */
	return 0;
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
	return compile_list(&h->roles, TEMPLATE_ROLE, &r->roles, &r->n_roles) |
	       compile_list(&h->groups, TEMPLATE_GROUP, &r->groups, &r->n_groups);
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
	for (; r->n_match < c->match.n;
	     r->n_match++) { /* config_check() has said why either fails */
		struct matcher *m = &r->match[r->n_match];
		if (matcher_parse(c->match.items[r->n_match], m, why, sizeof why) < 0)
			return -1;
		if (matcher_bind_user(m, h->head.name, h->auth.items, h->auth.n, why, sizeof why) <
		    0) {
			matcher_clear(m);
			return -1;
		}
	}
	return compile_list(&c->roles, TEMPLATE_ROLE, &r->roles, &r->n_roles) |
	       compile_list(&c->groups, TEMPLATE_GROUP, &r->groups, &r->n_groups);
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
	if (rc == 0)
		rc = compile_list(&h->default_roles, TEMPLATE_ROLE, &p->default_roles,
				  &p->n_default_roles) |
		     compile_list(&h->default_groups, TEMPLATE_GROUP, &p->default_groups,
				  &p->n_default_groups);
	if (rc != 0) {
		policy_free(p);
		return NULL;
	}
	return p;
}

static void free_templates(struct template *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		template_clear(&t[i]);
	free(t);
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
		free_templates(r->roles, r->n_roles);
		free_templates(r->groups, r->n_groups);
		free((char *)r->name);
	}
	free(p->rules);
	free_templates(p->default_roles, p->n_default_roles);
	free_templates(p->default_groups, p->n_default_groups);
	free(p);
}
