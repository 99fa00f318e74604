/* SPDX-License-Identifier: Apache-2.0 */
/* Policy: principal + hub + what the client asked for -> grant {roles, groups, lifetime, protocol}.
 * One compiled policy per hub, built once with the runtime; the daemon and `negotiated explain`
 * both decide through policy_decide(), so what explain shows is what the daemon does. */
#ifndef NGD_POLICY_H
#define NGD_POLICY_H

#include "core/buf.h"
#include "core/caps.h"
#include "policy/matcher.h"
#include "policy/principal.h"
#include "policy/template.h"
#include "token/token.h"

#include <stdbool.h>

/* What happens to a request for more than the policy allows. */
enum excess_mode { EXCESS_REFUSE, EXCESS_DROP, EXCESS_CAP };

/* One rule: a [rule:NAME] section, or the hub's own roles/groups (an implicit "anyone" rule). */
struct policy_rule {
	const char *name; /* "rule:NAME" or "hub:NAME" */
	int line, roles_line, groups_line, lifetime_line;
	struct matcher *match;
	size_t n_match;
	struct template *roles, *groups;
	size_t n_roles, n_groups;
	unsigned max_minutes; /* the rule's cap, already no more than the hub's */
};

struct policy {
	const char *hub, *file;
	struct policy_rule *rules; /* the hub's own first, then [rule:NAME] in file order */
	size_t n_rules;
	struct template *default_roles, *default_groups;
	size_t n_default_roles, n_default_groups;
	bool has_default_roles, has_default_groups;
	int default_roles_line, default_groups_line;
	unsigned token_lifetime, max_token_lifetime;
	enum excess_mode on_excess, lifetime_excess;
	enum client_protocol protocol;
	unsigned protocols; /* bit per enum client_protocol a client may ask for */
};

/* What the client asked for; pointers are borrowed for the call. */
struct policy_ask {
	const char *const *roles;
	size_t n_roles;
	bool roles_asked; /* an empty list asked for none */
	const char *const *groups;
	size_t n_groups;
	bool groups_asked;
	unsigned minutes; /* 0: not asked */
	bool protocol_asked;
	enum client_protocol protocol;
};

/* explain's window into a decision; NULL in the daemon, where notes go to the log. */
struct policy_trace {
	void (*note)(void *ctx, const char *text);
	void *ctx;
};

struct grant {
	const char *roles[NGD_MAX_ROLES]; /* borrowed from the policy or from `names` */
	const struct policy_rule *role_rule[NGD_MAX_ROLES];
	size_t n_roles;
	const char *groups[NGD_MAX_GROUPS];
	const struct policy_rule *group_rule[NGD_MAX_GROUPS];
	size_t n_groups;
	unsigned ttl_minutes;
	enum client_protocol protocol;
	/* refused: 403 with a stable code and a message naming what was refused */
	const char *refusal;
	char message[384];
	struct buf names; /* rendered templates; grant_clear() frees it */
};

void policy_free(struct policy *p); /* frees the rules and matchers; templates are borrowed */

/* Decides. 0: out is the grant. -1: refused, out->refusal and out->message say why.
 * out needs no initialisation (only what is used is written); call grant_clear(out) afterwards
 * either way, and before deciding into it again. */
int policy_decide(const struct policy *p, const struct principal *who, const struct policy_ask *ask,
		  const struct policy_trace *trace, struct grant *out);
void grant_clear(struct grant *g);

#endif
