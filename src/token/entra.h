/* SPDX-License-Identifier: Apache-2.0 */
/* Microsoft Entra ID access tokens for a scope (Web PubSub's unless settings name another: the
 * [store] asks for Azure Cache for Redis's), fetched by one
 * background thread per credential: cached until shortly before they expire, refreshed one fetch
 * at a time, the last good token used while a refresh fails, never logged. */
#ifndef NGD_ENTRA_H
#define NGD_ENTRA_H

#include "core/buf.h"

#include <stdbool.h>
#include <stdint.h>

#define ENTRA_SCOPE "https://webpubsub.azure.com/.default"
#define ENTRA_RESOURCE "https://webpubsub.azure.com" /* the scope as managed identity names it */
#define ENTRA_REDIS_SCOPE "https://redis.azure.com/.default"
#define ENTRA_REDIS_RESOURCE "https://redis.azure.com"

enum entra_kind {
	ENTRA_CLIENT_SECRET,
	ENTRA_CLIENT_CERTIFICATE,
	ENTRA_WORKLOAD_IDENTITY,
	ENTRA_MANAGED_IDENTITY
};

struct entra_settings {
	const char *service; /* "[service:NAME]" in log lines */
	const char *scope; /* NULL: ENTRA_SCOPE (managed identity's resource is in identity_url) */
	const char *without; /* what a failed fetch without a valid token means, for the log; NULL:
				"the service answers 503" */
	enum entra_kind kind;
	const char *token_url;	     /* secret, certificate, workload:
					{authority}/{tenant}/oauth2/v2.0/token */
	const char *client_id;	     /* NULL: managed identity's system-assigned one */
	const char *client_secret;   /* client secret (copied; the caller wipes its own) */
	const char *assertion_file;  /* workload identity: re-read at every fetch */
	const char *certificate_pem; /* client certificate: certificate and private key, PEM */
	const char *identity_url;    /* managed identity: the full GET URL */
	const char *identity_header; /* managed identity: "Metadata: true" or "X-IDENTITY-HEADER:
					..." */
	const char *ca_file;	     /* NULL: the system's trust store */
	long timeout_ms;
	unsigned retry_ms; /* first delay after a failed fetch; doubles up to 30 s */
};

struct entra;

/* Starts the credential and waits (at most timeout_ms) for its first fetch. NULL with a reason
 * in err when the settings are unusable (a bad certificate); a failing fetch is not an error. */
struct entra *entra_start(const struct entra_settings *s, char *err, size_t err_len);
void entra_stop(struct entra *e); /* joins the thread, wipes the token */
/* Appends the current token to out (a secret): 0, or -1 when none is held or it has expired. */
int entra_token(struct entra *e, struct buf *out);
bool entra_ready(struct entra *e);
/* As entra_token, with the token's generation (1 for the first, one more at each new token) and
 * expiry (seconds since the epoch): a holder of an older generation holds a replaced token. */
int entra_token_of(struct entra *e, struct buf *out, uint64_t *generation, long long *expires_at);
uint64_t entra_generation(struct entra *e); /* without the lock: compared before each use */

#endif
