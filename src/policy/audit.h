/* SPDX-License-Identifier: Apache-2.0 */
/* The audit trail: one key=value line per token issued and per refusal, through log.c.
 * Strings are JSON-quoted, lists are JSON arrays; a token appears only as a fingerprint. */
#ifndef NGD_AUDIT_H
#define NGD_AUDIT_H

#include "policy/policy.h"
#include "policy/principal.h"

/* event=issued: hub, user, authenticator, client address, roles, groups, exp and the first 12
 * hex digits of the token's SHA-256. */
void audit_issued(const char *hub, const struct principal *who, const char *client,
		  const struct grant *g, long long exp, const char *token);
/* event=refused: hub (NULL before one is known), user and authenticator when known, client,
 * HTTP status, stable code and message. */
void audit_refused(const char *hub, const struct principal *who, const char *client,
		   unsigned status, const char *code, const char *message);
/* The first 12 hex digits of SHA-256(token) into out[13]; "" if hashing fails. */
void audit_fingerprint(const char *token, char out[13]);

#endif
