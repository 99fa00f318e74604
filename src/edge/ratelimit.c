/* SPDX-License-Identifier: Apache-2.0 */
/* Token buckets as the generic cell rate algorithm: each bucket is the time at which it would be
 * full again (tat). A request passes when tat - now <= (burst - 1) * interval, and then moves tat
 * on by one interval. A bucket with tat <= now is full, the same as no bucket: free to reuse.
 * The table is set-associative (8 ways) with a lock per shard, so memory is fixed and a lookup
 * touches one cache line pair. */
#include "edge/ratelimit.h"

#include "core/decimal.h"
#include "core/secret.h"
#include "core/siphash.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS 64
#define WAYS 8
#define SETS_PER_SHARD (RATE_TABLE_ENTRIES / SHARDS / WAYS)

struct bucket {
	uint64_t key; /* 0: empty */
	uint64_t tat_ns;
};

struct shard {
	pthread_mutex_t lock;
	struct bucket sets[SETS_PER_SHARD][WAYS];
} __attribute__((aligned(64)));

struct rate_table {
	unsigned char seed[16];
	struct shard shards[SHARDS];
};

static const struct {
	const char *name;
	uint64_t seconds;
} units[] = {{"s", 1},	  {"sec", 1},	  {"second", 1}, {"min", 60},	{"minute", 60},
	     {"h", 3600}, {"hour", 3600}, {"d", 86400},	 {"day", 86400}};

static int parse_unit(const char *word, uint64_t *seconds)
{
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(word, units[i].name) == 0) {
			*seconds = units[i].seconds;
			return 0;
		}
	return -1;
}

int rate_spec_parse(const char *text, struct rate_spec *out, char *err, size_t err_len)
{
	char copy[80], *save = NULL;
	uint64_t seconds;
	*out = (struct rate_spec){0};
	if (strlen(text) >= sizeof copy) {
		snprintf(err, err_len,
			 "too long; write COUNT/UNIT [burst N], e.g. 30/min burst 10");
		return -1;
	}
	strcpy(copy, text);
	char *rate = strtok_r(copy, " \t", &save), *word = strtok_r(NULL, " \t", &save);
	char *burst = strtok_r(NULL, " \t", &save), *extra = strtok_r(NULL, " \t", &save);
	char *slash = rate ? strchr(rate, '/') : NULL;
	if (!slash || extra || (word && (strcmp(word, "burst") != 0 || !burst))) {
		snprintf(err, err_len, "'%.60s' is not COUNT/UNIT [burst N], e.g. 30/min burst 10",
			 text);
		return -1;
	}
	*slash = '\0';
	if (decimal_parse(rate, 1, RATE_MAX_COUNT, &out->count) < 0) {
		snprintf(err, err_len, "the count must be a whole number from 1 to %d",
			 RATE_MAX_COUNT);
		return -1;
	}
	if (parse_unit(slash + 1, &seconds) < 0) {
		snprintf(err, err_len, "'%.20s' is not a unit (s, min, h, day)", slash + 1);
		return -1;
	}
	out->period_ns = seconds * 1000000000ull;
	out->burst = out->count < RATE_MAX_BURST ? out->count : RATE_MAX_BURST;
	if (burst && decimal_parse(burst, 1, RATE_MAX_BURST, &out->burst) < 0) {
		snprintf(err, err_len, "burst must be a whole number from 1 to %d", RATE_MAX_BURST);
		return -1;
	}
	return 0;
}

struct rate_table *rate_table_new(void)
{
	struct rate_table *t = aligned_alloc(64, sizeof *t);
	if (!t)
		return NULL;
	memset(t, 0, sizeof *t);
	if (random_bytes(t->seed, sizeof t->seed) < 0) {
		free(t);
		return NULL;
	}
	for (int i = 0; i < SHARDS; i++)
		pthread_mutex_init(&t->shards[i].lock, NULL);
	return t;
}

void rate_table_free(struct rate_table *t)
{
	if (!t)
		return;
	for (int i = 0; i < SHARDS; i++)
		pthread_mutex_destroy(&t->shards[i].lock);
	free(t);
}

uint64_t rate_key(const struct rate_table *t, const char *hub, const char *kind, const char *id1,
		  const char *id2)
{
	char text[1024];
	int n = snprintf(text, sizeof text, "%s%c%s%c%s%c%s", hub, 0, kind, 0, id1, 0,
			 id2 ? id2 : "");
	size_t len = n < 0 ? 0 : (size_t)n;
	if (len >= sizeof text)
		len = sizeof text - 1; /* snprintf cut it there */
	uint64_t key = siphash24(t->seed, text, len);
	return key ? key : 1; /* 0 marks an empty bucket */
}

/* The bucket for key in its set; a new key takes the fullest one (empty and full ones first:
 * their tat is lowest), which loses the least when every way is in use. */
static struct bucket *find(struct bucket *set, uint64_t key, uint64_t now_ns)
{
	struct bucket *fullest = &set[0];
	for (int w = 0; w < WAYS; w++) {
		if (set[w].key == key)
			return &set[w];
		if (set[w].tat_ns < fullest->tat_ns)
			fullest = &set[w];
	}
	*fullest = (struct bucket){key, now_ns};
	return fullest;
}

unsigned rate_take(struct rate_table *t, uint64_t key, const struct rate_spec *spec,
		   uint64_t now_ns)
{
	uint64_t interval = spec->period_ns / spec->count, tolerance = interval * (spec->burst - 1);
	struct shard *s = &t->shards[key % SHARDS];
	unsigned wait = 0;
	pthread_mutex_lock(&s->lock);
	struct bucket *b = find(s->sets[(key / SHARDS) % SETS_PER_SHARD], key, now_ns);
	uint64_t tat = b->tat_ns > now_ns ? b->tat_ns : now_ns;
	if (tat - now_ns <= tolerance)
		b->tat_ns = tat + interval;
	else
		wait = (unsigned)((tat - tolerance - now_ns + 999999999u) / 1000000000u);
	pthread_mutex_unlock(&s->lock);
	return wait;
}
