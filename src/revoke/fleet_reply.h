/* SPDX-License-Identifier: Apache-2.0 */
/* The [store]'s answers about the revocation list, turned into the list: a full read (version and
 * HGETALL of the hash) and the pub/sub pushes of the subscriber. Every one checked for shape and
 * bounds (a server is outside input: tests/fuzz/fuzz_fleet_reply.c). */
#ifndef NGD_FLEET_REPLY_H
#define NGD_FLEET_REPLY_H

#include "revoke/revocations.h"

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <time.h>

/* Arrays a full read may hold: a field and a value per entry, at most REVOKE_MAX_ENTRIES. */
#define FLEET_MAX_ELEMENTS (2 * REVOKE_MAX_ENTRIES)
#define FLEET_MAX_REPLY_BYTES (64u << 20) /* bytes of a full read: a larger hash is refused */

/* The field of an entry in the hash: "USER\nHUB" (a user id holds no control character).
 * 0, or -1 when CAP is too small. */
int fleet_field(const char *user, const char *hub, char *out, size_t cap);

/* The full read's reply {version or nil, {field, value, ...}} into STAGED (entries expired at NOW
 * dropped) and *version (-1: no version key, the store holds no list yet). 0, or -1 with what is
 * wrong in err (the pair's number, never its text): then the whole read is refused. */
int fleet_reply_snapshot(const redisReply *r, struct revocations *staged, time_t now,
			 long long *version, char *err, size_t err_len);

enum fleet_push {
	FLEET_PUSH_MESSAGE,    /* {"message", CHANNEL, payload}: the list changed */
	FLEET_PUSH_SUBSCRIBED, /* {"subscribe", CHANNEL, count} */
	FLEET_PUSH_PONG,       /* {"pong", ""}: the answer to a PING while subscribed */
	FLEET_PUSH_OTHER       /* anything else: the connection is not trusted any more */
};
enum fleet_push fleet_reply_push(const redisReply *r, const char *channel);

#endif
