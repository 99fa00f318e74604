/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime snapshot requests are served from, swapped whole on reload (DESIGN.md).
 * The hot path takes no lock: each thread keeps a reference to the snapshot it last used and
 * refreshes it only when the published generation has moved; a snapshot is freed when its last
 * reference (published, per-thread or acquired) is dropped. */
#ifndef NGD_SNAPSHOT_H
#define NGD_SNAPSHOT_H

#include "runtime/runtime.h"

/* Makes rt (and the caller's reference to it) the current snapshot; the previous one is released.
 */
void snapshot_publish(struct runtime *rt);
/* The current snapshot for this thread, valid until this thread calls it again or exits; no lock
 * unless a reload happened since this thread's last call. NULL before the first publish. */
const struct runtime *snapshot_thread_current(void);
/* A counted reference for work that outlives one call on one thread (an authenticator's worker
 * thread, a suspended request): pair each runtime_acquire() with one runtime_release(). */
struct runtime *runtime_acquire(void);
/* One more reference to rt, e.g. the one snapshot_thread_current() gave, for a request that
 * leaves this thread; release it with runtime_release(). */
struct runtime *runtime_ref(const struct runtime *rt);
void runtime_release(struct runtime *rt);
/* Drops the published snapshot and the calling thread's reference (at shutdown, after the HTTP
 * threads have exited, which drop theirs in a thread-exit destructor). */
void snapshot_shutdown(void);

#endif
