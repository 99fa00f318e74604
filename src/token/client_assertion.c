/* SPDX-License-Identifier: Apache-2.0 */
/* Client assertions as MSAL builds them: header {alg, typ, x5t}, claims {aud, iss, sub, jti, nbf,
 * exp}. */
#include "token/client_assertion.h"

#include "core/buf.h"
#include "core/secret.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct client_assertion {
	EVP_PKEY *key;
	char header[160]; /* base64url of the JSON header */
};

static int read_pem(const char *pem, X509 **cert, EVP_PKEY **key)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	*cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	b = BIO_new_mem_buf(pem, -1); /* the key may come before or after the certificate */
	*key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return *cert && *key ? 0 : -1;
}

static int make_header(struct client_assertion *a, X509 *cert)
{
	unsigned char sha1[EVP_MAX_MD_SIZE];
	unsigned sha1_len = 0;
	struct buf thumb = {0}, json = {0}, header = {0};
	if (!X509_digest(cert, EVP_sha1(), sha1, &sha1_len))
		return -1;
	buf_base64url(&thumb, sha1, sha1_len);
	buf_printf(&json, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5t\":\"%s\"}",
		   thumb.failed ? "" : thumb.data);
	buf_base64url(&header, (const unsigned char *)json.data, json.len);
	int rc = thumb.failed || json.failed || header.failed || header.len >= sizeof a->header ? -1
												: 0;
	if (rc == 0)
		memcpy(a->header, header.data, header.len + 1);
	buf_free(&thumb);
	buf_free(&json);
	buf_free(&header);
	return rc;
}

struct client_assertion *client_assertion_new(const char *pem, char *err, size_t err_len)
{
	struct client_assertion *a = calloc(1, sizeof *a);
	X509 *cert = NULL;
	int rc = a ? read_pem(pem, &cert, &a->key) : -1;
	if (rc < 0)
		snprintf(err, err_len, "expected a PEM certificate and its private key");
	else if (EVP_PKEY_get_base_id(a->key) != EVP_PKEY_RSA && (rc = -1) < 0)
		snprintf(err, err_len,
			 "the private key must be RSA (Microsoft Entra ID signs with RS256)");
	else if ((rc = make_header(a, cert)) < 0)
		snprintf(err, err_len, "cannot compute the certificate's thumbprint");
	X509_free(cert);
	if (rc < 0) {
		client_assertion_free(a);
		return NULL;
	}
	return a;
}

void client_assertion_free(struct client_assertion *a)
{
	if (!a)
		return;
	EVP_PKEY_free(a->key);
	free(a);
}

static void claims(struct buf *b, const char *client_id, const char *audience)
{
	unsigned char id[16];
	char jti[33];
	long long now = (long long)time(NULL);
	random_bytes(id, sizeof id);
	hex_encode(id, sizeof id, jti);
	struct buf json = {0};
	buf_puts(&json, "{\"aud\":");
	buf_json_string(&json, audience);
	buf_puts(&json, ",\"iss\":");
	buf_json_string(&json, client_id);
	buf_puts(&json, ",\"sub\":");
	buf_json_string(&json, client_id);
	buf_printf(&json, ",\"jti\":\"%s\",\"nbf\":%lld,\"exp\":%lld}", jti, now, now + 600);
	buf_base64url(b, (const unsigned char *)json.data, json.len);
	b->failed |= json.failed;
	buf_free(&json);
}

char *client_assertion_sign(const struct client_assertion *a, const char *client_id,
			    const char *audience)
{
	struct buf jwt = {0};
	unsigned char sig[1024];
	size_t sig_len = sizeof sig;
	buf_puts(&jwt, a->header);
	buf_puts(&jwt, ".");
	claims(&jwt, client_id, audience);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && !jwt.failed &&
		 EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, a->key) == 1 &&
		 EVP_PKEY_get_size(a->key) <= (int)sizeof sig &&
		 EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)jwt.data, jwt.len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		buf_free(&jwt);
		return NULL;
	}
	buf_puts(&jwt, ".");
	buf_base64url(&jwt, sig, sig_len);
	return buf_steal(&jwt);
}
