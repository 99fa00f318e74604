/* SPDX-License-Identifier: Apache-2.0 */
/* The per-hub chain (nginx's access phase), one authenticator at a time. */
#ifndef NGD_AUTH_CHAIN_H
#define NGD_AUTH_CHAIN_H

#include "auth/outcome.h"
#include "auth/registry.h"
#include "core/pool.h"

#include <stddef.h>

/* Runs the chain from chain[*at] on, one authenticator at a time, on the thread of pool HERE (NULL:
 * an HTTP thread). OK: out->principal is set. DENY: out->deny_* say what to answer. Nothing
 * accepting is DENY 401 "unauthenticated". ERROR: fail closed, unless *wait is set: the
 * authenticator at *at must block on its pool, which is not HERE; run the chain again from *at on
 * that pool's thread (what came before it is not run again). */
enum ngd_auth_result auth_chain_run(struct auth_instance *const *chain, size_t n, size_t *at,
				    const struct pool *here, const struct ngd_request *req,
				    struct ngd_outcome *out, struct pool **wait);

#endif
