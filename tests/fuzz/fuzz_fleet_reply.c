/* SPDX-License-Identifier: Apache-2.0 */
/* Bytes a Redis server may send to the revocation list's fleet sync (revoke/fleet.c): hiredis's
 * reply reader widened as the full-read connection is (arrays of up to FLEET_MAX_ELEMENTS), then
 * each reply read as a full read (version and HGETALL into a list, and the entries it names for
 * removal from the store) and as a subscriber's push. */
#include "fuzz.h"
#include "revoke/fleet_reply.h"
#include "revoke/revocations.h"
#include "store/store_reply.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#define CHANNEL "negotiated:fuzz:revocations"

#define NOW 1700000000

static struct fleet_prune prune; /* 16 KB: not on the stack */

/* Each entry named for removal is a field of the reply's HGETALL, due at NOW; none after a refusal.
 */
static void check_prune(const redisReply *r, int rc)
{
	if (rc < 0 && (prune.n || prune.more))
		abort();
	if (prune.n > FLEET_PRUNE_BATCH || (prune.more && prune.n < FLEET_PRUNE_BATCH))
		abort();
	for (size_t i = 0; i < prune.n; i++) {
		size_t field = prune.due[i].field;
		if (field % 2 || field + 1 >= r->element[1]->elements ||
		    r->element[1]->element[field]->type != REDIS_REPLY_STRING ||
		    !fleet_prune_due(prune.due[i].expires_at, NOW))
			abort();
	}
}

static void read_every_way(const redisReply *r)
{
	struct revocations *staged = revocations_new();
	char err[256];
	long long version = -2;
	if (!staged)
		abort();
	prune.n = prune.more = 7; /* whatever was there before */
	int rc = fleet_reply_snapshot(r, staged, NOW, &version, &prune, err, sizeof err);
	if (rc == 0 && (version < -1 || revocations_count(staged) > REVOKE_MAX_ENTRIES))
		abort();
	if (rc < 0 && !memchr(err, '\0', sizeof err))
		abort();
	check_prune(r, rc);
	revocations_free(staged);
	enum fleet_push kind = fleet_reply_push(r, CHANNEL);
	if (kind < FLEET_PUSH_MESSAGE || kind > FLEET_PUSH_OTHER)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >
	    1u << 20) /* the daemon's bound is FLEET_MAX_REPLY_BYTES; this keeps runs quick */
		return 0;
	redisReader *reader = store_reader_new_max(FLEET_MAX_ELEMENTS);
	if (!reader)
		abort();
	if (redisReaderFeed(reader, (const char *)data, size) == REDIS_OK) {
		void *reply = NULL;
		for (int i = 0; i < 8 && redisReaderGetReply(reader, &reply) == REDIS_OK && reply;
		     i++) {
			read_every_way(reply);
			freeReplyObject(reply);
			reply = NULL;
		}
	}
	redisReaderFree(reader);
	return 0;
}
