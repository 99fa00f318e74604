/* SPDX-License-Identifier: Apache-2.0 */
/* Verification keys and immutable, reference-counted key sets, parsed from a JWKS document, a
 * PEM file (public key or certificate) or a shared secret. */
#ifndef NGD_JWK_H
#define NGD_JWK_H

#include "auth/jwt/jws_verify.h"

#include <openssl/evp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define JWKS_MAX_KEYS 64	       /* per key set */
#define JWKS_MAX_DOCUMENT (256 * 1024) /* a JWKS or discovery document, a PEM file */
#define JWK_MAX_KID 256
#define JWK_MIN_RSA_BITS 2048
#define JWK_MIN_SECRET 32 /* bytes of an HS256 secret */

enum jwk_kind { JWK_RSA, JWK_EC_P256, JWK_EC_P384, JWK_ED25519, JWK_SECRET };

struct jwk {
	enum jwk_kind kind;
	char *kid;	/* NULL: the key has none and answers any token's kid */
	int alg;	/* the key's own "alg" (enum jws_alg), or -1 when it names none */
	EVP_PKEY *pkey; /* all kinds but JWK_SECRET */
	unsigned char *secret;
	size_t secret_len;
	EVP_MD_CTX *ready[JWS_N_ALGS]; /* per algorithm it fits: set up once, copied per check (or
					  NULL) */
};

struct keyset {
	atomic_uint refs;
	uint64_t generation; /* process-unique: what a verification was made with (jwt_cache) */
	size_t n;
	struct jwk keys[];
};

/* Each returns a key set with one reference (release with keyset_release), or NULL with a reason
 * in err that names no secret. */
struct keyset *keyset_from_jwks(const char *json, size_t len, char *err, size_t err_len);
struct keyset *keyset_from_pem(const char *pem, size_t len, char *err, size_t err_len);
/* Copies the secret; the caller wipes its own copy. */
struct keyset *keyset_from_secret(const unsigned char *secret, size_t len, char *err,
				  size_t err_len);

struct keyset *keyset_ref(struct keyset *ks);
void keyset_release(struct keyset *ks); /* frees (and wipes secrets) on the last reference */

/* What a key file's TEXT holds when it is not what was asked for (a private key, PKCS#1, a CSR,
 * JSON, an OpenSSH key), as "it holds ..." in OUT with what to do; NULL when nothing is recognised.
 * Reads only PEM labels and the first byte: no key material. */
const char *key_text_kind(const char *text, size_t len, char *out, size_t out_len);

#endif
