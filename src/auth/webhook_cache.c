/* SPDX-License-Identifier: Apache-2.0 */
/* The webhook cache: a fixed array of slots chosen by the digest, one mutex, monotonic expiry. */
#include "auth/webhook_cache.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct cached_answer *slot_of(struct webhook_cache *c, const unsigned char key[SHA256_LEN])
{
	return &c->slots[(key[0] | (unsigned)key[1] << 8) % WEBHOOK_CACHE_SLOTS];
}

static void slot_clear(struct cached_answer *a)
{
	for (size_t i = 0; i < a->n_attrs; i++) {
		free(a->attrs[i].name);
		free(a->attrs[i].value);
	}
	free(a->attrs);
	free(a->user_id);
	memset(a, 0, sizeof *a);
}

void webhook_cache_init(struct webhook_cache *c)
{
	memset(c, 0, sizeof *c);
	pthread_mutex_init(&c->lock, NULL);
}

void webhook_cache_clear(struct webhook_cache *c)
{
	for (size_t i = 0; i < WEBHOOK_CACHE_SLOTS; i++)
		slot_clear(&c->slots[i]);
	pthread_mutex_destroy(&c->lock);
}

static int copy_out(const struct cached_answer *a, struct ngd_outcome *out)
{
	if (a->result == NGD_AUTH_DENY) {
		ngd_outcome_deny(out, (int)a->deny_status,
				 a->deny_status == 403 ? "forbidden" : "invalid_credentials",
				 "the credentials were not accepted");
		return 0;
	}
	if (ngd_outcome_set_user(out, a->user_id) < 0)
		return -1;
	for (size_t i = 0; i < a->n_attrs; i++)
		if (ngd_outcome_add_attribute(out, a->attrs[i].name, a->attrs[i].value) < 0)
			return -1;
	return 0;
}

int webhook_cache_get(struct webhook_cache *c, const unsigned char key[SHA256_LEN],
		      struct ngd_outcome *out, enum ngd_auth_result *result)
{
	int found = 0;
	pthread_mutex_lock(&c->lock);
	struct cached_answer *a = slot_of(c, key);
	if (a->expires > now_ms() && secret_equal(a->key, key, SHA256_LEN) &&
	    copy_out(a, out) == 0) {
		*result = a->result;
		found = 1;
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

static int fill(struct cached_answer *a, const struct ngd_outcome *out)
{
	const struct principal *p = &out->principal;
	if (!(a->user_id = strdup(p->user_id)) ||
	    (p->n_attrs && !(a->attrs = calloc(p->n_attrs, sizeof *a->attrs))))
		return -1;
	for (; a->n_attrs < p->n_attrs; a->n_attrs++) {
		struct attribute *to = &a->attrs[a->n_attrs];
		to->name = strdup(p->attrs[a->n_attrs].name);
		to->value = strdup(p->attrs[a->n_attrs].value);
		if (!to->name || !to->value) {
			a->n_attrs++; /* so that slot_clear frees the half-made pair */
			return -1;
		}
	}
	return 0;
}

void webhook_cache_put(struct webhook_cache *c, const unsigned char key[SHA256_LEN],
		       enum ngd_auth_result result, const struct ngd_outcome *out, unsigned ttl)
{
	if (!ttl || (result != NGD_AUTH_OK && result != NGD_AUTH_DENY))
		return;
	pthread_mutex_lock(&c->lock);
	struct cached_answer *a = slot_of(c, key);
	slot_clear(a);
	memcpy(a->key, key, SHA256_LEN);
	a->result = result;
	a->deny_status = out->deny_status;
	if (result == NGD_AUTH_DENY || fill(a, out) == 0)
		a->expires = now_ms() + (long long)ttl * 1000;
	else
		slot_clear(a);
	pthread_mutex_unlock(&c->lock);
}
