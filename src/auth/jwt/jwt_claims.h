/* SPDX-License-Identifier: Apache-2.0 */
/* The registered-claim rules of the jwt authenticator: issuer, audience, and the time window. */
#ifndef NGD_JWT_CLAIMS_H
#define NGD_JWT_CLAIMS_H

#include <jansson.h>
#include <stddef.h>

struct jwt_rules {
	const char *issuer;
	const char *const *audiences;
	size_t n_audiences;
	long long leeway; /* seconds of clock skew allowed both ways */
	const char *name; /* the [auth:NAME], for debug lines */
};

/* A refusal: a stable code and a message without any token bytes. */
struct jwt_refusal {
	const char *code;
	const char *message;
};

/* When the time checks of an admitted token pass, in wall-clock seconds: from <= now < until.
 * Conservative: until is exp itself (no leeway), from is the latest of nbf and iat less the leeway;
 * nothing else in the claims depends on the time. */
struct jwt_window {
	long long from, until;
};

/* Checks CLAIMS at time NOW against RULES; 0 with *window filled (if not NULL), or -1 with *why. */
int jwt_claims_check(const json_t *claims, const struct jwt_rules *rules, long long now,
		     struct jwt_refusal *why, struct jwt_window *window);

/* S as a log may show it: at most OUT_LEN - 1 bytes, each control byte or DEL as '?'; "(none)" for
 * NULL. */
const char *jwt_printable(const char *s, char *out, size_t out_len);

#endif
