/* SPDX-License-Identifier: Apache-2.0 */
/* The webhook's short memory of its answers: OK (with the principal) or DENY, per credential
 * digest, for a few seconds. Keys are SHA-256 digests: raw credentials are never stored. */
#ifndef NGD_WEBHOOK_CACHE_H
#define NGD_WEBHOOK_CACHE_H

#include "auth/registry.h"
#include "core/secret.h"

#include <pthread.h>

#define WEBHOOK_CACHE_SLOTS 256 /* direct-mapped: a collision evicts, it never grows */

struct cached_answer {
	unsigned char key[SHA256_LEN];
	long long expires; /* monotonic milliseconds; 0: empty */
	enum ngd_auth_result result;
	unsigned deny_status;
	char *user_id;
	struct attribute *attrs;
	size_t n_attrs;
};

struct webhook_cache {
	pthread_mutex_t lock;
	struct cached_answer slots[WEBHOOK_CACHE_SLOTS];
};

void webhook_cache_init(struct webhook_cache *c);
void webhook_cache_clear(struct webhook_cache *c);
/* A live answer for key: fills out (user and attributes for OK, deny status for DENY) and returns
 * 1 with *result set; 0 when there is none. */
int webhook_cache_get(struct webhook_cache *c, const unsigned char key[SHA256_LEN],
		      struct ngd_outcome *out, enum ngd_auth_result *result);
/* Remembers an OK or DENY answer for ttl seconds (0: not at all). */
void webhook_cache_put(struct webhook_cache *c, const unsigned char key[SHA256_LEN],
		       enum ngd_auth_result result, const struct ngd_outcome *out, unsigned ttl);

#endif
