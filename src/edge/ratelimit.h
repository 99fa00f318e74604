/* SPDX-License-Identifier: Apache-2.0 */
/* Rate limits: token buckets (as GCRA, one timestamp each) in a bounded, sharded table.
 * Per instance: replicas behind one nginx each count on their own. */
#ifndef NGD_RATELIMIT_H
#define NGD_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "COUNT/UNIT [burst N]": COUNT requests per UNIT refill the bucket, which holds N (default COUNT).
 */
struct rate_spec {
	unsigned count; /* 0: no limit */
	uint64_t period_ns;
	unsigned burst;
};

#define RATE_MAX_COUNT 1000000
#define RATE_MAX_BURST 100000

/* Parses "30/min burst 10" (units s, second, min, minute, h, hour, day). 0, or -1 with a reason. */
int rate_spec_parse(const char *text, struct rate_spec *out, char *err, size_t err_len);

struct rate_table;

/* A table of at most RATE_TABLE_ENTRIES buckets (512 KiB); NULL when out of memory. */
#define RATE_TABLE_ENTRIES 32768
struct rate_table *rate_table_new(void);
void rate_table_free(struct rate_table *t);

/* The bucket of these NUL-separated parts (hub, kind, identity): the table's keyed hash. */
uint64_t rate_key(const struct rate_table *t, const char *hub, const char *kind, const char *id1,
		  const char *id2);

/* Takes one token from the bucket of key at time now_ns. Returns 0 when the request may pass,
 * else the whole seconds (at least 1) until it would. A full set evicts its fullest bucket. */
unsigned rate_take(struct rate_table *t, uint64_t key, const struct rate_spec *spec,
		   uint64_t now_ns);

#endif
