/* SPDX-License-Identifier: Apache-2.0 */
/* The keyless signer's pure parts: the generateToken request line as @azure/web-pubsub 1.2.0 builds
 * it (recorded from the SDK), the endpoint alone, and the client assertion's shape and signature.
 */
#include "core/buf.h"
#include "core/secret.h"
#include "tap.h"
#include "token/client_assertion.h"
#include "token/connstr.h"
#include "net/rest_http.h"
#include "token/rest_signer.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>

static void request_paths(void)
{
	const char *roles[] = {"webpubsub.joinLeaveGroup.g 1", "webpubsub.sendToGroup"};
	const char *groups[] = {"g&1", "x"};
	struct token_claims c = {.hub = "h_1",
				 .protocol = PROTOCOL_MQTT,
				 .user_id = "a b&c=d/\xc3\xa9+",
				 .roles = roles,
				 .n_roles = 2,
				 .groups = groups,
				 .n_groups = 2,
				 .ttl_minutes = 5};
	struct buf b = {0};
	rest_request_path(&c, &b);
	is_str(b.data,
	       "api/hubs/h_1/:generateToken?api-version=2024-12-01&userId=a%20b%26c%3Dd%2F%C3%A9%2B"
	       "&role=webpubsub.joinLeaveGroup.g%201&role=webpubsub.sendToGroup&minutesToExpire=5&"
	       "group=g%261&group=x"
	       "&clientType=mqtt",
	       "user, roles, groups, lifetime, mqtt: the SDK's order and encoding");
	buf_free(&b);
	c = (struct token_claims){.hub = "a.b,c`e",
				  .protocol = PROTOCOL_SOCKETIO,
				  .user_id = "!'()*~-._",
				  .ttl_minutes = 60};
	rest_request_path(&c, &b);
	is_str(b.data,
	       "api/hubs/a.b%2Cc%60e/"
	       ":generateToken?api-version=2024-12-01&userId=!%27()*~-._&minutesToExpire=60"
	       "&clientType=socketio",
	       "encodeURIComponent's unreserved marks stay, ' is escaped, empty lists are left "
	       "out");
	buf_free(&b);
	c = (struct token_claims){.hub = "chat", .ttl_minutes = 1};
	rest_request_path(&c, &b);
	is_str(b.data,
	       "api/hubs/chat/"
	       ":generateToken?api-version=2024-12-01&minutesToExpire=1&clientType=default",
	       "no user: no userId");
	buf_free(&b);
}

static void endpoints(void)
{
	struct endpoint ep;
	char err[128];
	ok(endpoint_parse("https://A.webpubsub.azure.com", &ep, err, sizeof err) == 0,
	   "endpoint alone");
	is_str(ep.http_base, "https://a.webpubsub.azure.com/",
	       "normalised like a connection string's");
	is_str(ep.ws_base, "wss://a.webpubsub.azure.com/", "and its wss twin");
	endpoint_clear(&ep);
	ok(endpoint_parse("ftp://x", &ep, err, sizeof err) < 0, "ftp refused: %s", err);
}

static EVP_PKEY *rsa_key(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
	EVP_PKEY *key = NULL;
	if (ctx && EVP_PKEY_keygen_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) == 1)
		EVP_PKEY_keygen(ctx, &key);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

static char *pem_of(EVP_PKEY *key, X509 *cert)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *copy = NULL;
	if (b && PEM_write_bio_X509(b, cert) &&
	    PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)) {
		long n = BIO_get_mem_data(b, &data);
		if ((copy = malloc((size_t)n + 1))) {
			memcpy(copy, data, (size_t)n);
			copy[n] = '\0';
		}
	}
	BIO_free(b);
	return copy;
}

static X509 *self_signed(EVP_PKEY *key)
{
	X509 *cert = X509_new();
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_set_pubkey(cert, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
				   (const unsigned char *)"t", -1, -1, 0);
	X509_set_issuer_name(cert, X509_get_subject_name(cert));
	X509_sign(cert, key, EVP_sha256());
	return cert;
}

static int verify(EVP_PKEY *key, const char *jwt)
{
	const char *dot = strrchr(jwt, '.');
	struct buf sig = {0};
	size_t len = 0;
	unsigned char raw[512];
	/* base64url to bytes through the EVP decoder: map back to standard base64 first */
	for (const char *s = dot + 1; *s; s++)
		buf_append(&sig, *s == '-' ? "+" : *s == '_' ? "/" : s, 1);
	while (sig.len % 4)
		buf_puts(&sig, "=");
	int n = EVP_DecodeBlock(raw, (const unsigned char *)sig.data, (int)sig.len);
	len = n > 0 ? (size_t)n - (sig.len - strcspn(sig.data, "=")) : 0;
	buf_free(&sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
		 EVP_DigestVerify(ctx, raw, len, (const unsigned char *)jwt, (size_t)(dot - jwt)) ==
			 1;
	EVP_MD_CTX_free(ctx);
	return rc;
}

static void assertions(void)
{
	EVP_PKEY *key = rsa_key();
	X509 *cert = key ? self_signed(key) : NULL;
	char *pem = cert ? pem_of(key, cert) : NULL, err[160];
	ok(pem != NULL, "a test certificate");
	struct client_assertion *a = pem ? client_assertion_new(pem, err, sizeof err) : NULL;
	ok(a != NULL, "certificate and key read");
	char *jwt = a ? client_assertion_sign(a, "client-1",
					      "https://login.example/t/oauth2/v2.0/token")
		      : NULL;
	ok(jwt && strchr(jwt, '.') != strrchr(jwt, '.'), "three parts");
	ok(jwt && verify(key, jwt), "RS256 signature verifies with the certificate's key");
	if (jwt)
		jwt[3] ^= 1; /* inside the header: the signature no longer covers these bytes */
	ok(jwt && !verify(key, jwt), "and a changed header does not");
	ok(client_assertion_new("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
				err, sizeof err) == NULL,
	   "no key: refused (%s)", err);
	secret_free(jwt);
	client_assertion_free(a);
	free(pem);
	X509_free(cert);
	EVP_PKEY_free(key);
}

int main(void)
{
	request_paths();
	endpoints();
	assertions();
	return tap_done();
}
