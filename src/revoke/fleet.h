/* SPDX-License-Identifier: Apache-2.0 */
/* The revocation list across a fleet ([store], docs/several-instances.md): the list lives in one
 * Redis hash, negotiated:PREFIX:revocations (field "USER\nHUB", value the entry's JSON line as the
 * state file holds it) with a version counter beside it; a change is written there first (one
 * script: HSET or HDEL, INCR, PUBLISH on the channel of the hash's name), then made locally. A
 * thread of its own holds a subscriber connection and, on each message, on (re)connect and every
 * 10 s, reads the whole hash into the local list, so the hot path never waits on the store; an
 * entry such a read finds expired more than FLEET_PRUNE_MARGIN_S ago leaves the hash (one script,
 * only if unchanged since the read). One per runtime with a [store] (owned by it); the list is the
 * process's. */
#ifndef NGD_FLEET_H
#define NGD_FLEET_H

#include "revoke/revocations.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLEET_READ_EVERY_MS 10000 /* the safety net's full read */
#define FLEET_STALE_DOWN_MS 2000  /* subscriber disconnected longer than this: stale */
#define FLEET_STALE_READ_MS (3 * FLEET_READ_EVERY_MS) /* no full read for this long: stale */

struct revoke_fleet;

/* Starts the sync of LIST through ST (neither owned; both outlive it) and makes the store the
 * list's home for changes. NULL with why in err (out of memory, no thread). */
struct revoke_fleet *revoke_fleet_start(struct store *st, struct revocations *list, char *err,
					size_t err_len) __attribute__((warn_unused_result));
void revoke_fleet_stop(struct revoke_fleet *f); /* NULL is fine */

/* The local copy follows the store: the subscriber is connected (or lost it less than
 * FLEET_STALE_DOWN_MS ago) and a full read succeeded less than FLEET_STALE_READ_MS ago. */
bool revoke_fleet_fresh(const struct revoke_fleet *f);
/* Not fresh and [store] revocations_on_failure = closed: /negotiate answers 503, /readyz too. */
bool revoke_fleet_blocks(const struct revoke_fleet *f);

/* Expired entries this process removed from the store (fleet_reply.h's FLEET_PRUNE_MARGIN_S after
 * their expiry, at a full read), over every runtime: for /metrics. */
uint64_t revoke_fleet_pruned_total(void);

#endif
