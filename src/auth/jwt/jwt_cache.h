/* SPDX-License-Identifier: Apache-2.0 */
/* The verified-token cache of one jwt authenticator: the SHA-256 of a presented token maps to the
 * principal its verification produced, for as long as the token's time window holds and only for
 * the key set it was verified with. Fixed slots chosen by the digest (a collision replaces: O(1),
 * never grows); only successful verifications are put; nothing of the token but its digest. */
#ifndef NGD_JWT_CACHE_H
#define NGD_JWT_CACHE_H

#include "auth/registry.h"
#include "auth/jwt/jwt_claims.h"
#include "core/secret.h"

#include <stddef.h>
#include <stdint.h>

#define JWT_CACHE_DEFAULT 10000
#define JWT_CACHE_MAX 1000000

struct jwt_cache;

/* A cache of SLOTS entries (1 to JWT_CACHE_MAX), or NULL when out of memory. */
struct jwt_cache *jwt_cache_new(size_t slots);
void jwt_cache_free(struct jwt_cache *c);

/* 1 with out's user and attributes set when DIGEST was put for key set GENERATION and NOW (wall
 * clock seconds) is inside its window; 0 (out untouched) otherwise. Safe from several threads. */
int jwt_cache_get(struct jwt_cache *c, const unsigned char digest[SHA256_LEN], uint64_t generation,
		  long long now, struct ngd_outcome *out);
/* Remembers principal P for DIGEST, verified with key set GENERATION, inside WINDOW; it replaces
 * whatever held the slot. A principal that cannot be stored is simply not cached. */
void jwt_cache_put(struct jwt_cache *c, const unsigned char digest[SHA256_LEN], uint64_t generation,
		   const struct jwt_window *window, const struct principal *p);

/* What the cache holds now: live entries, and the bytes of their principals. */
size_t jwt_cache_entries(struct jwt_cache *c);
size_t jwt_cache_bytes(struct jwt_cache *c);

#endif
