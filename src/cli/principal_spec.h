/* SPDX-License-Identifier: Apache-2.0 */
/* A principal written on a command line: "user=alice,auth=keys,attr:groups=admins,attr:groups=ops"
 * (explain's --as, the policy tests). Values may not contain commas. */
#ifndef NGD_PRINCIPAL_SPEC_H
#define NGD_PRINCIPAL_SPEC_H

#include "auth/chain.h"

#include <stddef.h>

/* Parses spec (modified in place; the authenticator points into it) into out's principal.
 * 0, or -1 with a reason. Release attributes with outcome_clear(). */
int principal_spec_parse(char *spec, struct ngd_outcome *out, char *why, size_t why_len);

#endif
