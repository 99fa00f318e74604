/* SPDX-License-Identifier: Apache-2.0 */
/* A revocation's effect on the service: closeUserConnections (and, where configured,
 * removeUserFromAllGroups) on each hub it applies to, when the operator asked (--close) or the
 * hub says close_on_revoke = yes. The calls run on a pool of their own, never on the admin or an
 * HTTP thread, with retries: up to 4 attempts, after 0.5 s, 1 s and 2 s; 429, 5xx and transport
 * errors retry, another 4xx does not. Each attempt is a log line and a metric
 * (negotiated_revoke_close_total). The pool is process-wide, not a runtime's: a reload must not
 * free it under a call sleeping between attempts; each call holds a reference to the runtime it
 * started with. */
#ifndef NGD_CLOSE_USER_H
#define NGD_CLOSE_USER_H

#include "revoke/revocations.h"

#include <stdbool.h>

/* Starts the pool (threads on demand; libcurl is loaded at the first close, not here): 0, or -1
 * when out of memory. Once, at start-up. */
int close_user_start(void);
/* Wakes calls sleeping between attempts, lets running ones end, joins; at shutdown. */
void close_user_stop(void);

/* The revocation observer (revocations_observe; ctx unused). On the thread that set the
 * revocation: queues one job per hub it applies to, and returns at once. */
void close_user_observe(void *ctx, const struct revocation *entry, bool lifted, bool close);

/* How many hubs ENTRY with CLOSE would close the user's connections on, in the current
 * configuration (for the operator's answer). */
unsigned close_user_hubs(const struct revocation *entry, bool close);

#endif
