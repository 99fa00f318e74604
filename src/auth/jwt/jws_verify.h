/* SPDX-License-Identifier: Apache-2.0 */
/* JWS signature algorithms: names, which key fits which algorithm, and verification (OpenSSL 3). */
#ifndef NGD_JWS_VERIFY_H
#define NGD_JWS_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

enum jws_alg {
	JWS_RS256,
	JWS_RS384,
	JWS_RS512,
	JWS_PS256,
	JWS_ES256,
	JWS_ES384,
	JWS_EDDSA,
	JWS_HS256,
	JWS_N_ALGS
};

struct jwk; /* one verification key: jwk.h */

/* The algorithm a name stands for ("RS256", ...), or -1 for any other name (including "none"). */
int jws_alg_parse(const char *name);
const char *jws_alg_name(enum jws_alg alg);

/* True when KEY may verify ALG: the key's type and curve match, and its own "alg" (if any) agrees.
 */
bool jws_key_fits(const struct jwk *key, enum jws_alg alg);

/* Sets up KEY's verification contexts once, for every algorithm it fits (key->ready); a key
 * without them is still checked, only slower. Called when a key set is built. */
void jws_prepare(struct jwk *key);
/* Verifies SIG over INPUT with KEY under ALG (which must fit the key); true only when it holds.
 * Safe from several threads at once with the same key. */
bool jws_verify(const struct jwk *key, enum jws_alg alg, const void *input, size_t input_len,
		const unsigned char *sig, size_t sig_len);

#endif
