/* SPDX-License-Identifier: Apache-2.0 */
/* A request that must wait (nginx's AGAIN): its handler stopped at a phase that blocks, and it
 * continues at that very phase on a pool's thread. http/ runs it there and answers it back on the
 * HTTP thread; it knows the pool, never what waits on it. */
#ifndef NGD_RESUME_H
#define NGD_RESUME_H

#include "core/pool.h"
#include "edge/reply.h"
#include "edge/request.h"

struct resumable {
	struct pool *pool; /* where it continues; NULL once it has answered */
	/* On POOL's thread, with the request as copied for it: runs the phases from where it
	 * stopped. Returns the pool it must continue on next (s->pool), or NULL: answered into out,
	 * and s is freed. */
	struct pool *(*resume)(struct resumable *s, struct ngd_request *req, struct reply *out);
	/* Frees it unanswered: its pool refused it (busy) or is stopping. */
	void (*drop)(struct resumable *s);
};

#endif
