/* SPDX-License-Identifier: Apache-2.0 */
/* Rate limits: SipHash against OpenSSL's, the rate syntax, and token-bucket arithmetic on an
 * injected clock (burst, refill, Retry-After rounding, separate keys, bounded eviction). */
#include "core/siphash.h"
#include "edge/ratelimit.h"
#include "tap.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdint.h>

#define SEC 1000000000ull

static uint64_t openssl_siphash(const unsigned char key[16], const unsigned char *data, size_t len)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	unsigned char out[8] = {0};
	size_t out_len = 0, size = 8;
	OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
			       OSSL_PARAM_construct_end()};
	if (ctx && EVP_MAC_init(ctx, key, 16, params))
		EVP_MAC_update(ctx, data, len), EVP_MAC_final(ctx, out, &out_len, sizeof out);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | out[i];
	return v;
}

static void siphash(void)
{
	unsigned char key[16], msg[64];
	for (int i = 0; i < 16; i++)
		key[i] = (unsigned char)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (unsigned char)i;
	ok(siphash24(key, msg, 15) == 0xa129ca6149be45e5ull, "SipHash-2-4: the paper's example");
	int same = 0;
	for (size_t len = 0; len <= 64; len++)
		same += siphash24(key, msg, len) == openssl_siphash(key, msg, len);
	ok(same == 65, "SipHash-2-4 equals OpenSSL's for lengths 0 to 64 (%d of 65)", same);
}

static void syntax(void)
{
	struct rate_spec r;
	char err[160];
	ok(rate_spec_parse("30/min burst 10", &r, err, sizeof err) == 0 && r.count == 30 &&
		   r.period_ns == 60 * SEC && r.burst == 10,
	   "30/min burst 10");
	ok(rate_spec_parse("120/minute", &r, err, sizeof err) == 0 && r.burst == 120,
	   "the burst defaults to the count");
	ok(rate_spec_parse("5/s", &r, err, sizeof err) == 0 && r.period_ns == SEC, "5/s");
	ok(rate_spec_parse("2/day burst 1", &r, err, sizeof err) == 0 && r.period_ns == 86400 * SEC,
	   "2/day");
	static const char *const bad[] = {"",
					  "30",
					  "30/",
					  "/min",
					  "x/min",
					  "30/min burst",
					  "30/min burst 0",
					  "30/min burst 10 more",
					  "30/min limit 3",
					  "1000001/s",
					  "-1/s",
					  "30/ms"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(rate_spec_parse(bad[i], &r, err, sizeof err) < 0, "'%s' is refused: %s", bad[i],
		   err);
}

static void buckets(void)
{
	struct rate_table *t = rate_table_new();
	struct rate_spec spec;
	char err[160];
	rate_spec_parse("30/min burst 10", &spec, err, sizeof err); /* one token every 2 s */
	uint64_t now = 1000 * SEC, alice = rate_key(t, "chat", "user", "keys", "alice");
	uint64_t bob = rate_key(t, "chat", "user", "keys", "bob");
	int passed = 0;
	for (int i = 0; i < 10; i++)
		passed += rate_take(t, alice, &spec, now) == 0;
	ok(passed == 10, "a full bucket lets the burst through at once (%d)", passed);
	ok(rate_take(t, alice, &spec, now) == 2, "the next waits one interval: Retry-After 2");
	ok(rate_take(t, bob, &spec, now) == 0, "another key has its own bucket");
	ok(rate_key(t, "chat", "user", "keys", "alice") !=
			   rate_key(t, "other", "user", "keys", "alice") &&
		   rate_key(t, "chat", "user", "keys", "alice") !=
			   rate_key(t, "chat", "address", "keys", "alice") &&
		   rate_key(t, "chat", "user", "ke", "ysalice") != alice,
	   "hub, kind and identity all make the key");
	ok(rate_take(t, alice, &spec, now + SEC / 2) == 2,
	   "Retry-After is rounded up (1.5 s -> 2)");
	ok(rate_take(t, alice, &spec, now + 2 * SEC - 1) == 1, "1 ns short still says 1");
	ok(rate_take(t, alice, &spec, now + 2 * SEC) == 0, "after one interval one token is back");
	ok(rate_take(t, alice, &spec, now + 2 * SEC) == 2, "and only one");
	passed = 0;
	for (int i = 0; i < 12; i++)
		passed += rate_take(t, alice, &spec, now + 100 * SEC) == 0;
	ok(passed == 10, "idle long enough, the bucket is full again, never fuller (%d)", passed);
	rate_table_free(t);
}

static void bounded(void)
{
	struct rate_table *t = rate_table_new();
	struct rate_spec spec;
	char err[160], id[32];
	rate_spec_parse("1/h burst 1", &spec, err, sizeof err);
	uint64_t now = 5 * SEC, first = rate_key(t, "h", "address", "victim", NULL);
	ok(rate_take(t, first, &spec, now) == 0 && rate_take(t, first, &spec, now) == 3600,
	   "1/h: the second waits 1 h");
	for (int i = 0; i < 4 * RATE_TABLE_ENTRIES; i++) {
		snprintf(id, sizeof id, "flood-%d", i);
		rate_take(t, rate_key(t, "h", "address", id, NULL), &spec, now + SEC);
	}
	/* the table holds RATE_TABLE_ENTRIES buckets at most: the oldest state made room */
	ok(rate_take(t, first, &spec, now + SEC) == 0,
	   "a flood of keys evicts, memory stays fixed");
	rate_table_free(t);
}

int main(void)
{
	siphash();
	syntax();
	buckets();
	bounded();
	return tap_done();
}
