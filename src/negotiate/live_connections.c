/* SPDX-License-Identifier: Apache-2.0 */
/* Users by a keyed hash of (hub, user) in an open-addressing table (linear probing, backward-shift
 * deletion), each with a small array of (hash of the connection id, expiry). Only hashes are kept:
 * no user or connection id stays in memory, and 64-bit SipHash makes a collision negligible. */
#include "negotiate/live_connections.h"

#include "core/log.h"
#include "core/siphash.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_SLOTS 64
/* Places one user may hold in the table (max_connections_per_user is at most this). */
#define MAX_PER_USER 65536

struct place {
	uint64_t connection;
	time_t expires;
};

struct user_places {
	uint64_t key; /* 0: an empty slot */
	uint32_t n, cap;
	struct place *places;
};

static struct {
	pthread_mutex_t lock;
	unsigned char seed[16];
	bool seeded;
	struct user_places *slots;
	size_t n_slots, n_users, n_places;
} table = {.lock = PTHREAD_MUTEX_INITIALIZER};

static bool seed(void)
{
	if (!table.seeded && RAND_bytes(table.seed, sizeof table.seed) == 1)
		table.seeded = true;
	return table.seeded;
}

static uint64_t user_key(const char *hub, const char *user)
{
	char text[1040];
	size_t hub_len = strnlen(hub, 512), user_len = strnlen(user, 512);
	memcpy(text, hub, hub_len);
	text[hub_len] = '\0';
	memcpy(text + hub_len + 1, user, user_len);
	uint64_t key = siphash24(table.seed, text, hub_len + 1 + user_len);
	return key ? key : 1;
}

static uint64_t connection_key(const char *connection)
{
	return siphash24(table.seed, connection, strnlen(connection, 512));
}

/* The slot holding KEY, or the empty slot where it would go. */
static struct user_places *slot_of(uint64_t key)
{
	size_t mask = table.n_slots - 1, i = (size_t)key & mask;
	while (table.slots[i].key && table.slots[i].key != key)
		i = (i + 1) & mask;
	return &table.slots[i];
}

/* Empties slot AT and shifts the entries after it back, so that no lookup stops early. */
static void slot_remove(struct user_places *at)
{
	size_t mask = table.n_slots - 1, hole = (size_t)(at - table.slots), i = hole;
	free(at->places);
	table.n_places -= at->n;
	table.n_users--;
	for (;;) {
		table.slots[hole] = (struct user_places){0};
		for (;;) {
			i = (i + 1) & mask;
			if (!table.slots[i].key)
				return;
			size_t home = (size_t)table.slots[i].key & mask;
			if (hole <= i ? (home <= hole || home > i) : (home <= hole && home > i))
				break; /* its home is at or before the hole: it may move there */
		}
		table.slots[hole] = table.slots[i];
		hole = i;
	}
}

/* Drops U's expired places; true when none is left. */
static bool drop_expired(struct user_places *u, time_t now)
{
	uint32_t kept = 0;
	for (uint32_t i = 0; i < u->n; i++)
		if (u->places[i].expires > now)
			u->places[kept++] = u->places[i];
	table.n_places -= u->n - kept;
	u->n = kept;
	return kept == 0;
}

/* Every user's expired places, and the users left with none. */
static void sweep(time_t now)
{
	for (size_t i = 0; i < table.n_slots;) {
		struct user_places *u = &table.slots[i];
		if (u->key && drop_expired(u, now)) {
			slot_remove(u); /* another entry may have moved into slot i */
			continue;
		}
		i++;
	}
}

static int grow(void)
{
	size_t n = table.n_slots ? table.n_slots * 2 : FIRST_SLOTS;
	struct user_places *old = table.slots, *slots = calloc(n, sizeof *slots);
	size_t old_n = table.n_slots;
	if (!slots)
		return -1;
	table.slots = slots;
	table.n_slots = n;
	for (size_t i = 0; i < old_n; i++)
		if (old[i].key)
			*slot_of(old[i].key) = old[i];
	free(old);
	return 0;
}

/* KEY's places, added (with none) when absent: NULL when out of memory. A table half full is
 * swept first, and grows only when the sweep did not make room. */
static struct user_places *user_find_or_add(uint64_t key, time_t now)
{
	if (table.n_slots) {
		struct user_places *u = slot_of(key);
		if (u->key)
			return u;
	}
	if (table.n_slots && 2 * (table.n_users + 1) > table.n_slots)
		sweep(now);
	if (2 * (table.n_users + 1) > table.n_slots && grow() < 0)
		return NULL;
	struct user_places *u = slot_of(key);
	u->key = key;
	table.n_users++;
	return u;
}

static struct place *place_of(struct user_places *u, uint64_t connection)
{
	for (uint32_t i = 0; i < u->n; i++)
		if (u->places[i].connection == connection)
			return &u->places[i];
	return NULL;
}

static struct place *place_add(struct user_places *u, uint64_t connection)
{
	if (u->n == MAX_PER_USER || table.n_places >= LIVE_MAX_CONNECTIONS)
		return NULL;
	if (u->n == u->cap) {
		uint32_t cap = u->cap ? u->cap * 2 : 4;
		struct place *p = realloc(u->places, cap * sizeof *p);
		if (!p)
			return NULL;
		u->places = p;
		u->cap = cap;
	}
	table.n_places++;
	u->places[u->n] = (struct place){.connection = connection};
	return &u->places[u->n++];
}

/* Places could not be kept (the table is full or memory ran out): the connect is admitted
 * uncounted, at most one warning a minute. */
static void warn_uncounted(time_t now)
{
	static time_t quiet_until;
	if (now < quiet_until)
		return;
	quiet_until = now + 60;
	log_warning("connect gate: %zu connections are counted (at most %d): connects beyond are "
		    "admitted without a count (max_connections_per_user cannot hold for them)",
		    table.n_places, LIVE_MAX_CONNECTIONS);
}

bool live_connections_admit(const char *hub, const char *user, const char *connection, unsigned max,
			    time_t now, unsigned *held)
{
	pthread_mutex_lock(&table.lock);
	bool admitted = true;
	struct user_places *u = seed() ? user_find_or_add(user_key(hub, user), now) : NULL;
	if (u) {
		uint64_t c = connection_key(connection);
		drop_expired(u, now);
		struct place *p = place_of(u, c);
		if (!p && u->n >= max)
			admitted = false;
		else if (!p && !(p = place_add(u, c)))
			warn_uncounted(now);
		if (p && p->expires < now + LIVE_PENDING_S)
			p->expires = now + LIVE_PENDING_S;
		*held = u->n;
		if (!u->n)
			slot_remove(u);
	} else {
		*held = 0;
		warn_uncounted(now);
	}
	pthread_mutex_unlock(&table.lock);
	return admitted;
}

void live_connections_confirm(const char *hub, const char *user, const char *connection,
			      unsigned ttl_s, time_t now)
{
	pthread_mutex_lock(&table.lock);
	struct user_places *u = seed() ? user_find_or_add(user_key(hub, user), now) : NULL;
	if (u) {
		uint64_t c = connection_key(connection);
		struct place *p = place_of(u, c);
		if (!p)
			p = place_add(u, c);
		if (p)
			p->expires = now + (time_t)ttl_s;
		else
			warn_uncounted(now);
		if (!u->n)
			slot_remove(u);
	}
	pthread_mutex_unlock(&table.lock);
}

void live_connections_forget(const char *hub, const char *user, const char *connection)
{
	pthread_mutex_lock(&table.lock);
	struct user_places *u = table.n_slots && seed() ? slot_of(user_key(hub, user)) : NULL;
	struct place *p = u && u->key ? place_of(u, connection_key(connection)) : NULL;
	if (p) {
		*p = u->places[--u->n];
		table.n_places--;
		if (!u->n)
			slot_remove(u);
	}
	pthread_mutex_unlock(&table.lock);
}

size_t live_connections_held(void)
{
	pthread_mutex_lock(&table.lock);
	size_t n = table.n_places;
	pthread_mutex_unlock(&table.lock);
	return n;
}

void live_connections_free(void)
{
	pthread_mutex_lock(&table.lock);
	for (size_t i = 0; i < table.n_slots; i++)
		free(table.slots[i].places);
	free(table.slots);
	table.slots = NULL;
	table.n_slots = table.n_users = table.n_places = 0;
	pthread_mutex_unlock(&table.lock);
}
