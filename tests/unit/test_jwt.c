/* SPDX-License-Identifier: Apache-2.0 */
/* The jwt building blocks as tables: base64url, JWKS documents good and bad, algorithm names, and
 * one authenticator instance (HS256 from a secret file) turning claims into a principal. */
#include "auth/chain.h"
#include "auth/jwt/claim_path.h"
#include "auth/jwt/jwk.h"
#include "auth/jwt/jws_header.h"
#include "auth/jwt/jws_verify.h"
#include "auth/jwt/jwt_cache.h"
#include "auth/jwt/jwt_claims.h"
#include "auth/jwt/jwt_config.h"
#include "config/config.h"
#include "core/base64.h"
#include "core/buf.h"
#include "edge/request.h"
#include "tap.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define RSA_N                                                                                      \
	"yx6KRIHlyHRmDDP-a_leQPo0jkUzWUsWd8_"                                                      \
	"bNWOtrPmRqKsaDn4HRSDiIyHv0M6zRbWfkoy1t2Tk8hOJ5ixAw0P9x54INVd3IKxLZgvpZKU9qhM_"            \
	"Hi8SMZm4IZozmNsz4e2D-iXxcMh3ACLVY-wE9Ds2s0M9QblL2dJhU11daKuGItlyTAFRPxR-Vf-_Owkz6ec76_"   \
	"J8gwEGC4hA3vi23pYWFUdMyRo0jz1UZU7UAsZWLftGVJAVB5N9zXgrEqO2NCHqWUSjJXbzkYAA9OUAGsYevGKksg" \
	"KlFXGY4udwmzVAJhcSmj"                                                                     \
	"DKIQO"                                                                                    \
	"RNsLuUSFFq3fcHhhSh_5xI0Vp4cnwuQ"
#define RSA_1024_N                                                                                 \
	"wUZ6OP8-BBCZ3mghk1ahwExAINrau49IZcEC78OgViHgelSf9FSuuo-"                                  \
	"a8ZWsbwSbQU343PRbXA8HFAceKKDAA45XDxFf0b4s1x7_"                                            \
	"LwqQ0CuvpociMFprlUZmnfFIoGww3gmYwWe7Cw_5gEgTo_Pv5Wd6FxuRVH1WpF-6CC5B5sc"
#define RSA_JWK "{\"kty\":\"RSA\",\"kid\":\"r\",\"n\":\"" RSA_N "\",\"e\":\"AQAB\"}"
#define EC_JWK                                                                                     \
	"{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-256\",\"x\":"                                   \
	"\"pEJSspzuPyZ5CluDNZJBoOWAOa8PMpBvAnkY8tAjyfw\","                                         \
	"\"y\":\"zZ219YaCA1mrtxwSaGKyQDFGeQjvpbdD2XJLT5I4WH0\"}"
#define EC384_JWK                                                                                  \
	"{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":"                                                 \
	"\"9V7HznHfl8WOYPkGEfGyWON6y6qj59ET2KiSlw25IMnMWksStd0nHY7zjpPRgSUi\","                    \
	"\"y\":\"C_YUO445_inBsiJxkVDPS3FlsaNxtoosmy_gKx0DmOHRlQbmtdGE8uswU6ahVZY3\"}"
#define LONG_B64 /* 200 characters: 150 bytes */                                                   \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
	"AAAAAAAAAAAA"                                                                             \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
	"AAAAAAAAAAAA"
#define ED_JWK                                                                                     \
	"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"nEaMZ2-a3kg-UFSuCmq-qDf2m-"                  \
	"WMwQbD5jG8jt2f7U4\"}"

static void test_base64url(void)
{
	static const struct {
		const char *in, *out;
	} good[] = {{"", ""}, {"Zg", "f"}, {"Zm8", "fo"}, {"Zm9v", "foo"}, {"-_8", "\xfb\xff"}};
	static const char *const bad[] = {"Z", "Zg==", "Zh", "Zm9", "a+b/", "Zm 9v"};
	unsigned char out[16];
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		long n = base64url_decode(good[i].in, strlen(good[i].in), out, sizeof out);
		ok(n == (long)strlen(good[i].out) && memcmp(out, good[i].out, (size_t)n) == 0,
		   "base64url '%s'", good[i].in);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(base64url_decode(bad[i], strlen(bad[i]), out, sizeof out) < 0,
		   "base64url '%s' refused", bad[i]);
	/* the capacity is checked before writing: a guard byte after a 2-byte buffer stays as it
	 * was */
	unsigned char small[3] = {0, 0, 0x5a};
	ok(base64url_decode("Zm8", 3, small, 2) == 2 && small[2] == 0x5a,
	   "2 bytes fit a 2-byte buffer");
	ok(base64url_decode("Zm9v", 4, small, 2) == -1 && small[2] == 0x5a,
	   "3 bytes do not fit a 2-byte buffer");
	ok(base64url_decode("Zm9vYg", 6, small, 2) == -1 && small[2] == 0x5a,
	   "4 bytes do not either");
}

static void test_good_jwks(void)
{
	const char *doc =
		"{\"keys\":[" RSA_JWK "," EC_JWK "," EC384_JWK "," ED_JWK
		",{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"" RSA_N "\",\"e\":\"AQAB\"}"
		",{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}"
		",{\"kty\":\"RSA\",\"alg\":\"RSA-OAEP\",\"n\":\"" RSA_N "\",\"e\":\"AQAB\"}]}";
	char err[256] = "";
	struct keyset *ks = keyset_from_jwks(doc, strlen(doc), err, sizeof err);
	ok(ks && ks->n == 4,
	   "a JWKS with RSA, EC P-256, EC P-384, Ed25519 and 3 unusable keys has 4 keys (%s)", err);
	if (!ks)
		return;
	ok(ks->keys[0].kind == JWK_RSA && strcmp(ks->keys[0].kid, "r") == 0,
	   "the RSA key and its kid");
	ok(jws_key_fits(&ks->keys[0], JWS_RS256) && jws_key_fits(&ks->keys[0], JWS_PS256) &&
		   !jws_key_fits(&ks->keys[0], JWS_HS256) && !jws_key_fits(&ks->keys[0], JWS_ES256),
	   "an RSA key fits RS/PS only, never HS256");
	ok(jws_key_fits(&ks->keys[1], JWS_ES256) && !jws_key_fits(&ks->keys[1], JWS_ES384),
	   "P-256 fits ES256 only");
	ok(jws_key_fits(&ks->keys[2], JWS_ES384) && !jws_key_fits(&ks->keys[2], JWS_ES256),
	   "P-384 fits ES384 only");
	ok(jws_key_fits(&ks->keys[3], JWS_EDDSA) && ks->keys[3].kid == NULL,
	   "Ed25519 fits EdDSA, no kid");
	unsigned char sig[64] = {0};
	ok(!jws_verify(&ks->keys[0], JWS_HS256, "a.b", 3, sig, 32),
	   "HS256 with an RSA key never verifies");
	ok(!jws_verify(&ks->keys[1], JWS_ES256, "a.b", 3, sig, 64),
	   "a zero ES256 signature does not verify");
	keyset_release(ks);
}

static void test_bad_jwks(void)
{
	static const struct {
		const char *doc, *why;
	} cases[] = {
		{"", "not JSON"},
		{"{\"keys\":[] ", "not JSON"},
		{"[]", "no \"keys\" array"},
		{"{\"keys\":{}}", "no \"keys\" array"},
		{"{\"keys\":[]}", "no usable signature key"},
		{"{\"keys\":[1]}", "each key must be an object"},
		{"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"" RSA_1024_N "\",\"e\":\"AQAB\"}]}",
		 "at least 2048 bits"},
		{"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"@@\",\"e\":\"AQAB\"}]}",
		 "needs base64url members n and e"},
		{"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AA\",\"y\":\"AA\"}]}",
		 "P-256 or P-384"},
		{"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}]}",
		 "of the curve's size"},
		{"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\""
		 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		 "\","
		 "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\"}]}",
		 "not a point on its curve"},
		{"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AA\"}]}", "Ed25519"},
		/* members longer than their buffers (the JWKS stack overflow of
		   tests/fuzz/corpus/jwks) */
		{"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" LONG_B64 "\","
		 "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}",
		 "of the curve's size"},
		{"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AAAA\",\"y\":\"" LONG_B64
		 "\"}]}",
		 "of the curve's size"},
		{"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" LONG_B64 "\"}]}",
		 "32-byte"},
		{"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"" RSA_N "\",\"e\":\"" LONG_B64 "\"}]}",
		 "needs base64url members n and e"},
		{"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"" RSA_N RSA_N RSA_N RSA_N RSA_N
		 "\",\"e\":\"AQAB\"}]}",
		 "at most 8192 bits"},
		{"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"" RSA_N RSA_N RSA_N RSA_N RSA_N RSA_N RSA_N
			 RSA_N RSA_N "\",\"e\":\"AQAB\"}]}",
		 "needs base64url members n and e"},
		{"{\"keys\":[{\"kty\":\"RSA\",\"kid\":7,\"n\":\"" RSA_N "\",\"e\":\"AQAB\"}]}",
		 "must be strings"},
		{"{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}", "no usable signature key"},
		{"{\"keys\":[" RSA_JWK "],\"keys\":[]}", "not JSON"},
	};
	char err[256];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err[0] = '\0';
		struct keyset *ks =
			keyset_from_jwks(cases[i].doc, strlen(cases[i].doc), err, sizeof err);
		ok(!ks && strstr(err, cases[i].why), "bad JWKS %zu refused: %s", i, err);
		keyset_release(ks);
	}
	char *many = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&many, &len);
	fputs("{\"keys\":[", f);
	for (int i = 0; i <= JWKS_MAX_KEYS; i++)
		fprintf(f, "%s" ED_JWK, i ? "," : "");
	fputs("]}", f);
	fclose(f);
	ok(!keyset_from_jwks(many, len, err, sizeof err) && strstr(err, "more than"),
	   "65 keys refused: %s", err);
	free(many);
	ok(!keyset_from_pem("junk", 4, err, sizeof err), "a PEM file without a key is refused: %s",
	   err);
	ok(!keyset_from_secret((const unsigned char *)"short", 5, err, sizeof err),
	   "a short secret is refused: %s", err);
}

static void test_alg_names(void)
{
	static const char *const refused[] = {"none", "None", "HS384", "rs256", "RS256 ", ""};
	for (int a = 0; a < JWS_N_ALGS; a++)
		ok(jws_alg_parse(jws_alg_name(a)) == a, "algorithm %s", jws_alg_name(a));
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		ok(jws_alg_parse(refused[i]) < 0, "algorithm '%s' refused", refused[i]);
}

static struct principal principal_of(const char *user, const char *group)
{
	struct principal p = {.n_attrs = 2};
	snprintf(p.user_id, sizeof p.user_id, "%s", user);
	p.attrs[0] = (struct attribute){"groups", (char *)group};
	p.attrs[1] = (struct attribute){"email", "x@example.test"};
	return p;
}

static void digest_of(const char *token, unsigned char d[SHA256_LEN])
{
	sha256(token, strlen(token), d);
}

static void test_cache_window_and_generation(void)
{
	struct jwt_cache *c = jwt_cache_new(16);
	unsigned char d[SHA256_LEN], other[SHA256_LEN];
	struct principal p = principal_of("dave", "g1");
	struct ngd_outcome out = {0};
	digest_of("token-a", d);
	digest_of("token-a.", other);
	jwt_cache_put(c, d, 7, &(struct jwt_window){1000, 2000}, &p);
	ok(jwt_cache_get(c, d, 7, 1500, &out) == 1 && strcmp(out.principal.user_id, "dave") == 0 &&
		   out.principal.n_attrs == 2 && strcmp(out.principal.attrs[0].value, "g1") == 0 &&
		   strcmp(out.principal.attrs[1].name, "email") == 0,
	   "a hit gives back the same user and attributes, in order");
	outcome_clear(&out);
	ok(jwt_cache_get(c, other, 7, 1500, &out) == 0 && !out.principal.user_id[0],
	   "another digest misses");
	ok(jwt_cache_get(c, d, 7, 999, &out) == 0,
	   "before the window (nbf/iat less leeway): a miss");
	ok(jwt_cache_get(c, d, 7, 1999, &out) == 1, "one second before exp: a hit");
	outcome_clear(&out);
	ok(jwt_cache_get(c, d, 7, 2000, &out) == 0, "at exp: a miss (no leeway added)");
	ok(jwt_cache_entries(c) == 0, "and the expired entry is gone");
	jwt_cache_put(c, d, 7, &(struct jwt_window){1000, 2000}, &p);
	ok(jwt_cache_get(c, d, 8, 1500, &out) == 0, "a newer key set generation misses");
	ok(jwt_cache_get(c, d, 7, 1500, &out) == 0,
	   "and the entry made with the old set is dropped");
	jwt_cache_put(c, d, 0, &(struct jwt_window){1000, 2000}, &p);
	ok(jwt_cache_entries(c) == 0, "no key set (generation 0): nothing is cached");
	jwt_cache_free(c);
	ok(jwt_cache_new(0) == NULL && jwt_cache_new(JWT_CACHE_MAX + 1) == NULL,
	   "0 or over the maximum: no cache");
}

static void test_cache_bounded(void)
{
	enum { SLOTS = 8 };
	struct jwt_cache *c = jwt_cache_new(SLOTS);
	struct principal p = principal_of("erin", "a-group-name");
	size_t most = 0, most_bytes = 0;
	for (int i = 0; i < 10 * SLOTS + 1; i++) {
		char token[32];
		unsigned char d[SHA256_LEN];
		snprintf(token, sizeof token, "token-%d", i);
		digest_of(token, d);
		jwt_cache_put(c, d, 1, &(struct jwt_window){0, 100}, &p);
		most = jwt_cache_entries(c) > most ? jwt_cache_entries(c) : most;
		most_bytes = jwt_cache_bytes(c) > most_bytes ? jwt_cache_bytes(c) : most_bytes;
	}
	ok(most <= SLOTS && most > 0,
	   "81 distinct tokens in 8 slots: never more than 8 entries (%zu)", most);
	ok(most_bytes <= SLOTS * (strlen("erin") + strlen("groups") + strlen("a-group-name") +
				  strlen("email") + strlen("x@example.test") + 5),
	   "nor more than 8 principals' bytes (%zu)", most_bytes);
	jwt_cache_free(c);
}

struct hammer {
	struct jwt_cache *cache;
	int id;
	long wrong;
};

/* Each thread puts and gets its own tokens in a shared 4-slot cache: a hit is always its own. */
static void *hammer_cache(void *arg)
{
	struct hammer *h = arg;
	char user[32], token[48];
	for (int i = 0; i < 4000; i++) {
		unsigned char d[SHA256_LEN];
		struct ngd_outcome out = {0};
		snprintf(user, sizeof user, "user-%d-%d", h->id, i % 7);
		snprintf(token, sizeof token, "token-%d-%d", h->id, i % 7);
		digest_of(token, d);
		struct principal p = principal_of(user, token);
		if (jwt_cache_get(h->cache, d, 1, 50, &out))
			h->wrong += strcmp(out.principal.user_id, user) != 0 ||
				    strcmp(out.principal.attrs[0].value, token) != 0;
		else
			jwt_cache_put(h->cache, d, 1, &(struct jwt_window){0, 100}, &p);
		outcome_clear(&out);
	}
	return NULL;
}

static void test_cache_threads(void)
{
	struct jwt_cache *c = jwt_cache_new(4);
	struct hammer h[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		h[i] = (struct hammer){c, i, 0};
		pthread_create(&t[i], NULL, hammer_cache, &h[i]);
	}
	long wrong = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		wrong += h[i].wrong;
	}
	ok(wrong == 0 && jwt_cache_entries(c) <= 4,
	   "4 threads on 4 slots: every hit is the right principal");
	jwt_cache_free(c);
}

static int read_header(struct jws_header_memo *m, const char *json, struct jws_header *h)
{
	struct buf b = {0};
	buf_base64url(&b, (const unsigned char *)json, strlen(json));
	int rc = jws_header_read(m, b.data, b.len, h);
	buf_free(&b);
	return rc;
}

static void test_header_memo(void)
{
	struct jws_header_memo *m = jws_header_memo_new();
	struct jws_header h;
	for (int i = 0; i < 2; i++) /* parsed, then remembered: the same answer */
		ok(read_header(m, "{\"alg\":\"ES256\",\"kid\":\"k1\"}", &h) == 0 &&
			   h.alg == JWS_ES256 && h.has_kid && strcmp(h.kid, "k1") == 0,
		   "header ES256 kid k1 (%s)", i ? "remembered" : "parsed");
	ok(read_header(m, "{\"alg\":\"RS256\"}", &h) == 0 && h.alg == JWS_RS256 && !h.has_kid,
	   "no kid");
	struct jws_header_memo *fresh = jws_header_memo_new(); /* its slots are empty: length 0 */
	ok(jws_header_read(fresh, "", 0, &h) < 0,
	   "an empty header is refused, never an empty slot's zeroed header");
	jws_header_memo_free(fresh);
	ok(read_header(m, "{\"alg\":\"none\"}", &h) == 0 && h.alg < 0,
	   "alg none: parsed, never an algorithm");
	static const char *const bad[] = {"{\"alg\":\"RS256\",\"kid\":\"a\\u0000b\"}",
					  "{\"alg\":\"RS256\",\"crit\":[]}",
					  "{\"alg\":\"RS256\",\"alg\":\"none\"}",
					  "{\"kid\":\"k\"}",
					  "[1]",
					  "{\"alg\":\"RS256\",\"kid\":7}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		for (int round = 0; round < 2; round++)
			ok(read_header(m, bad[i], &h) < 0,
			   "malformed header %zu refused (round %d)", i, round);
	for (int i = 0; i < 3 * JWS_HEADER_SLOTS;
	     i++) { /* more headers than slots: each still right */
		char json[64], want[16];
		snprintf(want, sizeof want, "k%d", i % (JWS_HEADER_SLOTS + 3));
		snprintf(json, sizeof json, "{\"alg\":\"PS256\",\"kid\":\"%s\"}", want);
		if (read_header(m, json, &h) < 0 || h.alg != JWS_PS256 || strcmp(h.kid, want) != 0)
			ok(0, "header with kid %s", want);
	}
	ok(1, "11 distinct headers through 8 slots: every answer is its own header's");
	jws_header_memo_free(m);
}

static void test_claims_window(void)
{
	static const char *const aud[] = {"a"};
	struct jwt_rules rules = {"https://i", aud, 1, 60, "t"};
	struct jwt_refusal why;
	struct jwt_window w = {0, 0};
	json_t *c = json_pack("{s:s,s:s,s:f,s:i,s:i}", "iss", "https://i", "aud", "a", "exp",
			      2000.5, "nbf", 1500, "iat", 1400);
	ok(jwt_claims_check(c, &rules, 1600, &why, &w) == 0 && w.until == 2000 && w.from == 1440,
	   "window: until exp itself without the leeway (2000), from the latest of nbf and iat "
	   "less it (1440)");
	json_decref(c);
	c = json_pack("{s:s,s:s,s:f}", "iss", "https://i", "aud", "a", "exp", 1e300);
	ok(jwt_claims_check(c, &rules, 1000, &why, &w) == 0 && w.until > 0 &&
		   w.from < -1000000000000LL,
	   "an exp far beyond any clock stays in range; no nbf or iat: from the distant past");
	json_decref(c);
}

static const char *presented;
static const char *fake_header(void *conn, const char *name)
{
	(void)conn;
	return strcmp(name, "Authorization") == 0 ? presented : NULL;
}

static char *hs256_token(const char *secret, const char *claims)
{
	struct buf b = {0};
	const char *header = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	unsigned char mac[32];
	size_t mac_len = 0;
	buf_printf(&b, "Bearer ");
	buf_base64url(&b, (const unsigned char *)header, strlen(header));
	buf_printf(&b, ".");
	buf_base64url(&b, (const unsigned char *)claims, strlen(claims));
	EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret),
		  (unsigned char *)b.data + 7, b.len - 7, mac, sizeof mac, &mac_len);
	buf_printf(&b, ".");
	buf_base64url(&b, mac, mac_len);
	return buf_steal(&b);
}

static const char *const jwt_secret = "0123456789abcdef0123456789abcdef";

/* An HS256 instance from a secret file, with EXTRA keys (key, value pairs, NULL-ended) after the
 * usual ones. */
static struct auth_instance *hs256_instance_with(const char *const *extra, char *err,
						 size_t err_len)
{
	char path[] = "/tmp/ngd-jwt-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, jwt_secret, strlen(jwt_secret)) != (ssize_t)strlen(jwt_secret))
		return NULL;
	close(fd);
	struct auth_entry entries[12] = {
		{"type", "jwt", 2, false},	 {"issuer", "https://i", 3, false},
		{"audience", "a b", 4, false},	 {"algorithms", "HS256", 5, false},
		{"secret_file", path, 6, false},
	};
	size_t n = 5;
	for (; extra && extra[0] && n < 12; extra += 2, n++)
		entries[n] =
			(struct auth_entry){(char *)extra[0], (char *)extra[1], (int)n + 2, false};
	struct ngd_section sec = {
		.head = {"t", 1, 0, {0}}, .file = "t.conf", .entries = entries, .n_entries = n};
	struct auth_instance *inst =
		auth_instance_create(&sec, &(struct auth_limits){8, 0}, err, err_len);
	unlink(path);
	free(sec.error);
	return inst;
}

/* An HS256 instance from a secret file; CACHE is its verified_cache value (NULL: the default). */
static struct auth_instance *hs256_instance(const char *cache, char *err, size_t err_len)
{
	const char *const extra[] = {"verified_cache", cache, NULL};
	return hs256_instance_with(cache ? extra : NULL, err, err_len);
}

static char *claims_token(const char *user, long long exp_in)
{
	char claims[512];
	snprintf(claims, sizeof claims,
		 "{\"iss\":\"https://"
		 "i\",\"aud\":[\"x\",\"b\"],\"sub\":\"%s\",\"exp\":%lld,\"groups\":[\"g1\",\"g2\"],"
		 "\"roles\":\"r1\",\"email\":{\"v\":1}}",
		 user, (long long)time(NULL) + exp_in);
	return hs256_token(jwt_secret, claims);
}

static void check_carol(const struct ngd_outcome *out, const char *what)
{
	static const char *const want[][2] = {{"groups", "g1"}, {"groups", "g2"}, {"roles", "r1"}};
	bool same = strcmp(out->principal.user_id, "carol") == 0 && out->principal.n_attrs == 3;
	for (size_t i = 0; same && i < 3; i++)
		same = strcmp(out->principal.attrs[i].name, want[i][0]) == 0 &&
		       strcmp(out->principal.attrs[i].value, want[i][1]) == 0;
	ok(same, "%s: user carol, groups g1 g2, roles r1 (an object left out)", what);
}

static void test_principal(void)
{
	char err[256] = "";
	struct auth_instance *inst = hs256_instance(NULL, err, sizeof err);
	ok(inst != NULL, "an HS256 instance from a secret file (%s)", err);
	if (!inst)
		return;
	struct jwt_config *cfg = inst->state;
	ok(cfg->cache != NULL, "verified_cache is on by default");
	char *token = claims_token("carol", 60);
	struct ngd_request req = {.src = {.header = fake_header}};
	struct ngd_outcome out = {0};
	presented = token;
	ok(inst->type->authenticate(inst->state, &req, &out) == NGD_AUTH_OK,
	   "the token is admitted");
	check_carol(&out, "verified");
	outcome_clear(&out);
	ok(jwt_cache_entries(cfg->cache) == 1, "the verified token is cached");
	ok(inst->type->authenticate(inst->state, &req, &out) == NGD_AUTH_OK,
	   "presented again: admitted");
	check_carol(&out, "from the cache");
	outcome_clear(&out);
	token[strlen(token) - 2] =
		token[strlen(token) - 2] == 'A' ? 'B' : 'A'; /* change 6 bits of the signature */
	ok(inst->type->authenticate(inst->state, &req, &out) == NGD_AUTH_DENY &&
		   strcmp(out.deny_code, "invalid_signature") == 0,
	   "the same token with a changed signature, after the good one was cached, is refused");
	outcome_clear(&out);
	ok(inst->type->authenticate(inst->state, &req, &out) == NGD_AUTH_DENY &&
		   jwt_cache_entries(cfg->cache) == 1,
	   "and refused again: a refusal is never cached");
	outcome_clear(&out);
	char *expired = claims_token("carol", -3600);
	presented = expired;
	ok(inst->type->authenticate(inst->state, &req, &out) == NGD_AUTH_DENY &&
		   strcmp(out.deny_code, "token_expired") == 0 &&
		   jwt_cache_entries(cfg->cache) == 1,
	   "an expired token is refused and not cached");
	outcome_clear(&out);
	presented = NULL;
	ok(inst->type->authenticate(inst->state, &req, &out) == NGD_AUTH_DECLINED,
	   "no token: declined");
	free(token);
	free(expired);
	auth_instance_free(inst);
}

static void test_cache_config(void)
{
	char err[256] = "";
	struct auth_instance *inst = hs256_instance("0", err, sizeof err);
	ok(inst && ((struct jwt_config *)inst->state)->cache == NULL,
	   "verified_cache = 0: no cache (%s)", err);
	char *token = claims_token("carol", 60);
	struct ngd_request req = {.src = {.header = fake_header}};
	struct ngd_outcome out = {0};
	presented = token;
	for (int i = 0; inst && i < 2; i++) {
		ok(inst->type->authenticate(inst->state, &req, &out) == NGD_AUTH_OK,
		   "uncached, admitted (%d)", i);
		check_carol(&out, "uncached");
		outcome_clear(&out);
	}
	auth_instance_free(inst);
	free(token);
	static const char *const bad[] = {"1000001", "-1", "many", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ok(!hs256_instance(bad[i], err, sizeof err) &&
			   strstr(err, "t.conf:7: verified_cache: ") && strstr(err, "0 to 1000000"),
		   "verified_cache = '%s' refused: %s", bad[i], err);
	}
	inst = hs256_instance("1000000", err, sizeof err);
	ok(inst != NULL, "verified_cache = 1000000, the maximum, is accepted (%s)", err);
	auth_instance_free(inst);
}

static void test_claim_path_parse(void)
{
	static const struct {
		const char *text;
		size_t n;
		const char *last;
	} good[] = {
		{"sub", 1, "sub"},
		{"realm_access.roles", 2, "roles"},
		{"resource_access.my-app.roles", 3, "roles"},
		{"\"https://example.com/roles\"", 1, "https://example.com/roles"},
		{"ns.\"https://example.com/claims\".roles", 3, "roles"},
		{"\"a.b\".\"c=d\"", 2, "c=d"},
	};
	static const char *const bad[] = {"",	       "a..b", "a.",	 ".a",
					  "\"open",    "\"\"", "a\"b\"", "\"a\"b",
					  "https://x", "a=b",  "a b",	 "a.b.c.d.e.f.g.h.i",
					  "a.\"\".b"};
	char why[200];
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct claim_path p;
		int rc = claim_path_parse(good[i].text, strlen(good[i].text), &p, why, sizeof why);
		ok(rc == 0 && p.n == good[i].n && strcmp(p.segments[p.n - 1], good[i].last) == 0 &&
			   strcmp(p.source, good[i].text) == 0,
		   "claim path '%s': %zu member names, the last '%s'", good[i].text, good[i].n,
		   good[i].last);
		claim_path_free(&p);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct claim_path p;
		why[0] = '\0';
		ok(claim_path_parse(bad[i], strlen(bad[i]), &p, why, sizeof why) < 0 && why[0] &&
			   !p.text,
		   "claim path '%s' refused: %s", bad[i], why);
	}
	struct claim_attr a;
	ok(claim_attr_parse("roles=\"https://example.com/roles\"", 33, &a, why, sizeof why) == 0 &&
		   strcmp(a.name, "roles") == 0 &&
		   strcmp(a.path.segments[0], "https://example.com/roles") == 0,
	   "NAME=PATH: the attribute is NAME");
	claim_attr_free(&a);
	ok(claim_attr_parse("realm_access.roles", 18, &a, why, sizeof why) == 0 &&
		   strcmp(a.name, "roles") == 0,
	   "PATH: the attribute is named after the last member");
	claim_attr_free(&a);
	ok(claim_attr_parse("Roles=roles", 11, &a, why, sizeof why) < 0 && strstr(why, "a-z 0-9"),
	   "NAME is a-z 0-9 _ -: %s", why);
	ok(claim_attr_parse("=roles", 6, &a, why, sizeof why) < 0, "an empty NAME is refused");
}

/* Admits CLAIMS (a JSON object; iss, aud and exp are added) on an instance with USER_CLAIM and
 * ATTRS, and compares "user attr=value attr=value ..." with WANT ("DENY code" for a refusal). */
static void check_claims(const char *user_claim, const char *attrs, const char *claims,
			 const char *want)
{
	const char *const extra[] = {"user_claim", user_claim, "attribute_claims", attrs, NULL};
	char err[256] = "", full[2048], got[1024] = "";
	struct auth_instance *inst = hs256_instance_with(extra, err, sizeof err);
	if (!inst) {
		ok(false, "instance with user_claim = %s, attribute_claims = %s: %s", user_claim,
		   attrs, err);
		return;
	}
	snprintf(full, sizeof full, "{\"iss\":\"https://i\",\"aud\":\"a\",\"exp\":%lld,%s",
		 (long long)time(NULL) + 60, claims + 1);
	char *token = hs256_token(jwt_secret, full);
	struct ngd_request req = {.src = {.header = fake_header}};
	struct ngd_outcome out = {0};
	presented = token;
	enum ngd_auth_result r = inst->type->authenticate(inst->state, &req, &out);
	size_t used = 0;
	if (r == NGD_AUTH_DENY)
		snprintf(got, sizeof got, "DENY %s", out.deny_code);
	else
		used = (size_t)snprintf(got, sizeof got, "%s", out.principal.user_id);
	for (size_t i = 0; r == NGD_AUTH_OK && i < out.principal.n_attrs && used < sizeof got; i++)
		used += (size_t)snprintf(got + used, sizeof got - used, " %s=%s",
					 out.principal.attrs[i].name, out.principal.attrs[i].value);
	ok(strcmp(got, want) == 0, "user_claim = %s, attribute_claims = %s: '%s' (want '%s')",
	   user_claim, attrs, got, want);
	outcome_clear(&out);
	presented = NULL;
	free(token);
	auth_instance_free(inst);
}

/* Tokens shaped as each provider documents its claims (only iss and aud are this test's). */
static void test_provider_claims(void)
{
	/* Microsoft Entra ID access token (v2.0; v1.0 has the same oid, roles, groups, tid) */
	check_claims("oid", "roles groups tid",
		     "{\"sub\":\"AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ\",\"oid\":\"00000000-"
		     "0000-0000-66f3-"
		     "3332eca7ea81\",\"tid\":\"9122040d-6c67-4c5b-b112-36a304b66dad\",\"roles\":["
		     "\"Admin\",\"Reader\"],"
		     "\"groups\":[\"12345678-aaaa-bbbb-cccc-1234567890ab\"],\"ver\":\"2.0\","
		     "\"aio\":\"AXQAi/8I\"}",
		     "00000000-0000-0000-66f3-3332eca7ea81 roles=Admin roles=Reader "
		     "groups=12345678-aaaa-bbbb-cccc-1234567890ab "
		     "tid=9122040d-6c67-4c5b-b112-36a304b66dad");
	/* Keycloak access token: realm and client roles nested, the login name in
	 * preferred_username */
	check_claims(
		"preferred_username",
		"roles=realm_access.roles client_roles=resource_access.my-app.roles",
		"{\"sub\":\"f1b2c3d4-0000-4000-8000-000000000001\",\"typ\":\"Bearer\",\"azp\":\"my-"
		"app\","
		"\"realm_access\":{\"roles\":[\"offline_access\",\"uma_authorization\",\"admin\"]},"
		"\"resource_access\":{\"my-app\":{\"roles\":[\"editor\"]},\"account\":{\"roles\":["
		"\"manage-"
		"account\"]}},\"scope\":\"openid email profile\",\"email_verified\":false,"
		"\"preferred_username\":\"alice\"}",
		"alice roles=offline_access roles=uma_authorization roles=admin "
		"client_roles=editor");
	/* Auth0: custom claims under a namespace URL */
	check_claims("sub", "roles=\"https://example.com/roles\" \"https://example.com/team\"",
		     "{\"sub\":\"auth0|5f7c8ec7c33c6c004bbafe82\",\"https://example.com/"
		     "roles\":[\"admin\"],"
		     "\"https://example.com/team\":\"blue\",\"scope\":\"openid "
		     "profile\",\"permissions\":[\"read:x\"]}",
		     "auth0|5f7c8ec7c33c6c004bbafe82 roles=admin https://example.com/team=blue");
	/* Google ID token: email_verified is a JSON boolean */
	check_claims(
		"sub", "email email_verified hd",
		"{\"sub\":\"110169484474386276334\",\"email\":\"alice@example.com\",\"email_"
		"verified\":true,"
		"\"hd\":\"example.com\",\"at_hash\":\"HK6E_P6Dh8Y93mRNtsDB1Q\"}",
		"110169484474386276334 email=alice@example.com email_verified=true hd=example.com");
	/* the other types: integers are their decimal text; objects, null, floats and mixed arrays
	 * give nothing */
	check_claims("sub", "n f o z mixed x.y deep.er",
		     "{\"sub\":\"u\",\"n\":-42,\"f\":1.5,\"o\":{},\"z\":null,"
		     "\"mixed\":[\"a\",1],\"x\":\"not an object\",\"deep\":{\"er\":false}}",
		     "u n=-42 er=false");
	check_claims("a.b", "", "{\"a\":{\"b\":\"nested-user\"}}", "nested-user");
	check_claims("a.b", "", "{\"a\":{\"b\":7}}", "DENY missing_user_claim");
	check_claims("a.b", "", "{\"a\":{\"b\":\"\"}}", "DENY missing_user_claim");
	check_claims("oid", "", "{\"sub\":\"s\"}", "DENY missing_user_claim");
}

static void test_claim_config_errors(void)
{
	static const struct {
		const char *key, *value, *says;
	} bad[] = {
		{"attribute_claims", "roles \"https://x/roles",
		 "t.conf:7: attribute_claims: a double quote is not closed"},
		{"attribute_claims", "roles https://x/roles",
		 "'https://x/roles': '/' in a member name"},
		{"attribute_claims", "Roles=roles", "'Roles': the NAME of NAME=PATH"},
		{"user_claim", "a..b", "t.conf:7: user_claim: an empty member name"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *const extra[] = {bad[i].key, bad[i].value, NULL};
		char err[256] = "";
		struct auth_instance *inst = hs256_instance_with(extra, err, sizeof err);
		ok(!inst && strstr(err, bad[i].says), "%s = %s refused: %s", bad[i].key,
		   bad[i].value, err);
		auth_instance_free(inst);
	}
}

int main(void)
{
	test_base64url();
	test_good_jwks();
	test_bad_jwks();
	test_alg_names();
	test_header_memo();
	test_claims_window();
	test_cache_window_and_generation();
	test_cache_bounded();
	test_cache_threads();
	test_principal();
	test_cache_config();
	test_claim_path_parse();
	test_provider_claims();
	test_claim_config_errors();
	return tap_done();
}
