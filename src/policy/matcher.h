/* SPDX-License-Identifier: Apache-2.0 */
/* A rule's conditions on the principal: anyone, user:ID, attr:NAME=VALUE (or =*), auth:NAME. */
#ifndef NGD_MATCHER_H
#define NGD_MATCHER_H

#include "policy/principal.h"

#include <stdbool.h>
#include <stddef.h>

struct matcher {
	enum { MATCH_ANYONE, MATCH_USER, MATCH_ATTR, MATCH_AUTH } kind;
	char *name;	    /* MATCH_ATTR: the attribute; MATCH_USER: the user id; MATCH_AUTH: the [auth:NAME] */
	char *value;	    /* MATCH_ATTR: the value one of the attribute's values must equal */
	const char *source; /* as written (borrowed from the configuration) */
};

/* 0, or -1 with a reason. */
int matcher_parse(const char *text, struct matcher *out, char *why, size_t why_len);
void matcher_clear(struct matcher *m);
/* Exact, case-sensitive comparison; a multi-valued attribute holds if any value is equal;
 * attr:NAME=* holds when the principal has any NAME attribute. */
bool matcher_holds(const struct matcher *m, const struct principal *who);

#endif
