/* SPDX-License-Identifier: Apache-2.0 */
/* The verified-token cache: a direct-mapped array of slots, one lock per stripe of slots, each
 * principal packed into one allocation. */
#include "auth/jwt/jwt_cache.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 64 /* locks: HTTP threads rarely meet on one */

struct slot {
	unsigned char digest[SHA256_LEN];
	uint64_t generation; /* 0: empty */
	struct jwt_window window;
	char *packed; /* the user id, then each attribute's name and value, NUL-separated */
	size_t packed_len;
	size_t n_attrs;
};

struct jwt_cache {
	size_t n;
	atomic_size_t entries, bytes;
	pthread_mutex_t locks[STRIPES];
	struct slot slots[];
};

struct jwt_cache *jwt_cache_new(size_t slots)
{
	if (slots == 0 || slots > JWT_CACHE_MAX)
		return NULL;
	struct jwt_cache *c =
		calloc(1, sizeof *c + slots * sizeof c->slots[0]); /* pages touched as used */
	if (!c)
		return NULL;
	c->n = slots;
	for (size_t i = 0; i < STRIPES; i++)
		pthread_mutex_init(&c->locks[i], NULL);
	return c;
}

/* Under the slot's lock. */
static void slot_empty(struct jwt_cache *c, struct slot *s)
{
	if (s->generation) {
		atomic_fetch_sub(&c->entries, 1);
		atomic_fetch_sub(&c->bytes, s->packed_len);
	}
	free(s->packed);
	memset(s, 0, sizeof *s);
}

void jwt_cache_free(struct jwt_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->slots[i].packed);
	for (size_t i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&c->locks[i]);
	free(c);
}

static size_t slot_index(const struct jwt_cache *c, const unsigned char digest[SHA256_LEN])
{
	uint64_t h;
	memcpy(&h, digest, sizeof h); /* a digest's bytes are already uniform */
	return (size_t)(h % c->n);
}

/* Fills OUT from a packed principal: 0, or -1 (OUT cleared) when a value no longer fits. */
static int unpack(const struct slot *s, struct ngd_outcome *out)
{
	const char *p = s->packed;
	if (ngd_outcome_set_user(out, p) < 0) {
		outcome_clear(out);
		return -1;
	}
	p += strlen(p) + 1;
	for (size_t i = 0; i < s->n_attrs; i++) {
		const char *name = p, *value = p + strlen(p) + 1;
		if (ngd_outcome_add_attribute(out, name, value) < 0) {
			outcome_clear(out);
			return -1;
		}
		p = value + strlen(value) + 1;
	}
	return 0;
}

int jwt_cache_get(struct jwt_cache *c, const unsigned char digest[SHA256_LEN], uint64_t generation,
		  long long now, struct ngd_outcome *out)
{
	size_t i = slot_index(c, digest);
	struct slot *s = &c->slots[i];
	int hit = 0;
	pthread_mutex_lock(&c->locks[i % STRIPES]);
	if (s->generation && CRYPTO_memcmp(s->digest, digest, SHA256_LEN) == 0) {
		if (s->generation != generation || now >= s->window.until)
			slot_empty(c, s); /* expired, or verified with a key set that is gone: never
					     again */
		else if (s->window.from <= now)
			hit = unpack(s, out) == 0;
	}
	pthread_mutex_unlock(&c->locks[i % STRIPES]);
	return hit;
}

/* The principal as one block of NUL-separated strings (free()), its length in *len; NULL: memory.
 */
static char *pack(const struct principal *p, size_t *len)
{
	size_t total = strlen(p->user_id) + 1;
	for (size_t i = 0; i < p->n_attrs; i++)
		total += strlen(p->attrs[i].name) + strlen(p->attrs[i].value) + 2;
	char *block = malloc(total), *at = block;
	if (!block)
		return NULL;
	at = stpcpy(at, p->user_id) + 1;
	for (size_t i = 0; i < p->n_attrs; i++) {
		at = stpcpy(at, p->attrs[i].name) + 1;
		at = stpcpy(at, p->attrs[i].value) + 1;
	}
	*len = total;
	return block;
}

void jwt_cache_put(struct jwt_cache *c, const unsigned char digest[SHA256_LEN], uint64_t generation,
		   const struct jwt_window *window, const struct principal *p)
{
	size_t len = 0, i = slot_index(c, digest);
	char *packed = generation && window->from < window->until ? pack(p, &len) : NULL;
	if (!packed)
		return;
	struct slot *s = &c->slots[i];
	pthread_mutex_lock(&c->locks[i % STRIPES]);
	slot_empty(c, s);
	*s = (struct slot){.generation = generation,
			   .window = *window,
			   .packed = packed,
			   .packed_len = len,
			   .n_attrs = p->n_attrs};
	memcpy(s->digest, digest, SHA256_LEN);
	atomic_fetch_add(&c->entries, 1);
	atomic_fetch_add(&c->bytes, len);
	pthread_mutex_unlock(&c->locks[i % STRIPES]);
}

size_t jwt_cache_entries(struct jwt_cache *c)
{
	return atomic_load(&c->entries);
}

size_t jwt_cache_bytes(struct jwt_cache *c)
{
	return atomic_load(&c->bytes);
}
