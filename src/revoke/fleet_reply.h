/* SPDX-License-Identifier: Apache-2.0 */
/* The [store]'s answers about the revocation list, turned into the list: a full read (version and
 * HGETALL of the hash) and the pub/sub pushes of the subscriber. Every one checked for shape and
 * bounds (a server is outside input: tests/fuzz/fuzz_fleet_reply.c). */
#ifndef NGD_FLEET_REPLY_H
#define NGD_FLEET_REPLY_H

#include "revoke/revocations.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Arrays a full read may hold: a field and a value per entry, at most REVOKE_MAX_ENTRIES. */
#define FLEET_MAX_ELEMENTS (2 * REVOKE_MAX_ENTRIES)
#define FLEET_MAX_REPLY_BYTES (64u << 20) /* bytes of a full read: a larger hash is refused */

/* The field of an entry in the hash: "USER\nHUB" (a user id holds no control character).
 * 0, or -1 when CAP is too small. */
int fleet_field(const char *user, const char *hub, char *out, size_t cap);

/* An entry leaves the store only once it expired this long ago by our clock and by the server's:
 * an instance whose clock lags by less still holds it as expired (the JWT leeway's default). */
#define FLEET_PRUNE_MARGIN_S 60
#define FLEET_PRUNE_BATCH 1000 /* entries one prune script may remove: 2 to 4 ms of Redis 7.0 */

/* Whether an entry that expires at EXPIRES_AT (0: never) may leave the store at NOW. */
bool fleet_prune_due(time_t expires_at, time_t now);

/* The entries of a full read that may leave the store: where each one's field is in the HGETALL
 * array (its value follows it) and its expiry. The caller's; filled by fleet_reply_snapshot. */
struct fleet_prune {
	size_t n;    /* in due[] */
	size_t more; /* also due, past the batch: a later read takes them */
	struct {
		size_t field;
		time_t expires_at;
	} due[FLEET_PRUNE_BATCH];
};

/* The full read's reply {version or nil, {field, value, ...}} into STAGED (entries expired at NOW
 * dropped) and *version (-1: no version key, the store holds no list yet); PRUNE (may be NULL) gets
 * the entries fleet_prune_due at NOW. 0, or -1 with what is wrong in err (the pair's number, never
 * its text): then the whole read is refused. */
int fleet_reply_snapshot(const redisReply *r, struct revocations *staged, time_t now,
			 long long *version, struct fleet_prune *prune, char *err, size_t err_len);

enum fleet_push {
	FLEET_PUSH_MESSAGE,    /* {"message", CHANNEL, payload}: the list changed */
	FLEET_PUSH_SUBSCRIBED, /* {"subscribe", CHANNEL, count} */
	FLEET_PUSH_PONG,       /* {"pong", ""}: the answer to a PING while subscribed */
	FLEET_PUSH_OTHER       /* anything else: the connection is not trusted any more */
};
enum fleet_push fleet_reply_push(const redisReply *r, const char *channel);

#endif
