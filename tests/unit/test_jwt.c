/* The jwt building blocks as tables: base64url, JWKS documents good and bad, algorithm names, and
 * one authenticator instance (HS256 from a secret file) turning claims into a principal. */
#include "auth/chain.h"
#include "auth/jwt/jwk.h"
#include "auth/jwt/jws_verify.h"
#include "config/config.h"
#include "core/base64.h"
#include "core/buf.h"
#include "edge/request.h"
#include "tap.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define RSA_N                                                                                                          \
	"yx6KRIHlyHRmDDP-a_leQPo0jkUzWUsWd8_"                                                                          \
	"bNWOtrPmRqKsaDn4HRSDiIyHv0M6zRbWfkoy1t2Tk8hOJ5ixAw0P9x54INVd3IKxLZgvpZKU9qhM_"                                \
	"Hi8SMZm4IZozmNsz4e2D-iXxcMh3ACLVY-wE9Ds2s0M9QblL2dJhU11daKuGItlyTAFRPxR-Vf-_Owkz6ec76_"                       \
	"J8gwEGC4hA3vi23pYWFUdMyRo0jz1UZU7UAsZWLftGVJAVB5N9zXgrEqO2NCHqWUSjJXbzkYAA9OUAGsYevGKksgKlFXGY4udwmzVAJhcSmj" \
	"DKIQO"                                                                                                        \
	"RNsLuUSFFq3fcHhhSh_5xI0Vp4cnwuQ"
#define RSA_1024_N                                                                                                     \
	"wUZ6OP8-BBCZ3mghk1ahwExAINrau49IZcEC78OgViHgelSf9FSuuo-a8ZWsbwSbQU343PRbXA8HFAceKKDAA45XDxFf0b4s1x7_"         \
	"LwqQ0CuvpociMFprlUZmnfFIoGww3gmYwWe7Cw_5gEgTo_Pv5Wd6FxuRVH1WpF-6CC5B5sc"
#define RSA_JWK "{\"kty\":\"RSA\",\"kid\":\"r\",\"n\":\"" RSA_N "\",\"e\":\"AQAB\"}"
#define EC_JWK                                                                                                         \
	"{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-256\",\"x\":\"pEJSspzuPyZ5CluDNZJBoOWAOa8PMpBvAnkY8tAjyfw\","       \
	"\"y\":\"zZ219YaCA1mrtxwSaGKyQDFGeQjvpbdD2XJLT5I4WH0\"}"
#define EC384_JWK                                                                                                      \
	"{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":"                                                                     \
	"\"9V7HznHfl8WOYPkGEfGyWON6y6qj59ET2KiSlw25IMnMWksStd0nHY7zjpPRgSUi\","                                        \
	"\"y\":\"C_YUO445_inBsiJxkVDPS3FlsaNxtoosmy_gKx0DmOHRlQbmtdGE8uswU6ahVZY3\"}"
#define LONG_B64 /* 200 characters: 150 bytes */                                                                       \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"         \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define ED_JWK "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"nEaMZ2-a3kg-UFSuCmq-qDf2m-WMwQbD5jG8jt2f7U4\"}"

static void test_base64url(void)
{
	static const struct {
		const char *in, *out;
	} good[] = {{"", ""}, {"Zg", "f"}, {"Zm8", "fo"}, {"Zm9v", "foo"}, {"-_8", "\xfb\xff"}};
	static const char *const bad[] = {"Z", "Zg==", "Zh", "Zm9", "a+b/", "Zm 9v"};
	unsigned char out[16];
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		long n = base64url_decode(good[i].in, strlen(good[i].in), out, sizeof out);
		ok(n == (long)strlen(good[i].out) && memcmp(out, good[i].out, (size_t)n) == 0, "base64url '%s'",
		   good[i].in);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(base64url_decode(bad[i], strlen(bad[i]), out, sizeof out) < 0, "base64url '%s' refused", bad[i]);
	/* the capacity is checked before writing: a guard byte after a 2-byte buffer stays as it was */
	unsigned char small[3] = {0, 0, 0x5a};
	ok(base64url_decode("Zm8", 3, small, 2) == 2 && small[2] == 0x5a, "2 bytes fit a 2-byte buffer");
	ok(base64url_decode("Zm9v", 4, small, 2) == -1 && small[2] == 0x5a, "3 bytes do not fit a 2-byte buffer");
	ok(base64url_decode("Zm9vYg", 6, small, 2) == -1 && small[2] == 0x5a, "4 bytes do not either");
}

static void test_good_jwks(void)
{
	const char *doc = "{\"keys\":[" RSA_JWK "," EC_JWK "," EC384_JWK "," ED_JWK
			  ",{\"kty\":\"RSA\",\"use\":\"enc\",\"n\":\"" RSA_N "\",\"e\":\"AQAB\"}"
			  ",{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}"
			  ",{\"kty\":\"RSA\",\"alg\":\"RSA-OAEP\",\"n\":\"" RSA_N "\",\"e\":\"AQAB\"}]}";
	char err[256] = "";
	struct keyset *ks = keyset_from_jwks(doc, strlen(doc), err, sizeof err);
	ok(ks && ks->n == 4, "a JWKS with RSA, EC P-256, EC P-384, Ed25519 and 3 unusable keys has 4 keys (%s)", err);
	if (!ks)
		return;
	ok(ks->keys[0].kind == JWK_RSA && strcmp(ks->keys[0].kid, "r") == 0, "the RSA key and its kid");
	ok(jws_key_fits(&ks->keys[0], JWS_RS256) && jws_key_fits(&ks->keys[0], JWS_PS256) &&
		   !jws_key_fits(&ks->keys[0], JWS_HS256) && !jws_key_fits(&ks->keys[0], JWS_ES256),
	   "an RSA key fits RS/PS only, never HS256");
	ok(jws_key_fits(&ks->keys[1], JWS_ES256) && !jws_key_fits(&ks->keys[1], JWS_ES384), "P-256 fits ES256 only");
	ok(jws_key_fits(&ks->keys[2], JWS_ES384) && !jws_key_fits(&ks->keys[2], JWS_ES256), "P-384 fits ES384 only");
	ok(jws_key_fits(&ks->keys[3], JWS_EDDSA) && ks->keys[3].kid == NULL, "Ed25519 fits EdDSA, no kid");
	unsigned char sig[64] = {0};
	ok(!jws_verify(&ks->keys[0], JWS_HS256, "a.b", 3, sig, 32), "HS256 with an RSA key never verifies");
	ok(!jws_verify(&ks->keys[1], JWS_ES256, "a.b", 3, sig, 64), "a zero ES256 signature does not verify");
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
		{"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"" RSA_1024_N "\",\"e\":\"AQAB\"}]}", "at least 2048 bits"},
		{"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"@@\",\"e\":\"AQAB\"}]}", "needs base64url members n and e"},
		{"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":\"AA\",\"y\":\"AA\"}]}", "P-256 or P-384"},
		{"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}]}",
		 "of the curve's size"},
		{"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\""
		 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		 "\","
		 "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\"}]}",
		 "not a point on its curve"},
		{"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AA\"}]}", "Ed25519"},
		/* members longer than their buffers (the JWKS stack overflow of tests/fuzz/corpus/jwks) */
		{"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" LONG_B64 "\","
		 "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}",
		 "of the curve's size"},
		{"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AAAA\",\"y\":\"" LONG_B64 "\"}]}",
		 "of the curve's size"},
		{"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" LONG_B64 "\"}]}", "32-byte"},
		{"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"" RSA_N "\",\"e\":\"" LONG_B64 "\"}]}",
		 "needs base64url members n and e"},
		{"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"" RSA_N RSA_N RSA_N RSA_N RSA_N "\",\"e\":\"AQAB\"}]}",
		 "at most 8192 bits"},
		{"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"" RSA_N RSA_N RSA_N RSA_N RSA_N RSA_N RSA_N RSA_N RSA_N
		 "\",\"e\":\"AQAB\"}]}",
		 "needs base64url members n and e"},
		{"{\"keys\":[{\"kty\":\"RSA\",\"kid\":7,\"n\":\"" RSA_N "\",\"e\":\"AQAB\"}]}", "must be strings"},
		{"{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}", "no usable signature key"},
		{"{\"keys\":[" RSA_JWK "],\"keys\":[]}", "not JSON"},
	};
	char err[256];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err[0] = '\0';
		struct keyset *ks = keyset_from_jwks(cases[i].doc, strlen(cases[i].doc), err, sizeof err);
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
	ok(!keyset_from_jwks(many, len, err, sizeof err) && strstr(err, "more than"), "65 keys refused: %s", err);
	free(many);
	ok(!keyset_from_pem("junk", 4, err, sizeof err), "a PEM file without a key is refused: %s", err);
	ok(!keyset_from_secret((const unsigned char *)"short", 5, err, sizeof err), "a short secret is refused: %s",
	   err);
}

static void test_alg_names(void)
{
	static const char *const refused[] = {"none", "None", "HS384", "rs256", "RS256 ", ""};
	for (int a = 0; a < JWS_N_ALGS; a++)
		ok(jws_alg_parse(jws_alg_name(a)) == a, "algorithm %s", jws_alg_name(a));
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		ok(jws_alg_parse(refused[i]) < 0, "algorithm '%s' refused", refused[i]);
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
	EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret), (unsigned char *)b.data + 7, b.len - 7,
		  mac, sizeof mac, &mac_len);
	buf_printf(&b, ".");
	buf_base64url(&b, mac, mac_len);
	return buf_steal(&b);
}

static void test_principal(void)
{
	char path[] = "/tmp/ngd-jwt-XXXXXX";
	const char *secret = "0123456789abcdef0123456789abcdef";
	int fd = mkstemp(path);
	ok(fd >= 0 && write(fd, secret, strlen(secret)) == (ssize_t)strlen(secret), "secret file written");
	close(fd);
	struct auth_entry entries[] = {
		{"type", "jwt", 2, false},	   {"issuer", "https://i", 3, false}, {"audience", "a b", 4, false},
		{"algorithms", "HS256", 5, false}, {"secret_file", path, 6, false},
	};
	struct ngd_section sec = {{"t", 1, 0, {0}}, "t.conf", entries, sizeof entries / sizeof entries[0], NULL};
	char err[256] = "";
	struct auth_instance *inst = auth_instance_create(&sec, &(struct auth_limits){8, 0}, err, sizeof err);
	unlink(path);
	ok(inst != NULL, "an HS256 instance from a secret file (%s)", err);
	if (!inst)
		return;
	char claims[512];
	snprintf(claims, sizeof claims,
		 "{\"iss\":\"https://"
		 "i\",\"aud\":[\"x\",\"b\"],\"sub\":\"carol\",\"exp\":%lld,\"groups\":[\"g1\",7,\"g2\"],"
		 "\"roles\":\"r1\",\"email\":true}",
		 (long long)time(NULL) + 60);
	char *token = hs256_token(secret, claims);
	struct ngd_request req = {.src = {.header = fake_header}};
	struct ngd_outcome out = {0};
	presented = token;
	ok(inst->type->authenticate(inst->state, &req, &out) == NGD_AUTH_OK, "the token is admitted");
	is_str(out.principal.user_id, "carol", "the user is sub");
	ok(out.principal.n_attrs == 3, "three attributes: two groups and one role (numbers and booleans left out)");
	for (size_t i = 0; i < out.principal.n_attrs && i < 3; i++) {
		static const char *const want[][2] = {{"groups", "g1"}, {"groups", "g2"}, {"roles", "r1"}};
		ok(strcmp(out.principal.attrs[i].name, want[i][0]) == 0 &&
			   strcmp(out.principal.attrs[i].value, want[i][1]) == 0,
		   "attribute %s=%s", want[i][0], want[i][1]);
	}
	outcome_clear(&out);
	token[strlen(token) - 2] = token[strlen(token) - 2] == 'A' ? 'B' : 'A'; /* change 6 bits of the signature */
	ok(inst->type->authenticate(inst->state, &req, &out) == NGD_AUTH_DENY &&
		   strcmp(out.deny_code, "invalid_signature") == 0,
	   "a changed signature is refused");
	outcome_clear(&out);
	presented = NULL;
	ok(inst->type->authenticate(inst->state, &req, &out) == NGD_AUTH_DECLINED, "no token: declined");
	free(token);
	auth_instance_free(inst);
}

int main(void)
{
	test_base64url();
	test_good_jwks();
	test_bad_jwks();
	test_alg_names();
	test_principal();
	return tap_done();
}
