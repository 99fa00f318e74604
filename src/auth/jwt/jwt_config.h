/* SPDX-License-Identifier: Apache-2.0 */
/* The jwt authenticator's [auth:NAME] section: claims rules, algorithms and the one key source. */
#ifndef NGD_AUTH_JWT_CONFIG_H
#define NGD_AUTH_JWT_CONFIG_H

#include "auth/jwt/claim_path.h"
#include "auth/jwt/jwks.h"
#include "auth/jwt/jws_header.h"
#include "auth/jwt/jwt_cache.h"
#include "auth/jwt/jws_verify.h"
#include "auth/jwt/jwt_claims.h"

#include <negotiated/authenticator.h>
#include <stdbool.h>

#define JWT_MAX_LIST 16 /* audiences, algorithms, attribute claims */

struct word_list {
	char *text; /* a copy of the value, cut into the words */
	const char *words[JWT_MAX_LIST];
	size_t n;
};

struct jwt_config {
	struct jwt_rules rules;
	struct word_list audiences;
	struct claim_attr attributes[JWT_MAX_LIST]; /* attribute_claims, owned */
	size_t n_attributes;
	bool allowed[JWS_N_ALGS];
	const char *algorithms_text;  /* as configured, for debug lines */
	const char *cookie;	      /* NULL: the Authorization header only */
	struct claim_path user_claim; /* default "sub", owned */
	unsigned max_token_bytes;
	struct jwks *keys;
	struct jwt_cache *cache;	 /* verified tokens (verified_cache); NULL when off */
	struct jws_header_memo *headers; /* the token headers seen last, parsed */
};

/* Reads SEC into CFG (strings point into SEC, which outlives it). 0, or -1 after ngd_section_error.
 */
int jwt_config_load(struct ngd_section *sec, struct jwt_config *cfg);
void jwt_config_free(struct jwt_config *cfg);

#endif
