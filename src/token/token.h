/* SPDX-License-Identifier: Apache-2.0 */
/* Client access tokens and URLs, byte-compatible with the official SDKs
 * (shared/reference/token-contract.md). */
#ifndef NGD_TOKEN_H
#define NGD_TOKEN_H

#include "core/buf.h"
#include "token/connstr.h"

#include <stddef.h>

enum client_protocol { PROTOCOL_DEFAULT, PROTOCOL_MQTT, PROTOCOL_SOCKETIO };

int client_protocol_parse(const char *name, enum client_protocol *out); /* 0, or -1 */
const char *client_protocol_name(enum client_protocol p);

/* An HMAC-SHA256 context keyed once with the AccessKey's UTF-8 bytes; safe to share between
 * threads (each signature works on its own copy). */
struct token_signer;
struct token_signer *token_signer_new(const char *access_key);
void token_signer_free(struct token_signer *s);

struct token_claims {
	const char *hub;
	enum client_protocol protocol;
	const char *user_id; /* NULL: no `sub` */
	const char *const *roles;
	size_t n_roles;
	const char *const *groups;
	size_t n_groups;
	long long iat;	      /* seconds since the epoch */
	unsigned ttl_minutes; /* exp = iat + 60 * ttl_minutes */
};

/* Appends "<ws base><protocol path><hub>" to out. */
void client_base_url(const struct endpoint *ep, const char *hub, enum client_protocol p,
		     struct buf *out);
/* Appends the signed JWS to out (a secret: release it with buf_free_secret). 0, or -1. */
int token_mint(const struct endpoint *ep, const struct token_signer *s,
	       const struct token_claims *c, struct buf *out);
/* Appends {"baseUrl":...,"url":...,"token":...}, the official SDK's answer; for Socket.IO also
 * "endpoint" and "path", as the Web PubSub for Socket.IO extension's negotiate answers them. */
void client_access_json(const char *base_url, const char *token, enum client_protocol p,
			struct buf *out);
/* HMAC-SHA256 of data with the signer's key into mac: 0, or -1. */
int token_hmac(const struct token_signer *s, const void *data, size_t len, unsigned char mac[32]);
/* Appends the bearer @azure/web-pubsub 1.2.0 signs for a REST call to url (its key credential
 * policy: {"iat","exp":iat+3600,"aud":url}, HS256); a secret. 0, or -1. */
int token_rest_bearer(const struct token_signer *s, const char *url, long long iat,
		      struct buf *out);

#endif
