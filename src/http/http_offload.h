/* SPDX-License-Identifier: Apache-2.0 */
/* The slow path of http.c: a request whose handler must wait is suspended and continues, at the
 * phase it stopped at, on the thread of the pool it named (edge/resume.h); a failed attempt is
 * suspended and answered after [server] auth_failure_delay. The HTTP threads never wait: they only
 * suspend, and MHD resumes the connection when the answer is ready. */
#ifndef NGD_HTTP_OFFLOAD_H
#define NGD_HTTP_OFFLOAD_H

#include "config/config.h"
#include "edge/reply.h"
#include "edge/request.h"
#include "edge/resume.h"
#include "runtime/runtime.h"

#include <microhttpd.h>
#include <stdbool.h>

struct offload;
struct deferred; /* one suspended request; owned by http.c's per-request state */

/* The delay timer from [server]; the pools are the authenticators' and services' own. NULL on
 * failure (logged). */
struct offload *offload_start(const struct config_server *cfg);
/* Waits until every request handed to a worker has finished or been answered (503) and resumed,
 * and fires the delayed ones; call before MHD_stop_daemon. */
void offload_stop(struct offload *o);
/* Frees what offload_stop left; call after MHD_stop_daemon, when no callback can run any more. */
void offload_free(struct offload *o);

/* Whether the request must leave the HTTP thread: its handler waits on a pool, or a failed
 * attempt is to be delayed. Cheap, for the hot path. */
static inline bool offload_wanted(const struct reply *r, const struct resumable *wait,
				  unsigned delay_ms)
{
	return wait || (r->auth_failed && delay_ms);
}

/* Suspends conn and arranges for it to be resumed with the answer in (*slot)'s reply: with WAIT,
 * the handler continues on WAIT's pool (d owns WAIT until it answers); else r (its body taken) is
 * answered after the delay. 0: suspended, *slot set (free it with deferred_free). -1: not
 * suspended, r holds the answer to give now (503 when memory ran out; WAIT dropped). Called only
 * from the access handler. */
int offload(struct offload *o, const struct runtime *rt, struct MHD_Connection *conn,
	    const struct ngd_request *req, struct reply *r, struct resumable *wait,
	    struct deferred **slot) __attribute__((warn_unused_result));

/* After the resume: the answer, and the request it answers (NULL when only the reply was kept). */
struct reply *deferred_reply(struct deferred *d);
const struct ngd_request *deferred_request(const struct deferred *d);
void deferred_free(struct deferred *d); /* wipes the copied headers: they may carry credentials */

#endif
