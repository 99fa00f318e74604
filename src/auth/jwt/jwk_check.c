/* SPDX-License-Identifier: Apache-2.0 */
/* A key that verifies forged tokens must never load: RSA with e = 1 or an even e, an Ed25519
 * small-order point, an EC point off its curve. */
#include "auth/jwt/jwk_check.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <stdbool.h>
#include <string.h>

#define ED25519_LEN 32

/* The y coordinates of the eight points of order 1, 2, 4 and 8 on edwards25519 (each with both
 * signs of x), little-endian: 0, 1, p-1 and the two order-8 ones. Computed from the curve
 * equation; the same set as in "Taming the many EdDSAs" (Chalkias, Garillot, Nikolaenko, SSR 2020)
 * and libsodium's small-order blocklist. OpenSSL 3.0's EVP_PKEY_public_check accepts every one of
 * them for Ed25519 (the identity point passes it), hence this list. */
static const unsigned char small_order_y[][ED25519_LEN] = {
	{0},
	{1},
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
	 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
	 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
	 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
	 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
};

/* y >= p = 2^255 - 19 (the sign bit cleared): a second encoding of y - p, which may be small order.
 */
static bool non_canonical(const unsigned char y[ED25519_LEN])
{
	if ((y[31] & 0x7f) != 0x7f || y[0] < 0xed)
		return false;
	for (int i = 1; i < 31; i++)
		if (y[i] != 0xff)
			return false;
	return true;
}

static const char *ed25519_check(EVP_PKEY *pkey)
{
	unsigned char raw[ED25519_LEN];
	size_t len = sizeof raw;
	if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != ED25519_LEN)
		return "the Ed25519 key is not valid";
	raw[31] &= 0x7f; /* the sign of x: both points of a pair share y */
	if (non_canonical(raw))
		return "the Ed25519 key is not canonically encoded";
	for (size_t i = 0; i < sizeof small_order_y / sizeof small_order_y[0]; i++)
		if (memcmp(raw, small_order_y[i], ED25519_LEN) == 0)
			return "the Ed25519 key is a small-order point (it would verify forged "
			       "signatures)";
	return NULL;
}

static const char *rsa_check(EVP_PKEY *pkey)
{
	BIGNUM *e = NULL;
	int bits = EVP_PKEY_get_bits(pkey);
	const char *why = NULL;
	if (bits < JWK_MIN_RSA_BITS)
		return "an RSA key must have at least 2048 bits";
	if (bits > JWK_MAX_RSA_BITS)
		return "an RSA key must have at most 8192 bits";
	if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
		return "the RSA key has no public exponent";
	if (!BN_is_odd(e) || BN_cmp(e, BN_value_one()) <= 0)
		why = "an RSA key's public exponent e must be odd and at least 3";
	BN_free(e);
	return why;
}

/* OpenSSL 3's own check: an RSA modulus and exponent that make sense, an EC point on its curve. */
static bool openssl_public_check(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	bool ok = ctx && EVP_PKEY_public_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error(); /* a failed check leaves errors in this thread's queue */
	return ok;
}

const char *jwk_key_check(EVP_PKEY *pkey, enum jwk_kind kind)
{
	const char *why = NULL;
	if (kind == JWK_RSA)
		why = rsa_check(pkey);
	else if (kind == JWK_ED25519)
		why = ed25519_check(pkey);
	if (why || openssl_public_check(pkey))
		return why;
	if (kind == JWK_RSA)
		return "the RSA key fails OpenSSL's public-key check";
	if (kind == JWK_ED25519)
		return "the Ed25519 key fails OpenSSL's public-key check";
	return "the EC key is not a valid point on its curve";
}
