/* SPDX-License-Identifier: Apache-2.0 */
/* A live verification key set: fixed (PEM, JWKS file, secret) or fetched from a JWKS URL or the
 * issuer's OpenID discovery document, refreshed by a background thread, refetched on an unknown
 * kid at most once per cooldown, and never replaced by a failed or garbage answer. */
#ifndef NGD_JWKS_H
#define NGD_JWKS_H

#include "auth/jwt/jwk.h"

#include <stdbool.h>
#include <stdint.h>

struct jwks_options {
	const char *name;   /* the [auth:NAME] section, for log lines */
	const char *url;    /* a JWKS URL, or NULL with discovery */
	const char *issuer; /* with discovery: ISSUER/.well-known/openid-configuration */
	bool discovery;
	bool allow_insecure_http;  /* a discovered jwks_uri may be http:// to any host */
	unsigned refresh_interval; /* seconds between background refreshes */
	unsigned refetch_cooldown; /* seconds: the least time between two fetches asked for by
				      requests */
	unsigned fetch_timeout_ms; /* per HTTP request */
	unsigned wait_ms;	   /* the longest a fetch asked for by a request may take */
};

struct jwks;

/* A set that never changes; takes over KS's reference. NULL when out of memory (KS released). */
struct jwks *jwks_fixed(struct keyset *ks);
/* Fetches once (a failure is logged, not fatal: requests answer 503 until keys arrive) and starts
 * the refresher. NULL with a reason in err when the thread cannot start. OPTS strings are copied.
 */
struct jwks *jwks_remote(const struct jwks_options *opts, char *err, size_t err_len);
/* Stops and joins the refresher promptly, frees everything. */
void jwks_free(struct jwks *j);

/* The current key set with a reference for the caller (keyset_release), or NULL when none loaded.
 */
struct keyset *jwks_current(struct jwks *j);
/* The current key set's generation (keyset.generation), or 0 when none is loaded. */
uint64_t jwks_generation(struct jwks *j);
/* Whether a request whose KID (NULL: none) the current set lacks is worth a fetch: a remote
 * source, no fetch in flight, the cooldown over, KID not remembered as unknown. Never blocks. */
bool jwks_fetch_wanted(struct jwks *j, const char *kid);
/* For such a kid: fetches now (at most wait_ms) unless jwks_fetch_wanted() says no, never waiting
 * behind a fetch in flight; a KID the new set lacks too is remembered as unknown for the cooldown.
 * Returns the (possibly unchanged) current set with a reference, or NULL. Blocks: workers only. */
struct keyset *jwks_refetch(struct jwks *j, const char *kid);

#endif
