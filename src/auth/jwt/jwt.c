/* SPDX-License-Identifier: Apache-2.0 */
/* jwt: OIDC bearer tokens. The token comes from "Authorization: Bearer" (or a named cookie); the
 * algorithm allow-list and the keys come from configuration, never from the token; iss, aud and
 * the time window are checked; the user id and attributes come from configured claims. */
#include "auth/chain.h"
#include "auth/jwt/jws_header.h"
#include "auth/jwt/jwt_config.h"
#include "core/base64.h"
#include "core/secret.h"

#include <jansson.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define JWS_MAX_SIGNATURE 1024 /* RSA-8192, the largest key a set may hold */

struct token {
	const char *text; /* header.payload.signature, not NUL-terminated */
	size_t len, dot1, dot2;
};

static void jwt_destroy(void *instance)
{
	struct jwt_config *cfg = instance;
	jwt_config_free(cfg);
	jws_header_memo_free(cfg->headers);
	free(cfg);
}

static void *jwt_create(struct ngd_section *sec)
{
	struct jwt_config *cfg = calloc(1, sizeof *cfg);
	if (!cfg)
		return ngd_section_error(sec, NULL, "out of memory"), NULL;
	if (!(cfg->headers = jws_header_memo_new()))
		return ngd_section_error(sec, NULL, "out of memory"), jwt_destroy(cfg), NULL;
	if (jwt_config_load(sec, cfg) < 0) {
		jwt_destroy(cfg);
		return NULL;
	}
	return cfg;
}

/* The value of cookie NAME in a Cookie header, or NULL; *len gets its length. */
static const char *cookie_value(const char *header, const char *name, size_t *len)
{
	size_t name_len = strlen(name);
	for (const char *p = header; p && *p;) {
		p += strspn(p, " \t;");
		size_t pair = strcspn(p, ";");
		if (pair > name_len && strncmp(p, name, name_len) == 0 && p[name_len] == '=') {
			*len = pair - name_len - 1;
			return p + name_len + 1;
		}
		p += pair;
	}
	return NULL;
}

/* The presented token, or NULL when the request carries none for us. */
static const char *presented_token(const struct jwt_config *cfg, const struct ngd_request *req, size_t *len)
{
	const char *auth = ngd_request_header(req, "Authorization");
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
		const char *t = auth + 7 + strspn(auth + 7, " ");
		*len = strcspn(t, " \t");
		return t;
	}
	const char *cookies = cfg->cookie ? ngd_request_header(req, "Cookie") : NULL;
	return cookies ? cookie_value(cookies, cfg->cookie, len) : NULL;
}

/* header.payload.signature in base64url characters, header and payload non-empty. */
static bool jwt_shaped(const char *t, size_t len, struct token *tok)
{
	size_t dots = 0;
	*tok = (struct token){.text = t, .len = len};
	for (size_t i = 0; i < len; i++) {
		char c = t[i];
		if (c == '.') {
			if (++dots == 1)
				tok->dot1 = i;
			else
				tok->dot2 = i;
		} else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			     c == '_'))
			return false;
	}
	return dots == 2 && tok->dot1 > 0 && tok->dot2 > tok->dot1 + 1;
}

static enum ngd_auth_result deny(struct ngd_outcome *out, const char *code, const char *message)
{
	ngd_outcome_deny(out, 401, code, message);
	return NGD_AUTH_DENY;
}

/* Tries every key that fits ALG and the token's kid: 1 verified, 0 bad signature, -1 no such key. */
static int verify_with(const struct keyset *ks, enum jws_alg alg, const char *kid, const struct token *tok,
		       const unsigned char *sig, size_t sig_len)
{
	int found = -1;
	for (size_t i = 0; ks && i < ks->n; i++) {
		const struct jwk *k = &ks->keys[i];
		if (!jws_key_fits(k, alg) || (kid && k->kid && strcmp(kid, k->kid) != 0))
			continue;
		found = 0;
		if (jws_verify(k, alg, tok->text, tok->dot2, sig, sig_len))
			return 1;
		ERR_clear_error(); /* a failed check leaves OpenSSL errors in this thread's queue */
	}
	return found;
}

/* The signature check with the live keys, refetching once for an unknown kid: on this
 * authenticator's worker thread, since only the fetch may block (out->may_block). */
static enum ngd_auth_result check_signature(struct jwt_config *cfg, enum jws_alg alg, const char *kid,
					    const struct token *tok, struct ngd_outcome *out)
{
	unsigned char sig[JWS_MAX_SIGNATURE]; /* longer is no signature of any key we accept */
	long sig_len = base64url_decode(tok->text + tok->dot2 + 1, tok->len - tok->dot2 - 1, sig, sizeof sig);
	struct keyset *ks = jwks_current(cfg->keys);
	int verdict = sig_len > 0 ? verify_with(ks, alg, kid, tok, sig, (size_t)sig_len) : 0;
	bool fetch = verdict < 0 && jwks_fetch_wanted(cfg->keys, kid);
	if (fetch && out->may_block) {
		keyset_release(ks);
		ks = jwks_refetch(cfg->keys, kid);
		verdict = sig_len > 0 ? verify_with(ks, alg, kid, tok, sig, (size_t)sig_len) : 0;
	}
	bool no_keys = !ks;
	keyset_release(ks);
	if (fetch && !out->may_block)
		return auth_defer(out); /* the fetch leaves the HTTP thread; everything else stays on it */
	if (no_keys)
		return NGD_AUTH_ERROR; /* the provider never answered: fail closed with 503 */
	if (verdict < 0)
		return deny(out, "unknown_key", "no configured key matches the token's key id and algorithm");
	if (verdict == 0)
		return deny(out, "invalid_signature", "the token's signature does not verify");
	return NGD_AUTH_OK;
}

/* The header's alg, checked against the allow-list, and its kid. */
static enum ngd_auth_result check_header(struct jwt_config *cfg, const struct token *tok, struct ngd_outcome *out)
{
	struct jws_header h;
	if (jws_header_read(cfg->headers, tok->text, tok->dot1, &h) < 0)
		return deny(out, "malformed_token", "the token's header is not a valid JWS header");
	if (h.alg < 0 || !cfg->allowed[h.alg])
		return deny(out, "algorithm_not_allowed", "the token's algorithm is not one this service accepts");
	return check_signature(cfg, (enum jws_alg)h.alg, h.has_kid ? h.kid : NULL, tok, out);
}

static void add_attributes(const struct jwt_config *cfg, const json_t *claims, struct ngd_outcome *out)
{
	for (size_t i = 0; i < cfg->attribute_claims.n; i++) {
		const char *name = cfg->attribute_claims.words[i];
		const json_t *v = json_object_get(claims, name), *one;
		size_t k;
		if (json_is_string(v))
			ngd_outcome_add_attribute(out, name, json_string_value(v));
		json_array_foreach(v, k, one) if (json_is_string(one))
			ngd_outcome_add_attribute(out, name, json_string_value(one)); /* invalid values are left out */
	}
}

static enum ngd_auth_result admit(const struct jwt_config *cfg, const struct token *tok, long long now,
				  struct jwt_window *window, struct ngd_outcome *out)
{
	json_t *claims = jws_segment_json(tok->text + tok->dot1 + 1, tok->dot2 - tok->dot1 - 1);
	struct jwt_refusal why;
	enum ngd_auth_result r = NGD_AUTH_OK;
	const json_t *user = json_object_get(claims, cfg->user_claim);
	if (!claims)
		r = deny(out, "malformed_token", "the token's claims are not a JSON object");
	else if (jwt_claims_check(claims, &cfg->rules, now, &why, window) < 0)
		r = deny(out, why.code, why.message);
	else if (!json_is_string(user))
		r = deny(out, "missing_claim", "the token has no string user claim");
	else if (ngd_outcome_set_user(out, json_string_value(user)) < 0)
		r = deny(out, "invalid_user", "the token's user claim is not a valid user id");
	else
		add_attributes(cfg, claims, out);
	json_decref(claims);
	return r;
}

/* The whole check: header, signature, claims. */
static enum ngd_auth_result verify(struct jwt_config *cfg, const struct token *tok, long long now,
				   struct jwt_window *window, struct ngd_outcome *out)
{
	enum ngd_auth_result r = check_header(cfg, tok, out);
	return r == NGD_AUTH_OK ? admit(cfg, tok, now, window, out) : r;
}

/* A token seen before answers from the cache; what verifies is put in it, never what fails. */
static enum ngd_auth_result verify_cached(struct jwt_config *cfg, const struct token *tok, struct ngd_outcome *out)
{
	unsigned char digest[SHA256_LEN];
	struct jwt_window window;
	long long now = (long long)time(NULL);
	if (!cfg->cache || sha256(tok->text, tok->len, digest) < 0)
		return verify(cfg, tok, now, &window, out);
	uint64_t generation = jwks_generation(cfg->keys); /* before the check: a newer set only misses */
	if (generation && jwt_cache_get(cfg->cache, digest, generation, now, out))
		return NGD_AUTH_OK;
	enum ngd_auth_result r = verify(cfg, tok, now, &window, out);
	if (r == NGD_AUTH_OK && generation)
		jwt_cache_put(cfg->cache, digest, generation, &window, &out->principal);
	return r;
}

static enum ngd_auth_result jwt_authenticate(void *instance, const struct ngd_request *req, struct ngd_outcome *out)
{
	struct jwt_config *cfg = instance;
	struct token tok;
	size_t len = 0;
	const char *text = presented_token(cfg, req, &len);
	if (!text)
		return NGD_AUTH_DECLINED;
	if (len > cfg->max_token_bytes) /* before any parsing */
		return deny(out, "token_too_large", "the bearer token is larger than this service accepts");
	if (!jwt_shaped(text, len, &tok))
		return NGD_AUTH_DECLINED; /* an API key or another scheme's token */
	return verify_cached(cfg, &tok, out);
}

const struct ngd_authenticator auth_jwt = {
	.abi_version = NGD_AUTH_ABI_VERSION,
	.type = "jwt",
	.challenge = "Bearer",
	.create = jwt_create,
	.authenticate = jwt_authenticate,
	.destroy = jwt_destroy,
	.flags = AUTH_MAY_DEFER, /* only a fetch for an unknown kid blocks, and only it leaves the HTTP thread */
};
