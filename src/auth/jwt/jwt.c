/* SPDX-License-Identifier: Apache-2.0 */
/* jwt: OIDC bearer tokens. The token comes from "Authorization: Bearer" (or a named cookie); the
 * algorithm allow-list and the keys come from configuration, never from the token; iss, aud and
 * the time window are checked; the user id and attributes come from configured claims. */
#include "auth/registry.h"
#include "auth/jwt/jws_header.h"
#include "auth/jwt/jwt_config.h"
#include "core/base64.h"
#include "core/log.h"
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
	if (!cfg) {
		ngd_section_error(sec, NULL, "out of memory");
		return NULL;
	}
	if (!(cfg->headers = jws_header_memo_new())) {
		ngd_section_error(sec, NULL, "out of memory");
		jwt_destroy(cfg);
		return NULL;
	}
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
static const char *presented_token(const struct jwt_config *cfg, const struct ngd_request *req,
				   size_t *len)
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
		} else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return dots == 2 && tok->dot1 > 0 && tok->dot2 > tok->dot1 + 1;
}

static enum ngd_auth_result deny(struct ngd_outcome *out, const char *code, const char *message)
{
	ngd_outcome_deny(out, 401, code, message);
	return NGD_AUTH_DENY;
}

/* Tries every key that fits ALG and the token's kid: 1 verified, 0 bad signature, -1 no such key.
 */
static int verify_with(const struct keyset *ks, enum jws_alg alg, const char *kid,
		       const struct token *tok, const unsigned char *sig, size_t sig_len)
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

static const char *jwk_kind_name(const struct jwk *k)
{
	static const char *const names[] = {"RSA", "EC P-256", "EC P-384", "Ed25519", "secret"};
	return names[k->kind];
}

/* At debug: the kid and alg that found no key, and the kids the current set holds. */
static void log_unknown_key(struct jwt_config *cfg, enum jws_alg alg, const char *kid)
{
	char have[400] = "", one[80], got[JWS_MAX_KID + 1];
	size_t used = 0;
	if (!log_wants(LOG_LEVEL_DEBUG))
		return;
	struct keyset *ks = jwks_current(cfg->keys);
	for (size_t i = 0; ks && i < ks->n && used < sizeof have; i++)
		used += (size_t)snprintf(have + used, sizeof have - used, "%s%s/%s", i ? " " : "",
					 jwt_printable(ks->keys[i].kid, one, sizeof one),
					 jwk_kind_name(&ks->keys[i]));
	keyset_release(ks);
	log_debug("auth:%s: unknown_key: no key with kid '%s' fits %s; the key set holds: %s",
		  cfg->rules.name, jwt_printable(kid, got, sizeof got), jws_alg_name(alg),
		  used ? have : "no keys");
}

/* The signature check with the live keys, refetching once for an unknown kid: on this
 * authenticator's worker thread, since only the fetch may block (out->may_block). */
static enum ngd_auth_result check_signature(struct jwt_config *cfg, enum jws_alg alg,
					    const char *kid, const struct token *tok,
					    struct ngd_outcome *out)
{
	unsigned char sig[JWS_MAX_SIGNATURE]; /* longer is no signature of any key we accept */
	long sig_len = base64url_decode(tok->text + tok->dot2 + 1, tok->len - tok->dot2 - 1, sig,
					sizeof sig);
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
		return auth_defer(
			out); /* the fetch leaves the HTTP thread; everything else stays on it */
	if (no_keys)
		return NGD_AUTH_ERROR; /* the provider never answered: fail closed with 503 */
	if (verdict < 0) {
		log_unknown_key(cfg, alg, kid);
		return deny(out, "unknown_key",
			    "no configured key matches the token's key id and algorithm");
	}
	if (verdict == 0) {
		log_debug("auth:%s: invalid_signature: a key fits kid and %s, the signature does "
			  "not verify with it",
			  cfg->rules.name, jws_alg_name(alg));
		return deny(out, "invalid_signature", "the token's signature does not verify");
	}
	return NGD_AUTH_OK;
}

/* The header's alg, checked against the allow-list, and its kid. */
static enum ngd_auth_result check_header(struct jwt_config *cfg, const struct token *tok,
					 struct ngd_outcome *out)
{
	struct jws_header h;
	if (jws_header_read(cfg->headers, tok->text, tok->dot1, &h) < 0) {
		log_debug("auth:%s: malformed_token: the header is not a JSON object with a string "
			  "alg (and no crit)",
			  cfg->rules.name);
		return deny(out, "malformed_token", "the token's header is not a valid JWS header");
	}
	if (h.alg < 0 || !cfg->allowed[h.alg]) {
		if (log_wants(LOG_LEVEL_DEBUG))
			log_debug(
				"auth:%s: algorithm_not_allowed: the token says %s; algorithms = "
				"%s",
				cfg->rules.name,
				h.alg < 0
					? "an algorithm negotiated never accepts (none, HS384, ...)"
					: jws_alg_name((enum jws_alg)h.alg),
				cfg->algorithms_text);
		return deny(out, "algorithm_not_allowed",
			    "the token's algorithm is not one this service accepts");
	}
	return check_signature(cfg, (enum jws_alg)h.alg, h.has_kid ? h.kid : NULL, tok, out);
}

/* At debug: which configured claim gave nothing, and what the token held there instead. */
static void log_claim_unusable(const struct jwt_config *cfg, const char *key,
			       const struct claim_path *p, const char *found)
{
	if (log_wants(LOG_LEVEL_DEBUG))
		log_debug("auth:%s: %s '%.200s' gives no value: the token holds %s there",
			  cfg->rules.name, key, p->source, found);
}

/* The values at one attribute's path: a scalar is one value, an array of scalars one per element.
 */
static void add_attribute(const struct jwt_config *cfg, const struct claim_attr *a,
			  const json_t *claims, struct ngd_outcome *out)
{
	char buf[32];
	const char *found, *text;
	const json_t *v = claim_path_get(&a->path, claims, &found), *one;
	size_t k;
	if (!v)
		return; /* a missing claim is common (no groups): only a wrong type is worth a line
			 */
	if (json_is_array(v)) {
		json_array_foreach(v, k, one) if (!json_is_string(one))
		{
			log_claim_unusable(cfg, "attribute_claims", &a->path,
					   "an array holding a non-string");
			return;
		}
		json_array_foreach(v, k, one)
			ngd_outcome_add_attribute(out, a->name, json_string_value(one));
		return;
	}
	if ((text = claim_scalar_text(v, buf, sizeof buf)))
		ngd_outcome_add_attribute(out, a->name, text); /* an invalid value is left out */
	else
		log_claim_unusable(cfg, "attribute_claims", &a->path, found);
}

/* The user id at user_claim: only a non-empty string is one. */
static enum ngd_auth_result set_user(const struct jwt_config *cfg, const json_t *claims,
				     struct ngd_outcome *out)
{
	const char *found;
	const json_t *user = claim_path_get(&cfg->user_claim, claims, &found);
	if (!json_is_string(user) || !*json_string_value(user)) {
		log_claim_unusable(cfg, "user_claim", &cfg->user_claim,
				   json_is_string(user) ? "an empty string" : found);
		return deny(out, "missing_user_claim",
			    "the token has no user id in the configured user claim");
	}
	if (ngd_outcome_set_user(out, json_string_value(user)) < 0)
		return deny(out, "invalid_user", "the token's user claim is not a valid user id");
	return NGD_AUTH_OK;
}

static enum ngd_auth_result admit(const struct jwt_config *cfg, const struct token *tok,
				  long long now, struct jwt_window *window, struct ngd_outcome *out)
{
	json_t *claims = jws_segment_json(tok->text + tok->dot1 + 1, tok->dot2 - tok->dot1 - 1);
	struct jwt_refusal why;
	enum ngd_auth_result r = NGD_AUTH_OK;
	if (!claims)
		r = deny(out, "malformed_token", "the token's claims are not a JSON object");
	/* jwt_claims_check logs what was expected and what came */
	else if (jwt_claims_check(claims, &cfg->rules, now, &why, window) < 0)
		r = deny(out, why.code, why.message);
	else if ((r = set_user(cfg, claims, out)) == NGD_AUTH_OK)
		for (size_t i = 0; i < cfg->n_attributes; i++)
			add_attribute(cfg, &cfg->attributes[i], claims, out);
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
static enum ngd_auth_result verify_cached(struct jwt_config *cfg, const struct token *tok,
					  struct ngd_outcome *out)
{
	unsigned char digest[SHA256_LEN];
	struct jwt_window window;
	long long now = (long long)time(NULL);
	if (!cfg->cache || sha256(tok->text, tok->len, digest) < 0)
		return verify(cfg, tok, now, &window, out);
	uint64_t generation =
		jwks_generation(cfg->keys); /* before the check: a newer set only misses */
	if (generation && jwt_cache_get(cfg->cache, digest, generation, now, out))
		return NGD_AUTH_OK;
	enum ngd_auth_result r = verify(cfg, tok, now, &window, out);
	if (r == NGD_AUTH_OK && generation)
		jwt_cache_put(cfg->cache, digest, generation, &window, &out->principal);
	return r;
}

static enum ngd_auth_result jwt_authenticate(void *instance, const struct ngd_request *req,
					     struct ngd_outcome *out)
{
	struct jwt_config *cfg = instance;
	struct token tok;
	size_t len = 0;
	const char *text = presented_token(cfg, req, &len);
	if (!text)
		return NGD_AUTH_DECLINED;
	if (len > cfg->max_token_bytes) { /* before any parsing */
		log_debug("auth:%s: token_too_large: %zu bytes, max_token_bytes = %u",
			  cfg->rules.name, len, cfg->max_token_bytes);
		return deny(out, "token_too_large",
			    "the bearer token is larger than this service accepts");
	}
	if (!jwt_shaped(text, len, &tok))
		return NGD_AUTH_DECLINED; /* an API key or another scheme's token */
	return verify_cached(cfg, &tok, out);
}

size_t jwt_attribute_names(const void *state, const char **names, size_t cap)
{
	const struct jwt_config *cfg = state;
	size_t n = 0;
	for (; n < cap && n < cfg->n_attributes; n++)
		names[n] = cfg->attributes[n].name;
	return n;
}

const struct ngd_authenticator auth_jwt = {
	.abi_version = NGD_AUTH_ABI_VERSION,
	.type = "jwt",
	.challenge = "Bearer",
	.create = jwt_create,
	.authenticate = jwt_authenticate,
	.destroy = jwt_destroy,
	.flags = AUTH_MAY_DEFER, /* only a fetch for an unknown kid blocks, and only it leaves the
				    HTTP thread */
};
