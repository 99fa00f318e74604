/* SPDX-License-Identifier: Apache-2.0 */
/* Keys from JWKS documents (RFC 7517/7518/8037), PEM files and secrets, as OpenSSL 3 EVP_PKEYs. */
#include "auth/jwt/jwk.h"

#include "auth/jwt/jwk_check.h"
#include "auth/jwt/jws_verify.h"
#include "core/base64.h"
#include "core/thread_crypto.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JWK_MAX_COMPONENT 1024 /* bytes: an 8192-bit RSA modulus */

static struct keyset *keyset_alloc(size_t n)
{
	struct keyset *ks = calloc(1, sizeof *ks + n * sizeof ks->keys[0]);
	if (ks) {
		atomic_init(&ks->refs, 1);
		ks->generation = thread_crypto_generation();
	}
	return ks;
}

/* Sets up each key's verification contexts once, so that no request fetches or initialises them. */
static struct keyset *keyset_ready(struct keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		jws_prepare(&ks->keys[i]);
	return ks;
}

struct keyset *keyset_ref(struct keyset *ks)
{
	atomic_fetch_add_explicit(&ks->refs, 1, memory_order_relaxed);
	return ks;
}

static void jwk_clear(struct jwk *k)
{
	free(k->kid);
	EVP_PKEY_free(k->pkey);
	for (int a = 0; a < JWS_N_ALGS; a++)
		EVP_MD_CTX_free(k->ready[a]);
	if (k->secret)
		explicit_bzero(k->secret, k->secret_len);
	free(k->secret);
}

void keyset_release(struct keyset *ks)
{
	if (!ks || atomic_fetch_sub_explicit(&ks->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < ks->n; i++)
		jwk_clear(&ks->keys[i]);
	free(ks);
}

/* A base64url member decoded into OUT, which holds CAP bytes: exactly WANT bytes (0: 1 to CAP).
 * Its length, or -1; a member longer than CAP is refused before it is written. */
static long member_bytes(const json_t *jwk, const char *name, unsigned char *out, size_t cap,
			 size_t want)
{
	const json_t *member = json_object_get(jwk, name);
	const char *text = json_string_value(member);
	size_t len = json_string_length(member); /* all of it: an embedded NUL is no base64url */
	if (!text || len == 0)
		return -1;
	long n = base64url_decode(text, len, out, cap);
	return n > 0 && (want == 0 || (size_t)n == want) ? n : -1;
}

static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
	if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static const char *rsa_from_jwk(const json_t *jwk, struct jwk *k)
{
	unsigned char n[2 * JWK_MAX_COMPONENT],
		e[8]; /* room to refuse a key just over 8192 bits by name */
	long n_len = member_bytes(jwk, "n", n, sizeof n, 0),
	     e_len = member_bytes(jwk, "e", e, sizeof e, 0);
	if (n_len < 0 || e_len < 0)
		return "an RSA key needs base64url members n and e";
	BIGNUM *bn_n = BN_bin2bn(n, (int)n_len, NULL), *bn_e = BN_bin2bn(e, (int)e_len, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	if (bn_n && bn_e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
		k->pkey = pkey_from_params("RSA", bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	k->kind = JWK_RSA;
	return k->pkey ? NULL : "the RSA key is not valid";
}

static const char *ec_from_jwk(const json_t *jwk, struct jwk *k)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	size_t size = 0; /* of one coordinate */
	if (crv && strcmp(crv, "P-256") == 0)
		size = 32;
	else if (crv && strcmp(crv, "P-384") == 0)
		size = 48;
	unsigned char point[1 + 2 * 48];
	if (!size)
		return "an EC key must be on curve P-256 or P-384";
	point[0] = 0x04; /* uncompressed: x then y */
	if (member_bytes(jwk, "x", point + 1, size, size) < 0 ||
	    member_bytes(jwk, "y", point + 1 + size, size, size) < 0)
		return "an EC key needs base64url members x and y of the curve's size";
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	if (bld &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    size == 32 ? "P-256" : "P-384", 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * size))
		k->pkey = pkey_from_params("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	k->kind = size == 32 ? JWK_EC_P256 : JWK_EC_P384;
	return k->pkey ? NULL : "the EC key is not a point on its curve";
}

static const char *okp_from_jwk(const json_t *jwk, struct jwk *k)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	unsigned char x[32];
	if (!crv || strcmp(crv, "Ed25519") != 0)
		return "an OKP key must be on curve Ed25519";
	if (member_bytes(jwk, "x", x, sizeof x, sizeof x) < 0)
		return "an Ed25519 key needs a 32-byte base64url member x";
	k->kind = JWK_ED25519;
	k->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, 32);
	return k->pkey ? NULL : "the Ed25519 key is not valid";
}

/* Fills K from one JWK; returns NULL, "" for a key that is not for signatures (skipped), or why
 * not. */
static const char *jwk_parse(const json_t *jwk, struct jwk *k)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const json_t *use = json_object_get(jwk, "use"), *alg = json_object_get(jwk, "alg"),
		     *kid = json_object_get(jwk, "kid");
	if (!json_is_object(jwk) || !kty)
		return "each key must be an object with a kty";
	if ((use && !json_is_string(use)) || (alg && !json_is_string(alg)) ||
	    (kid && !json_is_string(kid)))
		return "use, alg and kid must be strings";
	if ((use && strcmp(json_string_value(use), "sig") != 0) || strcmp(kty, "oct") == 0)
		return ""; /* encryption keys and secrets have no place in a public key set */
	k->alg = alg ? jws_alg_parse(json_string_value(alg)) : -1;
	if (alg && k->alg < 0)
		return ""; /* a key for an algorithm we never accept */
	if (kid && (json_string_length(kid) == 0 || json_string_length(kid) > JWK_MAX_KID))
		return "a kid must be 1 to 256 characters";
	const char *why = strcmp(kty, "RSA") == 0   ? rsa_from_jwk(jwk, k)
			  : strcmp(kty, "EC") == 0  ? ec_from_jwk(jwk, k)
			  : strcmp(kty, "OKP") == 0 ? okp_from_jwk(jwk, k)
						    : "";
	if (!why)
		why = jwk_key_check(k->pkey, k->kind);
	if (!why && kid && !(k->kid = strdup(json_string_value(kid))))
		why = "out of memory";
	return why;
}

static struct keyset *keys_from_array(const json_t *keys, char *err, size_t err_len)
{
	size_t n = json_array_size(keys), i;
	const char *first_why = NULL;
	struct keyset *ks = keyset_alloc(n);
	if (!ks) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		struct jwk *k = &ks->keys[ks->n];
		const char *why = jwk_parse(json_array_get(keys, i), k);
		if (!why) {
			ks->n++;
			continue;
		}
		jwk_clear(k);
		memset(k, 0, sizeof *k);
		if (*why && !first_why)
			first_why = why;
	}
	if (ks->n > 0)
		return keyset_ready(ks);
	snprintf(err, err_len, "no usable signature key%s%s", first_why ? ": " : "",
		 first_why ? first_why : "");
	keyset_release(ks);
	return NULL;
}

struct keyset *keyset_from_jwks(const char *json, size_t len, char *err, size_t err_len)
{
	json_error_t jerr;
	if (len > JWKS_MAX_DOCUMENT) {
		snprintf(err, err_len, "the key set is larger than %d bytes", JWKS_MAX_DOCUMENT);
		return NULL;
	}
	json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *keys = json_object_get(doc, "keys");
	struct keyset *ks = NULL;
	char holds[160];
	if (!doc && key_text_kind(json, len, holds, sizeof holds) &&
	    strncmp(holds, "it holds JSON", 13) != 0)
		snprintf(err, err_len, "not JSON: %s (a PEM key goes in public_key_file)", holds);
	else if (!doc)
		snprintf(err, err_len, "not JSON (line %d, column %d)", jerr.line,
			 jerr.column); /* no content echoed */
	else if (!json_is_array(keys) && json_object_get(doc, "kty"))
		snprintf(err, err_len,
			 "not a JWK set but one JWK: write it as {\"keys\": [ ... ]}");
	else if (!json_is_array(keys))
		snprintf(err, err_len, "not a JWK set: no \"keys\" array");
	else if (json_array_size(keys) > JWKS_MAX_KEYS)
		snprintf(err, err_len, "more than %d keys", JWKS_MAX_KEYS);
	else
		ks = keys_from_array(keys, err, err_len);
	json_decref(doc);
	return ks;
}

static EVP_PKEY *pem_public_key(const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	if (bio && !pkey && BIO_reset(bio) == 1) {
		X509 *cert = PEM_read_bio_X509(bio, NULL, NULL,
					       NULL); /* a certificate carries one too */
		pkey = cert ? X509_get_pubkey(cert) : NULL;
		X509_free(cert);
	}
	BIO_free(bio);
	return pkey;
}

static const char *pem_kind(EVP_PKEY *pkey, enum jwk_kind *kind)
{
	char group[32] = "";
	size_t glen = 0;
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		*kind = JWK_RSA;
		return NULL;
	}
	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		*kind = JWK_ED25519;
		return NULL;
	}
	if (EVP_PKEY_is_a(pkey, "EC") &&
	    EVP_PKEY_get_group_name(pkey, group, sizeof group, &glen) == 1) {
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
			*kind = JWK_EC_P256;
			return NULL;
		}
		if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
			*kind = JWK_EC_P384;
			return NULL;
		}
	}
	return "the key is not RSA, EC P-256, EC P-384 or Ed25519";
}

/* What the first PEM block's label says the text holds; NULL when it has none we know. */
static const char *pem_label_kind(const char *label, size_t len)
{
	static const struct {
		const char *label, *kind;
	} labels[] = {
		{"PRIVATE KEY",
		 "a private key (PKCS#8): give its public key (openssl pkey -in KEY -pubout)"},
		{"RSA PRIVATE KEY",
		 "an RSA private key: give its public key (openssl pkey -in KEY -pubout)"},
		{"EC PRIVATE KEY",
		 "an EC private key: give its public key (openssl pkey -in KEY -pubout)"},
		{"ENCRYPTED PRIVATE KEY",
		 "an encrypted private key: give its public key (openssl pkey -pubout)"},
		{"OPENSSH PRIVATE KEY", "an OpenSSH private key: give a PEM public key"},
		{"RSA PUBLIC KEY", "an RSA public key in PKCS#1 form: convert it (openssl rsa "
				   "-RSAPublicKey_in -in KEY "
				   "-pubout)"},
		{"CERTIFICATE REQUEST",
		 "a certificate request, which is no key: give the public key or the certificate"},
		{"X509 CRL", "a certificate revocation list, which is no key"},
	};
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (strlen(labels[i].label) == len && memcmp(labels[i].label, label, len) == 0)
			return labels[i].kind;
	return NULL;
}

/* Bytes at the start of TEXT (LEN bytes, not NUL-terminated) that are in SET. */
static size_t span_of(const char *text, size_t len, const char *set)
{
	size_t n = 0;
	while (n < len && text[n] && strchr(set, text[n]))
		n++;
	return n;
}

static bool starts_with(const char *text, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(text, prefix, n) == 0;
}

/* What a PEM text's first block holds, into OUT; LABEL is the text after "-----BEGIN ". */
static const char *pem_text_kind(const char *label, size_t rest, char *out, size_t out_len)
{
	const char *end = memmem(label, rest, "-----", 5);
	size_t label_len = end ? (size_t)(end - label) : 0;
	const char *kind = pem_label_kind(label, label_len);
	if (kind)
		snprintf(out, out_len, "it holds %s", kind);
	else if (label_len && label_len <= 40 &&
		 span_of(label, label_len, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ") == label_len)
		snprintf(out, out_len, "it holds a PEM block labelled '%.*s'", (int)label_len,
			 label);
	else
		snprintf(out, out_len, "it holds PEM");
	return out;
}

const char *key_text_kind(const char *text, size_t len, char *out, size_t out_len)
{
	const char *begin = memmem(text, len, "-----BEGIN ", 11);
	size_t skip = span_of(text, len, " \t\r\n");
	if (begin) {
		const char *label = begin + 11;
		return pem_text_kind(label, len - (size_t)(label - text), out, out_len);
	}
	if (skip < len && text[skip] == '{') {
		snprintf(out, out_len, "it holds JSON (a JWKS goes in jwks_file)");
		return out;
	}
	if (starts_with(text, len, "ssh-rsa ") || starts_with(text, len, "ssh-ed25519 ") ||
	    starts_with(text, len, "ecdsa-sha2-")) {
		snprintf(out, out_len,
			 "it holds an OpenSSH public key: convert it (ssh-keygen -e -m PKCS8 -f "
			 "KEY)");
		return out;
	}
	return NULL;
}

struct keyset *keyset_from_pem(const char *pem, size_t len, char *err, size_t err_len)
{
	EVP_PKEY *pkey = len <= JWKS_MAX_DOCUMENT ? pem_public_key(pem, len) : NULL;
	enum jwk_kind kind = JWK_RSA;
	const char *why = pkey ? pem_kind(pkey, &kind) : "no PEM public key or certificate in it";
	if (!why)
		why = jwk_key_check(pkey, kind);
	struct keyset *ks = why ? NULL : keyset_alloc(1);
	if (!why && !ks)
		why = "out of memory";
	if (why) {
		char holds[160];
		const char *kind_text = pkey ? NULL : key_text_kind(pem, len, holds, sizeof holds);
		snprintf(err, err_len, "%s%s%s", why, kind_text ? ": " : "",
			 kind_text ? kind_text : "");
		EVP_PKEY_free(pkey);
		return NULL;
	}
	ks->keys[0] = (struct jwk){.kind = kind, .alg = -1, .pkey = pkey};
	ks->n = 1;
	return keyset_ready(ks);
}

struct keyset *keyset_from_secret(const unsigned char *secret, size_t len, char *err,
				  size_t err_len)
{
	if (len < JWK_MIN_SECRET) {
		snprintf(err, err_len, "an HS256 secret must be at least %d bytes", JWK_MIN_SECRET);
		return NULL;
	}
	struct keyset *ks = keyset_alloc(1);
	unsigned char *copy = ks ? malloc(len) : NULL;
	if (!copy) {
		free(ks);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	memcpy(copy, secret, len);
	ks->keys[0] =
		(struct jwk){.kind = JWK_SECRET, .alg = -1, .secret = copy, .secret_len = len};
	ks->n = 1;
	return ks;
}
