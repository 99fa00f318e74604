/* SPDX-License-Identifier: Apache-2.0 */
/* Key hygiene: a public key from any source (JWKS, PEM) is checked before it may verify a token. */
#ifndef NGD_JWK_CHECK_H
#define NGD_JWK_CHECK_H

#include "auth/jwt/jwk.h"

#define JWK_MAX_RSA_BITS 8192

/* NULL when PKEY of KIND may be used, else why not (names no key material): OpenSSL's public-key
 * check; RSA 2048 to 8192 bits with an odd e >= 3; Ed25519 neither of small order nor encoded
 * non-canonically. */
const char *jwk_key_check(EVP_PKEY *pkey, enum jwk_kind kind);

#endif
