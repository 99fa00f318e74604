/* SPDX-License-Identifier: Apache-2.0 */
/* Key hygiene: keys that would verify forged tokens are refused from every source (JWKS and PEM),
 * and fetched URLs are https:// unless the host is loopback. Keys are made at test time. */
#include "auth/fetch_url.h"
#include "auth/jwt/jwk.h"
#include "core/buf.h"
#include "tap.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char modulus[1025]; /* of a fresh 2048-bit key; room for an 8200-bit one */
static size_t modulus_len;

static void fresh_modulus(void)
{
	EVP_PKEY *pkey = EVP_RSA_gen(2048);
	BIGNUM *n = NULL;
	if (!pkey || EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) != 1)
		abort();
	modulus_len = (size_t)BN_bn2bin(n, modulus);
	BN_free(n);
	EVP_PKEY_free(pkey);
}

/* {"keys":[{"kty":"RSA","n":N,"e":E}]} with N and E given as bytes. */
static char *rsa_jwks(const unsigned char *n, size_t n_len, const unsigned char *e, size_t e_len)
{
	struct buf b = {0};
	buf_puts(&b, "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"");
	buf_base64url(&b, n, n_len);
	buf_puts(&b, "\",\"e\":\"");
	buf_base64url(&b, e, e_len);
	buf_puts(&b, "\"}]}");
	return buf_steal(&b);
}

static char *okp_jwks(const unsigned char x[32])
{
	struct buf b = {0};
	buf_puts(&b, "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"");
	buf_base64url(&b, x, 32);
	buf_puts(&b, "\"}]}");
	return buf_steal(&b);
}

typedef struct keyset *parser(const char *text, size_t len, char *err, size_t err_len);

/* Whether PARSE refuses TEXT with a reason containing WHY (NULL: whether it accepts it). */
static int verdict(parser *parse, const char *text, const char *why, char *err, size_t err_len)
{
	err[0] = '\0';
	struct keyset *ks = parse(text, strlen(text), err, err_len);
	int right = why ? !ks && strstr(err, why) != NULL : ks != NULL;
	keyset_release(ks);
	return right;
}

static int jwks_verdict(const char *doc, const char *why, char *err, size_t err_len)
{
	return verdict(keyset_from_jwks, doc, why, err, err_len);
}

static int pem_verdict(const char *pem, const char *why, char *err, size_t err_len)
{
	return verdict(keyset_from_pem, pem, why, err, err_len);
}

static void test_rsa_exponents(void)
{
	static const struct {
		unsigned char e[3];
		size_t len;
		const char *why; /* NULL: accepted */
	} cases[] = {
		{{1}, 1, "public exponent e must be odd and at least 3"},
		{{2}, 1, "public exponent e must be odd and at least 3"},
		{{0x01, 0x00, 0x00}, 3, "public exponent e must be odd and at least 3"},
		{{3}, 1, NULL},
		{{0x01, 0x00, 0x01}, 3, NULL},
	};
	char err[256];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *doc = rsa_jwks(modulus, modulus_len, cases[i].e, cases[i].len);
		ok(jwks_verdict(doc, cases[i].why, err, sizeof err), "JWKS RSA e = %lu: %s",
		   (unsigned long)(cases[i].len == 1 ? cases[i].e[0]
						     : (cases[i].e[0] << 16) | cases[i].e[2]),
		   cases[i].why ? err : "accepted");
		free(doc);
	}
	unsigned char big[1025];
	memset(big, 0xff, sizeof big); /* 8200 bits, odd */
	char *doc = rsa_jwks(big, sizeof big, (const unsigned char *)"\x01\x00\x01", 3);
	ok(jwks_verdict(doc, "at most 8192 bits", err, sizeof err), "JWKS RSA of 8200 bits: %s",
	   err);
	free(doc);
}

/* The PEM of an RSA public key with modulus N and exponent E, built without any check. */
static char *rsa_pem(const unsigned char *n, size_t n_len, unsigned long e)
{
	BIGNUM *bn_n = BN_bin2bn(n, (int)n_len, NULL), *bn_e = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BN_set_word(bn_e, e);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
	OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
	params = OSSL_PARAM_BLD_to_param(bld);
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		abort();
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem;
	PEM_write_bio_PUBKEY(bio, pkey);
	long len = BIO_get_mem_data(bio, &data);
	pem = strndup(data, (size_t)len);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return pem;
}

static char *ed25519_pem(const unsigned char x[32])
{
	EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, 32);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	if (!pkey)
		abort();
	PEM_write_bio_PUBKEY(bio, pkey);
	long len = BIO_get_mem_data(bio, &data);
	char *pem = strndup(data, (size_t)len);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return pem;
}

static void test_rsa_pem(void)
{
	static const struct {
		unsigned long e;
		const char *why;
	} cases[] = {{1, "must be odd and at least 3"},
		     {2, "must be odd and at least 3"},
		     {65536, "must be odd"},
		     {3, NULL},
		     {65537, NULL}};
	char err[256];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *pem = rsa_pem(modulus, modulus_len, cases[i].e);
		ok(pem_verdict(pem, cases[i].why, err, sizeof err), "PEM RSA e = %lu: %s",
		   cases[i].e, cases[i].why ? err : "accepted");
		free(pem);
	}
	unsigned char big[1025];
	memset(big, 0xff, sizeof big);
	char *pem = rsa_pem(big, sizeof big, 65537);
	ok(pem_verdict(pem, "at most 8192 bits", err, sizeof err), "PEM RSA of 8200 bits: %s", err);
	free(pem);
}

/* Little-endian y of the small-order points (see src/auth/jwt/jwk_check.c), and y + p for 0 and 1.
 */
static const char *const small_order_hex[] = {
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p: 0 again */
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p + 1: 1 again */
};

static void from_hex(const char *hex, unsigned char out[32])
{
	for (int i = 0; i < 32; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

static void test_ed25519_small_order(void)
{
	char err[256];
	unsigned char x[32];
	for (size_t i = 0; i < sizeof small_order_hex / sizeof small_order_hex[0]; i++)
		for (int sign = 0; sign < 2; sign++) {
			from_hex(small_order_hex[i], x);
			x[31] |= (unsigned char)(sign << 7);
			char *doc = okp_jwks(x), *pem = ed25519_pem(x);
			int jwks_refused = jwks_verdict(doc, "Ed25519 key is", err, sizeof err);
			ok(jwks_refused && pem_verdict(pem, "Ed25519 key is", err, sizeof err),
			   "Ed25519 y = %.8s... sign %d refused from JWKS and PEM: %s",
			   small_order_hex[i], sign, err);
			free(doc);
			free(pem);
		}
	EVP_PKEY *good = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	size_t len = sizeof x;
	EVP_PKEY_get_raw_public_key(good, x, &len);
	EVP_PKEY_free(good);
	char *doc = okp_jwks(x), *pem = ed25519_pem(x);
	ok(jwks_verdict(doc, NULL, err, sizeof err) && pem_verdict(pem, NULL, err, sizeof err),
	   "a freshly made Ed25519 key loads from JWKS and PEM");
	free(doc);
	free(pem);
}

static void test_ec_off_curve(void)
{
	char err[256];
	/* P-256's generator with y + 1: a point off the curve */
	const char *doc = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
			  "\"x\":\"axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY\","
			  "\"y\":\"T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfY\"}]}";
	ok(jwks_verdict(doc, "not a point on its curve", err, sizeof err),
	   "JWKS EC point off P-256: %s", err);
	const char *on = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
			 "\"x\":\"axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY\","
			 "\"y\":\"T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU\"}]}";
	ok(jwks_verdict(on, NULL, err, sizeof err), "the generator itself is on the curve: %s",
	   err);
}

static void test_fetch_urls(void)
{
	static const struct {
		const char *url;
		int loopback;
		int refused, refused_with_opt_in;
	} cases[] = {
		{"https://idp.example/jwks", 0, 0, 0},
		{"http://127.0.0.1:8080/jwks", 1, 0, 0},
		{"http://127.255.0.9/", 1, 0, 0},
		{"http://[::1]:99/x", 1, 0, 0},
		{"http://LOCALHOST/x", 1, 0, 0},
		{"http://user@127.0.0.1/x", 1, 0, 0},
		{"http://idp.example/jwks", 0, 1, 0},
		{"http://127.0.0.1.evil.example/", 0, 1, 0},
		{"http://localhost.evil.example/", 0, 1, 0},
		{"http://128.0.0.1/", 0, 1, 0},
		{"http://[::2]/", 0, 1, 0},
		{"http://127.1/", 0, 1, 0},
		{"http://evil.example@127.0.0.1.example/", 0, 1, 0},
		{"ftp://127.0.0.1/", 1, 1, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *u = cases[i].url;
		ok(fetch_url_loopback(u) == cases[i].loopback &&
			   (fetch_url_refusal(u, false) != NULL) == cases[i].refused &&
			   (fetch_url_refusal(u, true) != NULL) == cases[i].refused_with_opt_in,
		   "%s: %s", u, cases[i].refused ? "refused" : "allowed");
	}
}

int main(void)
{
	fresh_modulus();
	test_rsa_exponents();
	test_rsa_pem();
	test_ed25519_small_order();
	test_ec_off_curve();
	test_fetch_urls();
	return tap_done();
}
