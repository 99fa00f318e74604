/* SPDX-License-Identifier: Apache-2.0 */
/* The shared store ([store], docs/several-instances.md): a Redis server every instance of a fleet
 * uses for what must be one across the fleet: rate limits, the keyless token cache, revocations
 * (revoke/fleet.c) and the connect gate's connection counts. Each call blocks for at most [store]
 * timeout, so callers run on store_pool(). */
#ifndef NGD_STORE_H
#define NGD_STORE_H

#include "core/buf.h"
#include "core/pool.h"
#include "edge/ratelimit.h"
#include "store/store_url.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What happens to a feature's requests when the store cannot answer within the timeout. */
enum store_on_failure { STORE_FAIL_OPEN, STORE_FAIL_CLOSED };

/* A password that changes while the store runs: a Microsoft Entra ID access token, which the
 * runtime (runtime/store_load.c) keeps fresh. Each connection AUTHs again before its next use once
 * the password it used was replaced or has expired. The functions are called from any thread. */
struct store_password_source {
	/* Appends the current password to out (a secret): 0 with its generation (changes when the
	 * password does) and expiry (seconds since the epoch), or -1 when none is valid now. */
	int (*current)(void *arg, struct buf *out, uint64_t *generation, long long *expires_at);
	uint64_t (*generation)(void *arg); /* cheap: asked before each use of a connection */
	void (*release)(void *arg);	   /* frees arg once the store's threads have stopped */
	void *arg;
	const char *name; /* in messages: "credential managed_identity"; copied */
};

/* The store's settings as the runtime read them; store_new() copies what it keeps. */
struct store_settings {
	struct store_url url;
	const char *user;     /* ACL user, or NULL */
	const char *password; /* secret (the caller wipes its copy), or NULL */
	const char *ca_file;  /* rediss://: the CAs to trust instead of the system's; or NULL */
	const char *prefix;   /* key namespace: negotiated:PREFIX:... */
	unsigned timeout_ms;
	unsigned workers, queue;
	enum store_on_failure rate_on_failure;
	enum store_on_failure keyless_on_failure;
	enum store_on_failure revocations_on_failure;
	enum store_on_failure connections_on_failure; /* the connect gate's connection counts */
	/* .current NULL: none (the password above, or none); the store owns it from store_new on */
	struct store_password_source source;
	const char *sentinel_user;     /* redis-sentinel://: the sentinels' ACL user, or NULL */
	const char *sentinel_password; /* the sentinels' (secret; the caller wipes it), or NULL */
};

struct store;

/* Connects once to check the settings: NULL with a reason when the server refuses the
 * credentials or the TLS setup fails (a configuration error: the daemon does not start); an
 * unreachable server is only warned about (calls fail as configured until it answers). */
struct store *store_new(const struct store_settings *s, char *err, size_t err_len)
	__attribute__((warn_unused_result));
void store_free(struct store *st); /* NULL is fine; never from the store's pool */

struct pool *store_pool(const struct store *st); /* where store calls run */
enum store_on_failure store_rate_on_failure(const struct store *st);
/* The last call or health check reached the server. */
bool store_reachable(const struct store *st);

enum store_result { STORE_PASSED, STORE_LIMITED, STORE_FAILED };

/* One token from the fleet-wide bucket of (hub, kind, id1, id2): one EVALSHA round trip on the
 * Redis server's clock. STORE_LIMITED sets *wait (whole seconds, Retry-After); STORE_FAILED: no
 * answer within the timeout (the caller applies rate_on_failure). Blocks: on store_pool() only. */
enum store_result store_rate_take(struct store *st, const char *hub, const char *kind,
				  const char *id1, const char *id2, const struct rate_spec *spec,
				  unsigned *wait);

/* The fleet-wide rate key of these parts: negotiated:PREFIX:rate:HUB:KIND:HASH, the identity
 * hashed (SHA-256, 128 bits in hex) so that no user id or address is stored. -1 if too long. */
int store_rate_key(const char *prefix, const char *hub, const char *kind, const char *id1,
		   const char *id2, char *out, size_t cap);

/* The keyless token cache across the fleet (token/rest_signer.c); each blocks for at most the
 * timeout, off the HTTP threads. */
enum store_on_failure store_keyless_on_failure(const struct store *st);
/* negotiated:PREFIX:keyless:KIND:HASH, HASH 128 bits of SHA-256 over TEXT (the exact ask). */
int store_keyless_key(const struct store *st, const char *kind, const char *text, char *out,
		      size_t cap);
/* GET: 1 with the value in out (NUL-terminated, *len), 0 absent, -1 failed or too long. */
int store_get(struct store *st, const char *key, char *out, size_t cap, size_t *len);
/* SET key value PX px_ms [NX]: 1 set, 0 not set (NX and the key exists), -1 failed. The value
 * may be a secret: the formatted command is wiped. */
int store_set(struct store *st, const char *key, const char *value, unsigned px_ms, bool nx);
/* DEL key: 0, or -1 failed. */
int store_del(struct store *st, const char *key);

/* The connect gate's live connections per user across the fleet (max_connections_per_user): the
 * service's connect, connected and disconnected events of CONNECTION by USER on HUB. connect: a
 * place held for HOLD_S unless MAX are held (STORE_LIMITED); connected: the place held for HOLD_S;
 * disconnected: freed. *held: the user's places now. STORE_FAILED: no answer within the timeout.
 * Blocks: on store_pool() only. */
enum store_conns_op { STORE_CONNS_CONNECT, STORE_CONNS_CONNECTED, STORE_CONNS_DISCONNECTED };
enum store_result store_connections(struct store *st, enum store_conns_op op, const char *hub,
				    const char *user, const char *connection, unsigned max,
				    unsigned hold_s, unsigned *held);
enum store_on_failure store_connections_on_failure(const struct store *st);
/* negotiated:PREFIX:conns:HUB:HASH, HASH 128 bits of SHA-256 over the user id. -1 if too long. */
int store_conns_key(const char *prefix, const char *hub, const char *user, char *out, size_t cap);

/* Process-wide store counters for GET /metrics. */
void store_metrics_render(struct buf *out);

#endif
