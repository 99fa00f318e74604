/* SPDX-License-Identifier: Apache-2.0 */
/* A named worker pool (nginx's thread pool): threads, a queue bound, a concurrency bound, and its
 * own "busy" warning. Every blocking authenticator and every keyless service owns one (a bulkhead),
 * so that a slow peer holds only its own pool's threads. */
#ifndef NGD_POOL_H
#define NGD_POOL_H

#include "core/workers.h"

#include <stdatomic.h>

struct pool {
	char label[160]; /* "[auth:NAME] webhook", "[service:NAME] generateToken": its warning names
			    it */
	struct workers *workers; /* started on demand: an idle pool costs no thread */
	unsigned max_concurrent; /* requests it holds at once: threads + max_queued */
	unsigned max_queued;	 /* of them, waiting for a thread */
	atomic_llong warned_at;	 /* monotonic seconds of the last "busy" warning */
};

/* A pool of THREADS threads and QUEUE waiting requests, named "[KIND:NAME] WHAT" in its warning.
 * NULL when out of memory. Free with pool_free(). */
struct pool *pool_new(const char *kind, const char *name, const char *what, unsigned threads,
		      unsigned queue) __attribute__((warn_unused_result));
/* Runs w on one of the pool's threads: 0, or -1 when max_concurrent requests are in flight or the
 * pool is stopping (w untouched; warned at most once a minute). The caller answers 503. */
int pool_submit(struct pool *p, struct work *w) __attribute__((warn_unused_result));
void pool_free(struct pool *p); /* never from one of its own threads; NULL is fine */

#endif
