/* SPDX-License-Identifier: Apache-2.0 */
/* The whole bearer-JWT verification of [auth:NAME] type = jwt, with one fixed key per algorithm
 * family (HS256 secret, RS256, ES256 and EdDSA keys made at start) and a fixed clock. The first
 * byte chooses: 0 mod 8, the rest is the presented token as is; 1-4, the rest is HEADER "\n"
 * CLAIMS (JSON), which the harness encodes and signs with the hs, rs, es or ed key, so that the
 * checks after the signature (header, claims, attributes) are reached too; 5-7, the same signed
 * with the rs, es or ed key for [auth:jk], which has all three in a JWKS file (kids "rs", "es",
 * "ed"). */
#include "core/buf.h"
#include "fake_request.h"
#include "fixture.h"
#include "fuzz.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FIXED_NOW 1767225600 /* 2026-01-01T00:00:00Z: exp and nbf mean the same on every run */

/* The one clock jwt.c reads (time(NULL)), fixed so that an input's outcome never depends on when it
 * runs. */
time_t time(time_t *t)
{
	if (t)
		*t = FIXED_NOW;
	return FIXED_NOW;
}

static const unsigned char secret[32] = "fuzz-secret-fuzz-secret-fuzz-32b";
static const char *const names[5] = {"hs", "rs", "es", "ed", "jk"};
static EVP_PKEY *keys[4]; /* [0] unused: HS256 signs with the secret */
static struct runtime *rt;

static const char *public_pem(const char *name, EVP_PKEY *key)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f || PEM_write_PUBKEY(f, key) != 1 || fclose(f) != 0)
		abort();
	const char *path = fixture_write(name, text, len);
	free(text);
	return path;
}

/* {"kty":...,"kid":KID,...} of key k's public half, appended to out. */
static void jwk_json(int k, const char *kid, struct buf *out)
{
	unsigned char bytes[600];
	size_t len = 0;
	buf_printf(out, "{\"kid\":\"%s\",", kid);
	if (k == 1) {
		BIGNUM *n = NULL, *e = NULL;
		if (EVP_PKEY_get_bn_param(keys[1], OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
		    EVP_PKEY_get_bn_param(keys[1], OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
		    BN_num_bytes(n) > (int)sizeof bytes)
			abort();
		buf_puts(out, "\"kty\":\"RSA\",\"n\":\"");
		buf_base64url(out, bytes, (size_t)BN_bn2bin(n, bytes));
		buf_puts(out, "\",\"e\":\"");
		buf_base64url(out, bytes, (size_t)BN_bn2bin(e, bytes));
		BN_free(n), BN_free(e);
	} else if (k == 2) { /* the uncompressed point: 0x04 || x || y */
		if (EVP_PKEY_get_octet_string_param(keys[2], OSSL_PKEY_PARAM_PUB_KEY, bytes,
						    sizeof bytes, &len) != 1 ||
		    len != 65)
			abort();
		buf_puts(out, "\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"");
		buf_base64url(out, bytes + 1, 32);
		buf_puts(out, "\",\"y\":\"");
		buf_base64url(out, bytes + 33, 32);
	} else {
		len = sizeof bytes;
		if (EVP_PKEY_get_raw_public_key(keys[3], bytes, &len) != 1)
			abort();
		buf_puts(out, "\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"");
		buf_base64url(out, bytes, len);
	}
	buf_puts(out, "\"}");
}

static const char *jwks_file(void)
{
	struct buf doc = {0};
	buf_puts(&doc, "{\"keys\":[");
	for (int k = 1; k < 4; k++) {
		jwk_json(k, names[k], &doc);
		buf_puts(&doc, k < 3 ? "," : "]}");
	}
	if (doc.failed)
		abort();
	const char *path = fixture_write("jwks.json", doc.data, doc.len);
	buf_free(&doc);
	return path;
}

static void setup(void)
{
	fixture_quiet();
	keys[1] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	keys[2] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	keys[3] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!keys[1] || !keys[2] || !keys[3])
		abort();
	char text[4096];
	const char *common = "type = jwt\nissuer = https://issuer.example\naudience = fuzz\n"
			     "attribute_claims = team roles realm=realm_access.roles "
			     "client=resource_access.my-app.roles "
			     "ns=\"https://example.com/roles\" email_verified\n";
	snprintf(text, sizeof text,
		 "[service:main]\nconnection_string = " FIXTURE_CONNECTION_STRING
		 "\n[hub:chat]\nauth = hs rs es ed jk\n"
		 "[auth:hs]\n%salgorithms = HS256\nsecret_file = %s\n"
		 "[auth:rs]\n%salgorithms = RS256\npublic_key_file = %s\n"
		 "[auth:es]\n%salgorithms = ES256\npublic_key_file = %s\n"
		 "[auth:ed]\n%salgorithms = EdDSA\npublic_key_file = %s\ncookie = "
		 "session\nuser_claim = "
		 "ext.\"a.b\".uid\n"
		 "[auth:jk]\n%salgorithms = RS256 ES256 EdDSA\njwks_file = %s\n",
		 common, fixture_write("secret", secret, sizeof secret), common,
		 public_pem("rs.pem", keys[1]), common, public_pem("es.pem", keys[2]), common,
		 public_pem("ed.pem", keys[3]), common, jwks_file());
	rt = fixture_runtime(text);
}

/* JWS signature bytes of INPUT with key k (ES256 as r||s, as JWS has it); 0 on failure. */
static size_t sign(int k, const char *input, size_t len, unsigned char *sig, size_t cap)
{
	if (k == 0) {
		unsigned n = 0;
		return HMAC(EVP_sha256(), secret, sizeof secret, (const unsigned char *)input, len,
			    sig, &n)
			       ? n
			       : 0;
	}
	unsigned char der[600];
	size_t n = sizeof der;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx &&
		 EVP_DigestSignInit(ctx, NULL, k == 3 ? NULL : EVP_sha256(), NULL, keys[k]) == 1 &&
		 EVP_DigestSign(ctx, der, &n, (const unsigned char *)input, len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok || (k != 2 && n > cap))
		return 0;
	if (k != 2)
		return memcpy(sig, der, n), n;
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
	ok = es && cap >= 64 && BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32) == 32 &&
	     BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32) == 32;
	ECDSA_SIG_free(es);
	return ok ? 64 : 0;
}

/* "Authorization: Bearer " + base64url(HEADER) "." base64url(CLAIMS) "." base64url(signature) */
static void signed_token(int k, const uint8_t *data, size_t size, struct buf *out)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hlen = nl ? (size_t)(nl - data) : size;
	unsigned char sig[512];
	buf_puts(out, "Authorization: Bearer ");
	size_t start = out->len;
	buf_base64url(out, data, hlen);
	buf_puts(out, ".");
	buf_base64url(out, nl ? nl + 1 : data + size, nl ? size - hlen - 1 : 0);
	size_t n = out->failed ? 0 : sign(k, out->data + start, out->len - start, sig, sizeof sig);
	buf_puts(out, ".");
	buf_base64url(out, sig, n);
}

static void check(const struct auth_instance *inst, const struct fake_request *f)
{
	struct ngd_outcome out = {0};
	enum ngd_auth_result r = inst->type->authenticate(inst->state, &f->req, &out);
	if (r == NGD_AUTH_OK &&
	    (!out.principal.user_id[0] || out.principal.n_attrs > NGD_MAX_ATTRIBUTES))
		abort(); /* an admitted token names its user */
	if (r == NGD_AUTH_DENY && (out.deny_status != 401 && out.deny_status != 403))
		abort();
	outcome_clear(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!rt)
		setup();
	if (size == 0)
		return 0;
	int mode = data[0] % 8, key = mode <= 4 ? mode - 1 : mode - 4; /* the signing key */
	struct buf text = {0};
	if (mode == 0) { /* as presented: in the header, and in the cookie [auth:ed] also reads */
		buf_puts(&text, "Authorization: Bearer ");
		buf_append(&text, data + 1, strnlen((const char *)data + 1, size - 1));
		buf_puts(&text, "\nCookie: a=b; session=");
		buf_append(&text, data + 1, strnlen((const char *)data + 1, size - 1));
	} else {
		signed_token(key, data + 1, size - 1, &text);
	}
	struct fake_request *f =
		text.failed ? NULL : fake_request_headers((const uint8_t *)text.data, text.len);
	for (int k = 0; f && k < 5; k++)
		if (mode == 0 || (mode <= 4 && mode - 1 == k) || (mode > 4 && k == 4))
			check(fixture_auth(rt, names[k]), f);
	fake_request_free(f);
	buf_free(&text);
	return 0;
}
