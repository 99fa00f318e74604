/* SPDX-License-Identifier: Apache-2.0 */
/* A rule's conditions on the principal: anyone, user:ID, attr:NAME=VALUE (or =*), auth:NAME. */
#ifndef NGD_MATCHER_H
#define NGD_MATCHER_H

#include "policy/principal.h"

#include <stdbool.h>
#include <stddef.h>

struct matcher {
	enum { MATCH_ANYONE, MATCH_USER, MATCH_ATTR, MATCH_AUTH } kind;
	char *name;  /* MATCH_ATTR: the attribute; MATCH_USER: the user id; MATCH_AUTH: the
			[auth:NAME] */
	char *value; /* MATCH_ATTR: the value one of the attribute's values must equal; MATCH_USER:
		      * the [auth:NAME] that must have admitted the user, once matcher_bind_user()
		      * ran */
	const char *source; /* as written (borrowed from the configuration) */
};

/* 0, or -1 with a reason. */
int matcher_parse(const char *text, struct matcher *out, char *why, size_t why_len);
void matcher_clear(struct matcher *m);
/* out: a copy of a parsed (unbound) condition that owns its own strings, to bind to one hub.
 * 0, or -1 when out of memory (out is then clear). */
int matcher_copy(const struct matcher *from, struct matcher *out);
/* Ties a user: condition to one of the hub's authenticators (auths, n), since two may admit the
 * same id: "user:AUTH/ID" when AUTH is in the hub's list, "user:ID" when the hub has exactly one.
 * 0 (other kinds: nothing done), or -1 with a reason naming the hub. */
int matcher_bind_user(struct matcher *m, const char *hub, char *const *auths, size_t n, char *why,
		      size_t why_len);
/* Exact, case-sensitive comparison; a bound user: compares (authenticator, id) pairs; a
 * multi-valued attribute holds if any value is equal; attr:NAME=* holds when the principal has any
 * NAME attribute. */
bool matcher_holds(const struct matcher *m, const struct principal *who);

#endif
