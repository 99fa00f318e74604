/* SPDX-License-Identifier: Apache-2.0 */
/* Bytes a Redis server may send to the revocation list's fleet sync (revoke/fleet.c): hiredis's
 * reply reader widened as the full-read connection is (arrays of up to FLEET_MAX_ELEMENTS), then
 * each reply read as a full read (version and HGETALL into a list) and as a subscriber's push. */
#include "fuzz.h"
#include "revoke/fleet_reply.h"
#include "revoke/revocations.h"
#include "store/store_reply.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

#define CHANNEL "negotiated:fuzz:revocations"

static void read_every_way(const redisReply *r)
{
	struct revocations *staged = revocations_new();
	char err[256];
	long long version = -2;
	if (!staged)
		abort();
	int rc = fleet_reply_snapshot(r, staged, 1700000000, &version, err, sizeof err);
	if (rc == 0 && (version < -1 || revocations_count(staged) > REVOKE_MAX_ENTRIES))
		abort();
	if (rc < 0 && !memchr(err, '\0', sizeof err))
		abort();
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
