/* SPDX-License-Identifier: Apache-2.0 */
/* The current runtime snapshot: one atomic generation counter read per request, a mutex only
 * for publishing and for a thread that sees a new generation, counted references. */
#include "runtime/snapshot.h"

#include <pthread.h>
#include <stdint.h>

struct thread_ref {
	struct runtime *rt;
	uint64_t generation;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct runtime *current;		       /* guarded by lock */
static atomic_uint_fast64_t generation;	       /* bumped after each publish */
static _Thread_local struct thread_ref cached; /* this thread's reference */
static pthread_key_t exit_key;		       /* only to drop `cached` when a thread exits */
static pthread_once_t once = PTHREAD_ONCE_INIT;

void runtime_release(struct runtime *rt)
{
	if (rt && atomic_fetch_sub_explicit(&rt->refs, 1, memory_order_acq_rel) == 1)
		runtime_free(rt);
}

struct runtime *runtime_acquire(void)
{
	pthread_mutex_lock(&lock);
	struct runtime *rt = current;
	if (rt)
		atomic_fetch_add_explicit(&rt->refs, 1, memory_order_relaxed);
	pthread_mutex_unlock(&lock);
	return rt;
}

struct runtime *runtime_ref(const struct runtime *rt)
{
	struct runtime *held =
		(struct runtime *)rt; /* only the count changes; the rest stays read-only */
	if (held)
		atomic_fetch_add_explicit(&held->refs, 1, memory_order_relaxed);
	return held;
}

static void drop_cached(void)
{
	runtime_release(cached.rt);
	cached = (struct thread_ref){0};
}

static void on_thread_exit(void *unused)
{
	(void)unused;
	drop_cached();
}

static void init_once(void)
{
	pthread_key_create(&exit_key, on_thread_exit);
}

void snapshot_publish(struct runtime *rt)
{
	pthread_mutex_lock(&lock);
	struct runtime *old = current;
	current = rt;
	atomic_fetch_add_explicit(&generation, 1, memory_order_release);
	pthread_mutex_unlock(&lock);
	runtime_release(old); /* in-flight requests hold their own references */
}

const struct runtime *snapshot_thread_current(void)
{
	uint64_t now = atomic_load_explicit(&generation, memory_order_acquire);
	if (cached.rt && cached.generation == now)
		return cached.rt;
	pthread_once(&once, init_once);
	pthread_mutex_lock(&lock);
	struct runtime *rt = current;
	if (rt)
		atomic_fetch_add_explicit(&rt->refs, 1, memory_order_relaxed);
	now = atomic_load_explicit(&generation, memory_order_relaxed);
	pthread_mutex_unlock(&lock);
	drop_cached();
	cached = (struct thread_ref){rt, now};
	pthread_setspecific(exit_key, (void *)1); /* any non-NULL value arms the destructor */
	return rt;
}

void snapshot_shutdown(void)
{
	drop_cached();
	snapshot_publish(NULL);
}
