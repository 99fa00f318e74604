/* SPDX-License-Identifier: Apache-2.0 */
/* JWT verification cost: the raw OpenSSL check of a token's signature (EVP_DigestVerify over its
 * signing input, RSA-2048 RS256 and P-256 ES256) against the same token through the jwt
 * authenticator's entry point, uncached and cached, in one run, in process CPU time. The first two
 * lines ("verify RS256 <us> us", "verify ES256 <us> us") are parsed by bench/run.
 * Usage: bench/verify_bench [ITERATIONS [RS256|ES256]] (one algorithm: for a callgrind profile). */
#include "auth/chain.h"
#include "config/config.h"
#include "core/buf.h"
#include "edge/request.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ISSUER "https://issuer.example"
#define AUDIENCE "api://bench"

struct signed_token {
	const char *alg;
	EVP_PKEY *key;
	char *bearer;		/* "Bearer header.payload.signature" */
	size_t input_len;	/* header.payload, from bearer + 7 */
	unsigned char sig[512]; /* as OpenSSL checks it: PKCS #1 for RSA, DER for ECDSA */
	size_t sig_len;
};

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void b64_member(struct buf *b, const char *name, const unsigned char *bytes, size_t len)
{
	buf_printf(b, ",\"%s\":\"", name);
	buf_base64url(b, bytes, len);
	buf_puts(b, "\"");
}

/* The public JWK of KEY with kid KID. */
static void public_jwk(struct buf *b, EVP_PKEY *key, const char *kid)
{
	unsigned char bytes[512];
	buf_printf(b, "{\"kid\":\"%s\",\"use\":\"sig\"", kid);
	if (EVP_PKEY_is_a(key, "RSA")) {
		BIGNUM *n = NULL, *e = NULL;
		EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n);
		EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e);
		buf_puts(b, ",\"kty\":\"RSA\"");
		b64_member(b, "n", bytes, (size_t)BN_bn2bin(n, bytes));
		b64_member(b, "e", bytes, (size_t)BN_bn2bin(e, bytes));
		BN_free(n);
		BN_free(e);
	} else {
		size_t len = 0; /* the uncompressed point: 0x04, x, y */
		EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, bytes, sizeof bytes,
						&len);
		buf_puts(b, ",\"kty\":\"EC\",\"crv\":\"P-256\"");
		b64_member(b, "x", bytes + 1, 32);
		b64_member(b, "y", bytes + 33, 32);
	}
	buf_puts(b, "}");
}

/* JWS carries ECDSA as r||s; OpenSSL signs in DER. */
static size_t der_to_jws(const unsigned char *der, size_t len, unsigned char out[64])
{
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &der, (long)len);
	BN_bn2binpad(ECDSA_SIG_get0_r(es), out, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), out + 32, 32);
	ECDSA_SIG_free(es);
	return 64;
}

static void sign_token(struct signed_token *t, const char *kid)
{
	struct buf b = {0}, json = {0};
	long long now = (long long)time(NULL);
	buf_puts(&b, "Bearer ");
	buf_printf(&json, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", t->alg, kid);
	buf_base64url(&b, (unsigned char *)json.data, json.len);
	buf_free(&json);
	buf_printf(&json,
		   "{\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE
		   "\",\"sub\":\"alice\",\"iat\":%lld,\"exp\":%lld,"
		   "\"groups\":[\"admins\",\"staff\"],\"email\":\"alice@example.test\"}",
		   now, now + 86400);
	buf_puts(&b, ".");
	buf_base64url(&b, (unsigned char *)json.data, json.len);
	buf_free(&json);
	t->input_len = b.len - 7;
	t->sig_len = sizeof t->sig;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, t->key, NULL) != 1 ||
	    EVP_DigestSign(md, t->sig, &t->sig_len, (unsigned char *)b.data + 7, t->input_len) != 1)
		abort();
	EVP_MD_CTX_free(md);
	unsigned char jws[64];
	bool ec = EVP_PKEY_is_a(t->key, "EC");
	size_t jws_len = ec ? der_to_jws(t->sig, t->sig_len, jws) : 0;
	buf_puts(&b, ".");
	buf_base64url(&b, ec ? jws : t->sig, ec ? jws_len : t->sig_len);
	if (!(t->bearer = buf_steal(&b)))
		abort();
}

/* The signature check alone, with the key's verification context set up once (as openssl speed
 * does): what no verifier can avoid. */
__attribute__((noinline)) static double raw_verify_us(const struct signed_token *t, long n)
{
	EVP_MD_CTX *ready = EVP_MD_CTX_new(), *md = EVP_MD_CTX_new();
	const unsigned char *input = (const unsigned char *)t->bearer + 7;
	long good = 0;
	if (EVP_DigestVerifyInit_ex(ready, NULL, "SHA256", NULL, NULL, t->key, NULL) != 1)
		abort();
	double t0 = cpu_seconds();
	for (long i = 0; i < n; i++) {
		EVP_MD_CTX_copy_ex(md, ready);
		EVP_MD_CTX_set_flags(md, EVP_MD_CTX_FLAG_FINALISE);
		good += EVP_DigestVerify(md, t->sig, t->sig_len, input, t->input_len) == 1;
	}
	double us = (cpu_seconds() - t0) / (double)n * 1e6;
	EVP_MD_CTX_free(md);
	EVP_MD_CTX_free(ready);
	if (good != n)
		abort();
	return us;
}

static const char *bearer_of(void *conn, const char *name)
{
	return strcmp(name, "Authorization") == 0 ? conn : NULL;
}

/* The same token through the authenticator's entry point, as the chain calls it per request. */
__attribute__((noinline)) static double authenticate_us(struct auth_instance *inst,
							const struct signed_token *t, long n)
{
	struct ngd_request req = {.src = {.header = bearer_of, .conn = t->bearer}};
	struct ngd_outcome out = {0};
	long good = 0;
	double t0 = cpu_seconds();
	for (long i = 0; i < n; i++) {
		good += inst->type->authenticate(inst->state, &req, &out) == NGD_AUTH_OK;
		outcome_clear(&out);
	}
	double us = (cpu_seconds() - t0) / (double)n * 1e6;
	if (good != n)
		abort();
	return us;
}

/* Apart, so that a callgrind profile tells the two instances' costs apart by function. */
__attribute__((noipa)) static double uncached_us(struct auth_instance *inst,
						 const struct signed_token *t, long n)
{
	return authenticate_us(inst, t, n);
}

__attribute__((noipa)) static double cached_us(struct auth_instance *inst,
					       const struct signed_token *t, long n)
{
	return authenticate_us(inst, t, n);
}

static struct auth_instance *instance(const char *jwks_path, const char *cache)
{
	struct auth_entry entries[] = {
		{"type", "jwt", 1, false},
		{"issuer", ISSUER, 2, false},
		{"audience", AUDIENCE, 3, false},
		{"algorithms", "RS256 ES256", 4, false},
		{"jwks_file", (char *)jwks_path, 5, false},
		{"verified_cache", (char *)cache, 6, false},
	};
	struct ngd_section sec = {.head = {"bench", 1, 0, {0}},
				  .file = "bench.conf",
				  .entries = entries,
				  .n_entries = sizeof entries / sizeof entries[0]};
	char err[512];
	struct auth_instance *inst =
		auth_instance_create(&sec, &(struct auth_limits){1, 0}, err, sizeof err);
	if (!inst) {
		fprintf(stderr, "verify_bench: %s\n", err);
		exit(1);
	}
	free(sec.error);
	return inst;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	const char *only =
		argc > 2 ? argv[2] : NULL; /* one algorithm, for a profile under callgrind */
	struct signed_token toks[2] = {{.alg = "RS256"}, {.alg = "ES256"}};
	char path[] = "/tmp/verify_bench-XXXXXX";
	struct buf jwks = {0};
	int fd = mkstemp(path);
	if (n <= 0 || fd < 0)
		return 2;
	toks[0].key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	toks[1].key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	buf_puts(&jwks, "{\"keys\":[");
	public_jwk(&jwks, toks[0].key, "rs");
	buf_puts(&jwks, ",");
	public_jwk(&jwks, toks[1].key, "es");
	buf_puts(&jwks, "]}");
	if (!jwks.data || write(fd, jwks.data, jwks.len) != (ssize_t)jwks.len)
		return 2;
	close(fd);
	sign_token(&toks[0], "rs");
	sign_token(&toks[1], "es");
	struct auth_instance *uncached = instance(path, "0"), *cached = instance(path, "10000");
	unlink(path);
	double raw[2] = {0}, plain[2] = {0}, hit[2] = {0};
	for (int i = 0; i < 2; i++) {
		if (only && strcmp(only, toks[i].alg) != 0)
			continue;
		long runs = i == 0 ? n : n / 3 + 1; /* ES256 verifies about three times slower */
		raw[i] = raw_verify_us(&toks[i], runs);
		plain[i] = uncached_us(uncached, &toks[i], runs);
		hit[i] = cached_us(cached, &toks[i], runs * 3);
	}
	for (int i = 0; i < 2; i++)
		printf("verify %s %.2f us\n", toks[i].alg, raw[i]);
	for (int i = 0; i < 2; i++)
		printf("jwt %s %.2f us (%+.2f us above the signature check), cached %.2f us\n",
		       toks[i].alg, plain[i], plain[i] - raw[i], hit[i]);
	auth_instance_free(uncached);
	auth_instance_free(cached);
	for (int i = 0; i < 2; i++) {
		free(toks[i].bearer);
		EVP_PKEY_free(toks[i].key);
	}
	buf_free(&jwks);
	return 0;
}
