/* SPDX-License-Identifier: Apache-2.0 */
/* CloudEvents headers and the connect body: bounded, strict, one pass. */
#include "negotiate/cloudevents.h"

#include "core/secret.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TYPE_PREFIX "azure.webpubsub."

static enum ce_kind kind_of(const char *type)
{
	if (strcmp(type, TYPE_PREFIX "sys.connect") == 0)
		return CE_CONNECT;
	if (strcmp(type, TYPE_PREFIX "sys.connected") == 0)
		return CE_CONNECTED;
	if (strcmp(type, TYPE_PREFIX "sys.disconnected") == 0)
		return CE_DISCONNECTED;
	return CE_OTHER;
}

/* Printable ASCII or UTF-8 bytes, 1 to CE_MAX_ID of them: what an id header may hold. */
static bool id_ok(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return n >= 1 && n <= CE_MAX_ID;
}

static int need(ce_header_fn header, void *ctx, const char *name, const char **out, char *why,
		size_t why_len)
{
	*out = header(ctx, name);
	if (*out && id_ok(*out))
		return 0;
	snprintf(why, why_len, "%s: %s", name,
		 *out ? "not 1 to 512 printable bytes" : "required header missing");
	return -1;
}

/* A claim value as a number of seconds: 1700000000, "1700000000" or ["1700000000"] (the service
 * sends claims as arrays of strings). 0 when it is none of these. */
static long long seconds_of(json_t *v)
{
	if (json_is_array(v) && json_array_size(v) >= 1)
		v = json_array_get(v, 0);
	if (json_is_integer(v) && json_integer_value(v) > 0)
		return json_integer_value(v);
	const char *s = json_string_value(v);
	if (!s || !*s || strlen(s) > 12 || strspn(s, "0123456789") != strlen(s))
		return 0;
	return strtoll(s, NULL, 10);
}

/* claims.iat of a connect body, which must be a JSON object (claims, when present, an object). */
static int read_connect_body(const char *body, size_t len, long long *iat, char *why,
			     size_t why_len)
{
	json_error_t e;
	json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
	json_t *claims = json_object_get(doc, "claims");
	int rc = 0;
	if (!json_is_object(doc)) {
		snprintf(why, why_len, "the body is not a JSON object%s%.80s", doc ? "" : ": ",
			 doc ? "" : e.text);
		rc = -1;
	} else if (claims && !json_is_object(claims)) {
		snprintf(why, why_len, "the body's claims is not an object");
		rc = -1;
	} else {
		*iat = seconds_of(json_object_get(claims, "iat"));
	}
	json_decref(doc);
	return rc;
}

static bool is_json_type(const char *content_type)
{
	size_t n = strcspn(content_type, ";");
	while (n && (content_type[n - 1] == ' ' || content_type[n - 1] == '\t'))
		n--;
	return n == 16 && strncasecmp(content_type, "application/json", 16) == 0;
}

int ce_read(ce_header_fn header, void *ctx, const char *body, size_t body_len, struct ce_event *out,
	    char *why, size_t why_len)
{
	const char *type, *version, *content_type;
	*out = (struct ce_event){0};
	if (need(header, ctx, "ce-awpsversion", &version, why, why_len) < 0 ||
	    need(header, ctx, "ce-type", &type, why, why_len) < 0 ||
	    need(header, ctx, "ce-hub", &out->hub, why, why_len) < 0 ||
	    need(header, ctx, "ce-connectionId", &out->connection_id, why, why_len) < 0 ||
	    need(header, ctx, "ce-signature", &out->signature, why, why_len) < 0 ||
	    need(header, ctx, "WebHook-Request-Origin", &out->origin, why, why_len) < 0)
		return -1;
	if (strncmp(type, TYPE_PREFIX, sizeof TYPE_PREFIX - 1) != 0) {
		snprintf(why, why_len, "ce-type: not an azure.webpubsub.* event");
		return -1;
	}
	out->kind = kind_of(type);
	out->user_id = header(ctx, "ce-userId");
	if (out->user_id && !*out->user_id)
		out->user_id = NULL; /* the service sends no user for an anonymous connection */
	if (out->user_id && !id_ok(out->user_id)) {
		snprintf(why, why_len, "ce-userId: not 1 to 512 printable bytes");
		return -1;
	}
	if (out->kind != CE_CONNECT)
		return 0;
	content_type = header(ctx, "Content-Type");
	if (!content_type || !is_json_type(content_type)) {
		snprintf(why, why_len, "Content-Type: a connect event is application/json");
		return -1;
	}
	return read_connect_body(body, body_len, &out->iat, why, why_len);
}

/* "sha256=" and 64 hex digits at s, into mac; the length read, or 0. */
static size_t one_entry(const char *s, unsigned char mac[32])
{
	static const char prefix[] = "sha256=";
	size_t n = sizeof prefix - 1;
	if (strncasecmp(s, prefix, n) != 0 || hex_decode_prefix(s + n, mac, 32) < 0)
		return 0;
	return n + 64;
}

/* The expected MACs, one per key, into want; how many. */
static size_t expected(const char *connection_id, const struct token_signer *const *keys,
		       size_t n_keys, unsigned char (*want)[32])
{
	size_t n = 0;
	for (size_t k = 0; k < n_keys && n < 2; k++)
		if (keys[k] &&
		    token_hmac(keys[k], connection_id, strlen(connection_id), want[n]) == 0)
			n++;
	return n;
}

bool ce_signature_ok(const char *signature, const char *connection_id,
		     const struct token_signer *const *keys, size_t n_keys)
{
	unsigned char want[2][32], got[32];
	size_t n_want = expected(connection_id, keys, n_keys, want);
	bool ok = false;
	const char *s = signature;
	for (unsigned entries = 0; n_want && entries < CE_MAX_SIGNATURES; entries++) {
		s += strspn(s, " \t");
		size_t used = one_entry(s, got);
		if (!used)
			break;
		for (size_t k = 0; k < n_want; k++)
			ok |= secret_equal(got, want[k], sizeof got);
		s += used;
		s += strspn(s, " \t");
		if (*s != ',')
			break;
		s++;
	}
	explicit_bzero(want, sizeof want);
	explicit_bzero(got, sizeof got);
	return ok;
}
