/* SPDX-License-Identifier: Apache-2.0 */
/* The service's system events as CloudEvents over HTTP (binary mode: ce-* headers, a JSON body),
 * read before anything is decided: which event, for which hub, user and connection, signed how,
 * and the token's iat from the body's claims. Pure parsing: no state, nothing allocated that
 * outlives the call. The connect gate's outside input: tests/fuzz/fuzz_cloudevents.c. */
#ifndef NGD_CLOUDEVENTS_H
#define NGD_CLOUDEVENTS_H

#include "token/token.h"

#include <stdbool.h>
#include <stddef.h>

#define CE_MAX_SIGNATURES                                                                          \
	8	      /* sha256=HEX entries in ce-signature (the service sends one per key)        \
		       */
#define CE_MAX_ID 512 /* bytes of ce-connectionId, ce-userId and ce-hub (NGD_MAX_USER_ID) */

enum ce_kind {
	CE_CONNECT,	 /* azure.webpubsub.sys.connect: blocking, the gate decides */
	CE_CONNECTED,	 /* azure.webpubsub.sys.connected */
	CE_DISCONNECTED, /* azure.webpubsub.sys.disconnected */
	CE_OTHER	 /* another azure.webpubsub.* event: nothing to do */
};

/* Header lookup, case-insensitive; NULL when absent. */
typedef const char *(*ce_header_fn)(void *ctx, const char *name);

struct ce_event {
	enum ce_kind kind;
	const char *hub;	   /* ce-hub */
	const char *connection_id; /* ce-connectionId */
	const char *user_id;	   /* ce-userId; NULL for an anonymous connection */
	const char *signature;	   /* ce-signature */
	const char *origin;	   /* WebHook-Request-Origin */
	long long iat;		   /* claims.iat of the body (connect only); 0 when absent */
};

/* Reads the event's headers and, for connect, its body. 0, or -1 with why (naming the header or
 * member at fault, never its value beyond CE_MAX_ID bytes). The pointers in out point into the
 * headers the source returns. */
int ce_read(ce_header_fn header, void *ctx, const char *body, size_t body_len, struct ce_event *out,
	    char *why, size_t why_len);

/* Whether some sha256=HEX entry of signature is HMAC-SHA256(connection_id) under one of keys[]
 * (NULLs skipped). Constant time in each comparison; a malformed header is false. */
bool ce_signature_ok(const char *signature, const char *connection_id,
		     const struct token_signer *const *keys, size_t n_keys);

#endif
