/* SPDX-License-Identifier: Apache-2.0 */
/* Signature checks for the algorithms a configuration may allow; the key decides the family,
 * so a token can never make a public key act as an HMAC secret. */
#include "auth/jwt/jws_verify.h"

#include "auth/jwt/jwk.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <pthread.h>
#include <string.h>

static const char *const alg_names[JWS_N_ALGS] = {"RS256", "RS384", "RS512", "PS256",
						  "ES256", "ES384", "EdDSA", "HS256"};

int jws_alg_parse(const char *name)
{
	for (int i = 0; i < JWS_N_ALGS; i++)
		if (strcmp(alg_names[i], name) == 0)
			return i;
	return -1;
}

const char *jws_alg_name(enum jws_alg alg)
{
	return alg_names[alg];
}

static enum jwk_kind kind_for(enum jws_alg alg)
{
	switch (alg) {
	case JWS_ES256: return JWK_EC_P256;
	case JWS_ES384: return JWK_EC_P384;
	case JWS_EDDSA: return JWK_ED25519;
	case JWS_HS256: return JWK_SECRET;
	default: return JWK_RSA;
	}
}

bool jws_key_fits(const struct jwk *key, enum jws_alg alg)
{
	return key->kind == kind_for(alg) && (key->alg < 0 || key->alg == (int)alg);
}

static const char *digest_for(enum jws_alg alg)
{
	switch (alg) {
	case JWS_RS384:
	case JWS_ES384: return "SHA384";
	case JWS_RS512: return "SHA512";
	case JWS_EDDSA: return NULL; /* Ed25519 hashes internally */
	default: return "SHA256";
	}
}

/* One DER INTEGER of the big-endian unsigned N bytes at V: leading zeros dropped, a 0x00 put
 * back before a high bit. Returns the bytes written (at most 2 + 1 + n). */
static size_t der_integer(const unsigned char *v, size_t n, unsigned char *out)
{
	while (n > 1 && v[0] == 0)
		v++, n--;
	bool pad = v[0] & 0x80;
	out[0] = 0x02;
	out[1] = (unsigned char)(n + pad);
	out[2] = 0;
	memcpy(out + 2 + pad, v, n);
	return 2 + pad + n;
}

/* JWS carries ECDSA as r||s of the curve's size; OpenSSL wants DER. Returns the DER length or -1.
 * Encoded by hand (short-form lengths suffice up to P-384): no allocation per request. */
static int ecdsa_to_der(const unsigned char *sig, size_t sig_len, size_t half, unsigned char *der,
			size_t der_cap)
{
	if (sig_len != 2 * half || der_cap < 2 + 2 * (3 + half) || half > 48)
		return -1;
	size_t len = der_integer(sig, half, der + 2);
	len += der_integer(sig + half, half, der + 2 + len);
	der[0] = 0x30;
	der[1] = (unsigned char)len;
	return (int)(2 + len);
}

static bool hmac_verify(const struct jwk *key, const void *input, size_t input_len,
			const unsigned char *sig, size_t sig_len)
{
	unsigned char mac[32];
	size_t mac_len = 0;
	bool good = sig_len == sizeof mac &&
		    EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key->secret, key->secret_len,
			      input, input_len, mac, sizeof mac, &mac_len) &&
		    mac_len == sizeof mac && CRYPTO_memcmp(mac, sig, sizeof mac) == 0;
	explicit_bzero(mac, sizeof mac);
	return good;
}

/* A context for KEY under ALG, digest and padding set: what every check of it starts from. */
static EVP_MD_CTX *verify_context(const struct jwk *key, enum jws_alg alg)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	if (!md ||
	    EVP_DigestVerifyInit_ex(md, &pctx, digest_for(alg), NULL, NULL, key->pkey, NULL) != 1 ||
	    (alg == JWS_PS256 &&
	     (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
	      EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) != 1))) {
		EVP_MD_CTX_free(md);
		return NULL;
	}
	return md;
}

void jws_prepare(struct jwk *key)
{
	for (int alg = 0; alg < JWS_N_ALGS; alg++)
		if (alg != JWS_HS256 && alg != JWS_EDDSA &&
		    jws_key_fits(key, alg)) /* EdDSA contexts do not copy */
			key->ready[alg] = verify_context(key, alg);
	ERR_clear_error();
}

static pthread_key_t work_key;
static pthread_once_t work_once = PTHREAD_ONCE_INIT;

static void work_free(void *md)
{
	EVP_MD_CTX_free(md);
}

static void work_init(void)
{
	pthread_key_create(&work_key, work_free);
}

/* This thread's copy of the key's prepared context (no fetch, no allocation once warm), or a new
 * context set up from scratch when there is none; *own says whether the caller frees it. */
static EVP_MD_CTX *checking_context(const struct jwk *key, enum jws_alg alg, bool *own)
{
	*own = !key->ready[alg];
	if (*own)
		return verify_context(key, alg);
	pthread_once(&work_once, work_init);
	EVP_MD_CTX *md = pthread_getspecific(work_key);
	if (!md && (md = EVP_MD_CTX_new()) && pthread_setspecific(work_key, md) != 0) {
		EVP_MD_CTX_free(md);
		return NULL;
	}
	if (!md || EVP_MD_CTX_copy_ex(md, key->ready[alg]) != 1)
		return NULL;
	EVP_MD_CTX_set_flags(
		md, EVP_MD_CTX_FLAG_FINALISE); /* a one-shot check: no copy before the final */
	return md;
}

static bool pkey_verify(const struct jwk *key, enum jws_alg alg, const void *input,
			size_t input_len, const unsigned char *sig, size_t sig_len)
{
	unsigned char der[2 + 2 * (3 + 48)];
	if (alg == JWS_ES256 || alg == JWS_ES384) {
		int der_len =
			ecdsa_to_der(sig, sig_len, alg == JWS_ES256 ? 32 : 48, der, sizeof der);
		if (der_len < 0)
			return false;
		sig = der;
		sig_len = (size_t)der_len;
	}
	bool own;
	EVP_MD_CTX *md = checking_context(key, alg, &own);
	bool good = md && EVP_DigestVerify(md, sig, sig_len, input, input_len) == 1;
	if (own)
		EVP_MD_CTX_free(md);
	else if (md)
		EVP_MD_CTX_reset(md); /* holds no reference to the key between requests */
	return good;
}

bool jws_verify(const struct jwk *key, enum jws_alg alg, const void *input, size_t input_len,
		const unsigned char *sig, size_t sig_len)
{
	if (!jws_key_fits(key, alg))
		return false;
	if (alg == JWS_HS256)
		return hmac_verify(key, input, input_len, sig, sig_len);
	return pkey_verify(key, alg, input, input_len, sig, sig_len);
}
