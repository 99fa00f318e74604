/* SPDX-License-Identifier: Apache-2.0 */
/* A named pool: workers.c's threads and queue, with the bounds and the warning a bulkhead needs. */
#include "core/pool.h"

#include "core/clock.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>

#define POOL_WARN_EVERY_S 60 /* a flood of refusals is one line a minute, not one a request */

struct pool *pool_new(const char *kind, const char *name, const char *what, unsigned threads,
		      unsigned queue)
{
	struct pool *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	snprintf(p->label, sizeof p->label, "[%s:%s] %s", kind, name, what);
	p->max_concurrent = threads + queue;
	p->max_queued = queue;
	atomic_init(&p->warned_at, -POOL_WARN_EVERY_S);
	p->workers = workers_start(threads, queue);
	if (p->workers)
		return p;
	free(p);
	return NULL;
}

/* The busy warning, once a minute per pool: compare-and-swap so that one thread of many logs it. */
static void warn_busy(struct pool *p)
{
	long long now = (long long)(monotonic_ns() / 1000000000ull);
	long long last = atomic_load(&p->warned_at);
	if (now - last < POOL_WARN_EVERY_S ||
	    !atomic_compare_exchange_strong(&p->warned_at, &last, now))
		return;
	log_warning("%s busy: max_concurrent = %u requests already in flight", p->label,
		    p->max_concurrent);
}

int pool_submit(struct pool *p, struct work *w)
{
	if (workers_submit(p->workers, w) == 0)
		return 0;
	warn_busy(p);
	return -1;
}

void pool_free(struct pool *p)
{
	if (!p)
		return;
	workers_free(p->workers);
	free(p);
}
