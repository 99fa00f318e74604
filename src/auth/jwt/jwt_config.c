/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration of the jwt authenticator; every error names FILE:LINE: KEY. */
#include "auth/jwt/jwt_config.h"

#include "auth/fetch_url.h"
#include "core/decimal.h"
#include "core/file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_FILE_MAX 4096
#define MAX_ISSUER 1024	     /* leaves room for the discovery path in a URL */
#define REFETCH_WAIT_MS 2000 /* the longest a request waits for keys behind an unknown kid */

static const char *const source_keys[] = {"jwks_url", "jwks_file", "public_key_file", "discovery",
					  "secret_file"};
#define N_SOURCES (sizeof source_keys / sizeof source_keys[0])

/* Splits VALUE on spaces and commas into at most JWT_MAX_LIST words. 0, or -1 after an error. */
static int words_split(struct ngd_section *sec, const char *key, const char *value,
		       struct word_list *out)
{
	char *save = NULL;
	if (!(out->text = strdup(value))) {
		ngd_section_error(sec, key, "out of memory");
		return -1;
	}
	for (char *w = strtok_r(out->text, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
		if (out->n == JWT_MAX_LIST) {
			ngd_section_error(sec, key, "at most %d values", JWT_MAX_LIST);
			return -1;
		}
		out->words[out->n++] = w;
	}
	return 0;
}

static int number(struct ngd_section *sec, const char *key, unsigned def, unsigned min,
		  unsigned max, unsigned *out)
{
	const char *v = ngd_section_get(sec, key);
	*out = def;
	if (v && decimal_parse(v, min, max, out) < 0) {
		ngd_section_error(sec, key, "must be a whole number from %u to %u", min, max);
		return -1;
	}
	return 0;
}

static int load_algorithms(struct ngd_section *sec, struct jwt_config *cfg)
{
	const char *v = ngd_section_get(sec, "algorithms");
	struct word_list list = {0};
	int rc = 0;
	if (!v) {
		ngd_section_error(
			sec, "algorithms",
			"required (from RS256 RS384 RS512 PS256 ES256 ES384 EdDSA HS256)");
		return -1;
	}
	cfg->algorithms_text = v;
	if (words_split(sec, "algorithms", v, &list) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < list.n; i++) {
		int alg = jws_alg_parse(list.words[i]);
		if (alg < 0) {
			ngd_section_error(sec, "algorithms",
					  "'%.32s' is not one of RS256 RS384 RS512 PS256 ES256 "
					  "ES384 EdDSA HS256",
					  list.words[i]);
			rc = -1;
		} else
			cfg->allowed[alg] = true;
	}
	if (rc == 0 && list.n == 0)
		rc = -1, ngd_section_error(sec, "algorithms", "name at least one algorithm");
	free(list.text);
	return rc;
}

/* The one configured key source; NULL after an error. */
static const char *key_source(struct ngd_section *sec)
{
	const char *found = NULL;
	for (size_t i = 0; i < N_SOURCES; i++) {
		const char *v = ngd_section_get(sec, source_keys[i]);
		if (!v || (strcmp(source_keys[i], "discovery") == 0 && strcmp(v, "no") == 0))
			continue;
		if (strcmp(source_keys[i], "discovery") == 0 && strcmp(v, "yes") != 0) {
			ngd_section_error(sec, "discovery", "must be yes or no");
			return NULL;
		}
		if (found) {
			ngd_section_error(sec, source_keys[i],
					  "only one key source: %s is already set", found);
			return NULL;
		}
		found = source_keys[i];
	}
	if (!found)
		ngd_section_error(sec, NULL,
				  "a jwt authenticator needs one key source: jwks_url, jwks_file, "
				  "public_key_file, discovery = yes or secret_file");
	return found;
}

/* Printable text (and line ends): the one kind of secret file whose final newline is not the key's.
 */
static bool is_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < ' ' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

static struct keyset *keys_from_file(struct ngd_section *sec, const char *key, const char *path)
{
	char err[FILE_ERROR_TEXT], why[256];
	size_t len = 0;
	bool secret = strcmp(key, "secret_file") == 0;
	if (secret && file_check_private(path, "a signing secret", err, sizeof err) < 0) {
		ngd_section_error(sec, key, "%s", err);
		return NULL;
	}
	char *text = secret ? file_read_bytes(path, SECRET_FILE_MAX, &len, err, sizeof err)
			    : file_read(path, JWKS_MAX_DOCUMENT, &len, err, sizeof err);
	struct keyset *ks = NULL;
	if (!text) {
		ngd_section_error(sec, key, "%s", err);
		return NULL;
	}
	if (secret) {
		size_t skip =
			0; /* an editor's BOM and final newline are not part of a text secret */
		if (is_text(text, len)) {
			while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
				len--;
			skip = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
		}
		ks = keyset_from_secret((unsigned char *)text + skip, len - skip, why, sizeof why);
	} else if (strcmp(key, "jwks_file") == 0)
		ks = keyset_from_jwks(text, len, why, sizeof why);
	else
		ks = keyset_from_pem(text, len, why, sizeof why);
	explicit_bzero(text, len);
	free(text);
	if (!ks)
		ngd_section_error(sec, key, "%.200s: %s", path, why);
	return ks;
}

/* The algorithms must suit the key source: HS256 exactly with a secret, and a PEM key must fit one.
 */
static int check_algorithms_fit(struct ngd_section *sec, const struct jwt_config *cfg,
				const char *source, const struct keyset *fixed)
{
	bool secret = strcmp(source, "secret_file") == 0, any_fits = false;
	for (int a = 0; a < JWS_N_ALGS; a++) {
		if (!cfg->allowed[a])
			continue;
		if ((a == JWS_HS256) != secret) {
			ngd_section_error(
				sec, "algorithms",
				secret ? "with secret_file only HS256 is allowed"
				       : "HS256 needs secret_file (and no other key source)");
			return -1;
		}
		for (size_t k = 0; fixed && k < fixed->n; k++)
			any_fits |= jws_key_fits(&fixed->keys[k], a);
	}
	if (fixed && !any_fits) {
		ngd_section_error(sec, source, "no configured algorithm fits the key in it");
		return -1;
	}
	return 0;
}

/* KEY = URL, the key set's or the discovery's source: https, or http as fetch_url_refusal allows.
 */
static int check_remote_url(struct ngd_section *sec, const char *key, const char *url,
			    bool *insecure)
{
	if (fetch_url_opt_in(sec, insecure) < 0)
		return -1;
	const char *refusal = fetch_url_refusal(url, *insecure);
	if (refusal) {
		ngd_section_error(sec, key, "%s", refusal);
		return -1;
	}
	fetch_url_warn(sec, key, url);
	return 0;
}

static int load_keys(struct ngd_section *sec, struct jwt_config *cfg, const char *source)
{
	unsigned refresh, cooldown, timeout;
	char err[256];
	if (number(sec, "refresh_interval", 300, 1, 86400, &refresh) < 0 ||
	    number(sec, "refetch_cooldown", 30, 1, 3600, &cooldown) < 0 ||
	    number(sec, "fetch_timeout", 5, 1, 60, &timeout) < 0)
		return -1;
	if (strcmp(source, "jwks_url") == 0 || strcmp(source, "discovery") == 0) {
		const char *url = ngd_section_get(sec, "jwks_url");
		bool insecure;
		if (check_remote_url(sec, url ? "jwks_url" : "issuer",
				     url ? url : cfg->rules.issuer, &insecure) < 0 ||
		    check_algorithms_fit(sec, cfg, source, NULL) < 0)
			return -1;
		struct jwks_options o = {ngd_section_name(sec),
					 url,
					 cfg->rules.issuer,
					 !url,
					 insecure,
					 refresh,
					 cooldown,
					 timeout * 1000,
					 timeout * 1000 < REFETCH_WAIT_MS ? timeout * 1000
									  : REFETCH_WAIT_MS};
		if (!(cfg->keys = jwks_remote(&o, err, sizeof err))) {
			ngd_section_error(sec, source, "%s", err);
			return -1;
		}
		return 0;
	}
	struct keyset *ks = keys_from_file(sec, source, ngd_section_get(sec, source));
	if (!ks || check_algorithms_fit(sec, cfg, source, ks) < 0) {
		keyset_release(ks);
		return -1;
	}
	if (!(cfg->keys = jwks_fixed(ks))) {
		ngd_section_error(sec, source, "out of memory");
		return -1;
	}
	return 0;
}

struct attr_list_ctx {
	struct ngd_section *sec;
	struct jwt_config *cfg;
};

static int add_attribute_entry(const char *text, size_t len, void *arg)
{
	struct attr_list_ctx *ctx = arg;
	char why[200];
	if (ctx->cfg->n_attributes == JWT_MAX_LIST) {
		ngd_section_error(ctx->sec, "attribute_claims", "at most %d entries", JWT_MAX_LIST);
		return 1;
	}
	if (claim_attr_parse(text, len, &ctx->cfg->attributes[ctx->cfg->n_attributes], why,
			     sizeof why) < 0) {
		ngd_section_error(ctx->sec, "attribute_claims", "'%.*s': %s",
				  (int)(len > 80 ? 80 : len), text, why);
		return 1; /* reported here: claim_list_split passes it on */
	}
	ctx->cfg->n_attributes++;
	return 0;
}

/* attribute_claims = ENTRY ... (claim_path.h); user_claim = PATH. */
static int load_claim_paths(struct ngd_section *sec, struct jwt_config *cfg)
{
	const char *attrs = ngd_section_get(sec, "attribute_claims"),
		   *user = ngd_section_get(sec, "user_claim");
	struct attr_list_ctx ctx = {sec, cfg};
	char why[200];
	if (!user || !*user)
		user = "sub";
	if (claim_path_parse(user, strlen(user), &cfg->user_claim, why, sizeof why) < 0) {
		ngd_section_error(sec, "user_claim", "%s", why);
		return -1;
	}
	int rc = claim_list_split(attrs ? attrs : "groups roles email", add_attribute_entry, &ctx,
				  why, sizeof why);
	if (rc < 0)
		ngd_section_error(sec, "attribute_claims", "%s", why);
	return rc == 0 ? 0 : -1;
}

static int load_claims(struct ngd_section *sec, struct jwt_config *cfg)
{
	const char *aud = ngd_section_get(sec, "audience");
	unsigned leeway;
	cfg->rules.name = ngd_section_name(sec);
	if (!(cfg->rules.issuer = ngd_section_get(sec, "issuer")) || !*cfg->rules.issuer) {
		ngd_section_error(sec, "issuer", "required: the iss every token must carry");
		return -1;
	}
	if (strlen(cfg->rules.issuer) > MAX_ISSUER) {
		ngd_section_error(sec, "issuer", "longer than %d bytes", MAX_ISSUER);
		return -1;
	}
	if (!aud) {
		ngd_section_error(sec, "audience", "required: the aud values a token may carry");
		return -1;
	}
	if (words_split(sec, "audience", aud, &cfg->audiences) < 0 ||
	    load_claim_paths(sec, cfg) < 0 || number(sec, "leeway", 60, 0, 3600, &leeway) < 0 ||
	    number(sec, "max_token_bytes", 8192, 256, 65536, &cfg->max_token_bytes) < 0)
		return -1;
	if (cfg->audiences.n == 0) {
		ngd_section_error(sec, "audience", "name at least one audience");
		return -1;
	}
	cfg->rules.audiences = cfg->audiences.words;
	cfg->rules.n_audiences = cfg->audiences.n;
	cfg->rules.leeway = leeway;
	cfg->cookie = ngd_section_get(sec, "cookie");
	if (cfg->cookie && (!*cfg->cookie || strpbrk(cfg->cookie, " \t;=,\""))) {
		ngd_section_error(sec, "cookie", "must be a cookie name");
		return -1;
	}
	return 0;
}

/* verified_cache = N: the instance's own cache, so that a reload (new instances) starts empty. */
static int load_cache(struct ngd_section *sec, struct jwt_config *cfg)
{
	unsigned slots;
	if (number(sec, "verified_cache", JWT_CACHE_DEFAULT, 0, JWT_CACHE_MAX, &slots) < 0)
		return -1;
	if (slots && !(cfg->cache = jwt_cache_new(slots))) {
		ngd_section_error(sec, "verified_cache", "out of memory for %u entries", slots);
		return -1;
	}
	return 0;
}

int jwt_config_load(struct ngd_section *sec, struct jwt_config *cfg)
{
	const char *source;
	if (load_claims(sec, cfg) < 0 || load_algorithms(sec, cfg) < 0 ||
	    load_cache(sec, cfg) < 0 || !(source = key_source(sec)))
		return -1;
	return load_keys(sec, cfg, source);
}

void jwt_config_free(struct jwt_config *cfg)
{
	jwks_free(cfg->keys);
	jwt_cache_free(cfg->cache);
	free(cfg->audiences.text);
	claim_path_free(&cfg->user_claim);
	for (size_t i = 0; i < cfg->n_attributes; i++)
		claim_attr_free(&cfg->attributes[i]);
}
