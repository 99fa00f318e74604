/* Signature checks for the algorithms a configuration may allow; the key decides the family,
 * so a token can never make a public key act as an HMAC secret. */
#include "auth/jwt/jws_verify.h"

#include "auth/jwt/jwk.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
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

/* JWS carries ECDSA as r||s of the curve's size; OpenSSL wants DER. Returns the DER length or -1. */
static int ecdsa_to_der(const unsigned char *sig, size_t sig_len, size_t half, unsigned char *der, size_t der_cap)
{
	if (sig_len != 2 * half)
		return -1;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)half, NULL), *s = BN_bin2bn(sig + half, (int)half, NULL);
	int len = -1;
	if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
		r = s = NULL; /* owned by es now */
		if ((size_t)i2d_ECDSA_SIG(es, NULL) <= der_cap)
			len = i2d_ECDSA_SIG(es, &der);
	}
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return len;
}

static bool hmac_verify(const struct jwk *key, const void *input, size_t input_len, const unsigned char *sig,
			size_t sig_len)
{
	unsigned char mac[32];
	size_t mac_len = 0;
	bool good = sig_len == sizeof mac &&
		    EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key->secret, key->secret_len, input, input_len, mac,
			      sizeof mac, &mac_len) &&
		    mac_len == sizeof mac && CRYPTO_memcmp(mac, sig, sizeof mac) == 0;
	explicit_bzero(mac, sizeof mac);
	return good;
}

static bool pkey_verify(const struct jwk *key, enum jws_alg alg, const void *input, size_t input_len,
			const unsigned char *sig, size_t sig_len)
{
	unsigned char der[2 * 48 + 16];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	bool good = false;
	if (alg == JWS_ES256 || alg == JWS_ES384) {
		int der_len = ecdsa_to_der(sig, sig_len, alg == JWS_ES256 ? 32 : 48, der, sizeof der);
		if (der_len < 0)
			goto done;
		sig = der;
		sig_len = (size_t)der_len;
	}
	if (!md || EVP_DigestVerifyInit_ex(md, &pctx, digest_for(alg), NULL, NULL, key->pkey, NULL) != 1)
		goto done;
	if (alg == JWS_PS256 && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
				 EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
				 EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) != 1))
		goto done;
	good = EVP_DigestVerify(md, sig, sig_len, input, input_len) == 1;
done:
	EVP_MD_CTX_free(md);
	return good;
}

bool jws_verify(const struct jwk *key, enum jws_alg alg, const void *input, size_t input_len, const unsigned char *sig,
		size_t sig_len)
{
	if (!jws_key_fits(key, alg))
		return false;
	if (alg == JWS_HS256)
		return hmac_verify(key, input, input_len, sig, sig_len);
	return pkey_verify(key, alg, input, input_len, sig, sig_len);
}
