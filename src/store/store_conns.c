/* SPDX-License-Identifier: Apache-2.0 */
/* Live connections per user across the fleet: a sorted set per (hub, user) whose members are the
 * connections (hashed) and whose scores are when each stops being counted, kept by one script on
 * the server's clock. The local twin is negotiate/live_connections.c; both follow the same rules.
 */
#include "core/log.h"
#include "core/secret.h"
#include "store/store.h"
#include "store/store_own.h"
#include "store/store_reply.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* ARGV: op (connect | connected | disconnected), the connection, max, how long (ms) its place
 * holds. Answers {1, held} (admitted, or the event recorded) or {0, held} (connect refused: max
 * places are held). Expired places go first; the key expires with its last place. */
static const char conns_script[] =
	"local t = redis.call('TIME')\n"
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
	"local op, member = ARGV[1], ARGV[2]\n"
	"if op == 'disconnected' then\n"
	"  redis.call('ZREM', KEYS[1], member)\n"
	"  return {1, redis.call('ZCARD', KEYS[1])}\n"
	"end\n"
	"redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)\n"
	"local until_ms = now + tonumber(ARGV[4])\n"
	"local held = redis.call('ZSCORE', KEYS[1], member)\n"
	"if op == 'connect' then\n"
	"  local n = redis.call('ZCARD', KEYS[1])\n"
	"  if not held and n >= tonumber(ARGV[3]) then return {0, n} end\n"
	"  if held and tonumber(held) > until_ms then until_ms = tonumber(held) end\n"
	"end\n"
	"redis.call('ZADD', KEYS[1], until_ms, member)\n"
	"if redis.call('PTTL', KEYS[1]) < until_ms - now then\n"
	"  redis.call('PEXPIRE', KEYS[1], until_ms - now)\n"
	"end\n"
	"return {1, redis.call('ZCARD', KEYS[1])}\n";

static struct store_script script;
static pthread_once_t script_once = PTHREAD_ONCE_INIT;

static void script_init(void)
{
	store_script_init(&script, conns_script);
}

/* HEX: the first 128 bits of SHA-256 over TEXT, so that neither id is stored. */
static int hashed(const char *text, char hex[33])
{
	unsigned char digest[SHA256_LEN];
	if (sha256(text, strlen(text), digest) < 0)
		return -1;
	hex_encode(digest, 16, hex);
	return 0;
}

int store_conns_key(const char *prefix, const char *hub, const char *user, char *out, size_t cap)
{
	char hex[33];
	if (hashed(user, hex) < 0)
		return -1;
	int n = snprintf(out, cap, "negotiated:%s:conns:%s:%s", prefix, hub, hex);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static const char *const op_names[] = {"connect", "connected", "disconnected"};

enum store_result store_connections(struct store *st, enum store_conns_op op, const char *hub,
				    const char *user, const char *connection, unsigned max,
				    unsigned hold_s, unsigned *held)
{
	char key[320], member[33], max_text[16], hold_ms[24];
	pthread_once(&script_once, script_init);
	if (store_conns_key(store_prefix(st), hub, user, key, sizeof key) < 0 ||
	    hashed(connection, member) < 0)
		return STORE_FAILED;
	snprintf(max_text, sizeof max_text, "%u", max);
	snprintf(hold_ms, sizeof hold_ms, "%llu", (unsigned long long)hold_s * 1000u);
	const char *args[] = {op_names[op], member, max_text, hold_ms};
	redisReply *r = store_eval(st, &script, key, 4, args);
	if (!r)
		return STORE_FAILED;
	int answer = store_reply_conns(r, held);
	if (answer < 0) {
		char why[256];
		store_reply_error_text(r, "the connection count script", why, sizeof why);
		log_warning("[store] %s", why);
	}
	freeReplyObject(r);
	if (answer < 0)
		return STORE_FAILED;
	return answer ? STORE_PASSED : STORE_LIMITED;
}
