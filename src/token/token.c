/* SPDX-License-Identifier: Apache-2.0 */
/* JWT minting on an HMAC context keyed once; libjwt is the test oracle for these bytes. */
#include "token/token.h"

#include "core/thread_crypto.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct token_signer {
	EVP_MAC_CTX *keyed;  /* the template each thread copies once */
	uint64_t generation; /* names this key in the per-thread copies */
};

static const struct {
	const char *name;
	const char *path; /* below the endpoint, before the hub */
} protocols[] = {
	[PROTOCOL_DEFAULT] = {"default", "client/hubs/"},
	[PROTOCOL_MQTT] = {"mqtt", "clients/mqtt/hubs/"},
	[PROTOCOL_SOCKETIO] = {"socketio", "clients/socketio/hubs/"},
};

int client_protocol_parse(const char *name, enum client_protocol *out)
{
	for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++)
		if (strcmp(name, protocols[i].name) == 0) {
			*out = (enum client_protocol)i;
			return 0;
		}
	return -1;
}

const char *client_protocol_name(enum client_protocol p)
{
	return protocols[p].name;
}

struct token_signer *token_signer_new(const char *access_key)
{
	struct token_signer *s = calloc(1, sizeof *s);
	EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	if (s && hmac) {
		s->keyed = EVP_MAC_CTX_new(hmac);
		s->generation = thread_crypto_generation();
	}
	EVP_MAC_free(hmac); /* the context keeps its own reference */
	if (!s || !s->keyed ||
	    !EVP_MAC_init(s->keyed, (const unsigned char *)access_key, strlen(access_key),
			  params)) {
		token_signer_free(s);
		return NULL;
	}
	return s;
}

void token_signer_free(struct token_signer *s)
{
	if (!s)
		return;
	EVP_MAC_CTX_free(s->keyed); /* OpenSSL cleanses the key schedule */
	free(s);
}

void client_base_url(const struct endpoint *ep, const char *hub, enum client_protocol p,
		     struct buf *out)
{
	buf_puts(out, ep->ws_base);
	buf_puts(out, protocols[p].path);
	buf_puts(out, hub);
}

static void json_string_array(struct buf *b, const char *name, const char *const *items, size_t n)
{
	if (n == 0)
		return; /* omitted when empty, as the Python and .NET SDKs do */
	buf_puts(b, ",");
	buf_json_string(b, name);
	buf_puts(b, ":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_puts(b, ",");
		buf_json_string(b, items[i]);
	}
	buf_puts(b, "]");
}

static void claims_json(const struct endpoint *ep, const struct token_claims *c, struct buf *b)
{
	buf_puts(b, "{\"aud\":\"");
	buf_json_chars(b, ep->http_base);
	buf_puts(b, protocols[c->protocol].path);
	buf_json_chars(b, c->hub);
	buf_puts(b, "\",\"iat\":");
	buf_int(b, c->iat);
	buf_puts(b, ",\"exp\":");
	buf_int(b, c->iat + 60LL * c->ttl_minutes);
	if (c->user_id) {
		buf_puts(b, ",\"sub\":");
		buf_json_string(b, c->user_id);
	}
	json_string_array(b, "role", c->roles, c->n_roles);
	json_string_array(b, "webpubsub.group", c->groups, c->n_groups);
	buf_puts(b, "}");
}

static int sign(const struct token_signer *s, const char *data, size_t len, unsigned char mac[32])
{
	size_t mac_len = 0;
	EVP_MAC_CTX *ctx =
		thread_hmac(s->keyed, s->generation); /* keyed already: no key schedule */
	int ok = ctx && EVP_MAC_update(ctx, (const unsigned char *)data, len) &&
		 EVP_MAC_final(ctx, mac, &mac_len, 32) && mac_len == 32;
	return ok ? 0 : -1;
}

/* header.payload, signed, appended to out: the JWS both kinds of token share. */
static int jws_sign(const struct token_signer *s, const struct buf *payload, struct buf *out)
{
	/* base64url of {"alg":"HS256","typ":"JWT"}, the same for every token: encoded once, here */
	static const char header_dot[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.";
	unsigned char mac[32];
	size_t start = out->len;
	buf_append(out, header_dot, sizeof header_dot - 1);
	buf_base64url(out, (const unsigned char *)payload->data, payload->len);
	if (payload->failed || out->failed)
		return -1;
	if (sign(s, out->data + start, out->len - start, mac) < 0)
		return -1;
	buf_puts(out, ".");
	buf_base64url(out, mac, sizeof mac);
	explicit_bzero(mac, sizeof mac);
	return out->failed ? -1 : 0;
}

int token_mint(const struct endpoint *ep, const struct token_signer *s,
	       const struct token_claims *c, struct buf *out)
{
	struct buf claims = {0};
	claims_json(ep, c, &claims);
	int rc = jws_sign(s, &claims, out);
	buf_free(&claims);
	return rc;
}

int token_hmac(const struct token_signer *s, const void *data, size_t len, unsigned char mac[32])
{
	return sign(s, data, len, mac);
}

int token_rest_bearer(const struct token_signer *s, const char *url, long long iat, struct buf *out)
{
	struct buf claims = {0}; /* jsonwebtoken's order: iat, exp (expiresIn "1h"), aud */
	buf_puts(&claims, "{\"iat\":");
	buf_int(&claims, iat);
	buf_puts(&claims, ",\"exp\":");
	buf_int(&claims, iat + 3600);
	buf_puts(&claims, ",\"aud\":");
	buf_json_string(&claims, url);
	buf_puts(&claims, "}");
	int rc = jws_sign(s, &claims, out);
	buf_free(&claims);
	return rc;
}

/* WHATWG URL's path percent-encode set: what new URL(baseUrl).pathname escapes. */
static bool path_escaped(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || strchr("\"#<>?`{}", c);
}

/* The extension's negotiate answers endpoint: new URL(baseUrl).origin, path: .pathname; the
 * connection string parser has already dropped a default port, so only the host's case changes. */
static void socketio_endpoint_path(const char *base_url, struct buf *out)
{
	const char *authority = strstr(base_url, "://") + 3;
	const char *path = authority + strcspn(authority, "/");
	struct buf origin = {0};
	buf_append(&origin, base_url, (size_t)(authority - base_url));
	for (const char *s = authority; s < path; s++) {
		char c = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
		buf_append(&origin, &c, 1);
	}
	buf_puts(out, ",\"endpoint\":");
	buf_json_string(out, origin.failed ? "" : origin.data);
	buf_puts(out, ",\"path\":\"");
	for (const unsigned char *s = (const unsigned char *)path; *s; s++)
		if (path_escaped(*s))
			buf_printf(out, "%%%02X", *s);
		else /* printable ASCII without '"' is JSON as it stands; a special scheme reads
			'\\' as '/' */
			buf_append(out, *s == '\\' ? "/" : (const char *)s, 1);
	buf_puts(out, "\"");
	out->failed |= origin.failed;
	buf_free(&origin);
}

void client_access_json(const char *base_url, const char *token, enum client_protocol p,
			struct buf *out)
{
	/* the token is base64url and dots: JSON-safe as it stands */
	buf_puts(out, "{\"baseUrl\":");
	buf_json_string(out, base_url);
	buf_puts(out, ",\"url\":\"");
	buf_json_chars(out, base_url);
	buf_puts(out, "?access_token=");
	buf_puts(out, token);
	buf_puts(out, "\",\"token\":\"");
	buf_puts(out, token);
	buf_puts(out, "\"");
	if (p == PROTOCOL_SOCKETIO)
		socketio_endpoint_path(base_url, out);
	buf_puts(out, "}");
}
