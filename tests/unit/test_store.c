/* SPDX-License-Identifier: Apache-2.0 */
/* [store]: the url grammar (accepted forms and each refusal's reason, sentinel lists too), the
 * reply readers on replies hiredis's own reader builds from wire bytes (a sentinel's and ROLE's
 * among them), and the fleet-wide key's shape. */
#include "store/store.h"
#include "store/store_reply.h"
#include "store/store_url.h"
#include "tap.h"

#include <hiredis/hiredis.h>
#include <string.h>

static void url_good(void)
{
	struct store_url u;
	char err[256] = "";
	ok(store_url_parse("redis://127.0.0.1:6380/2", &u, err, sizeof err) == 0 &&
		   u.transport == STORE_TCP && strcmp(u.host, "127.0.0.1") == 0 && u.port == 6380 &&
		   u.db == 2,
	   "redis://HOST:PORT/DB");
	ok(store_url_parse("redis://cache.internal", &u, err, sizeof err) == 0 && u.port == 6379 &&
		   u.db == 0 && strcmp(u.host, "cache.internal") == 0,
	   "port 6379 and database 0 by default");
	ok(store_url_parse("rediss://x.redis.cache.windows.net:6380/0", &u, err, sizeof err) == 0 &&
		   u.transport == STORE_TLS && u.port == 6380,
	   "rediss:// is TLS (Azure Cache for Redis on 6380)");
	ok(store_url_parse("redis://[::1]:7000/", &u, err, sizeof err) == 0 &&
		   strcmp(u.host, "::1") == 0 && u.port == 7000 && u.db == 0,
	   "an IPv6 literal in brackets, an empty database");
	ok(store_url_parse("unix:/run/redis/redis.sock", &u, err, sizeof err) == 0 &&
		   u.transport == STORE_UNIX && strcmp(u.path, "/run/redis/redis.sock") == 0,
	   "unix:PATH");
	ok(store_url_parse("unix:/run/redis.sock?db=7", &u, err, sizeof err) == 0 && u.db == 7,
	   "unix:PATH?db=N");
}

static void url_sentinel(void)
{
	struct store_url u;
	char err[256] = "";
	ok(store_url_parse("redis-sentinel://s1,s2:26380,[::1]:7/3#mymaster", &u, err,
			   sizeof err) == 0 &&
		   u.transport == STORE_TCP && u.n_sentinels == 3 &&
		   strcmp(u.sentinels[0].host, "s1") == 0 && u.sentinels[0].port == 26379 &&
		   strcmp(u.sentinels[1].host, "s2") == 0 && u.sentinels[1].port == 26380 &&
		   strcmp(u.sentinels[2].host, "::1") == 0 && u.sentinels[2].port == 7 &&
		   u.db == 3 && strcmp(u.master, "mymaster") == 0 && !u.host[0],
	   "redis-sentinel://HOST,HOST:PORT,[IPV6]:PORT/DB#MASTER (%s)", err);
	ok(store_url_parse("rediss-sentinel://10.0.0.1#m-1.a_b", &u, err, sizeof err) == 0 &&
		   u.transport == STORE_TLS && u.n_sentinels == 1 && u.db == 0 &&
		   strcmp(u.master, "m-1.a_b") == 0,
	   "rediss-sentinel:// is TLS; database 0 by default");
	ok(store_url_parse("redis-sentinel://a,b,c,d,e,f,g,h#m", &u, err, sizeof err) == 0 &&
		   u.n_sentinels == STORE_SENTINELS_MAX,
	   "%d sentinels", STORE_SENTINELS_MAX);
	ok(store_url_parse("redis://h:1", &u, err, sizeof err) == 0 && u.n_sentinels == 0,
	   "redis:// has no sentinels");
	static const struct {
		const char *url, *reason;
	} bad[] = {
		{"redis-sentinel://a", "ends with #MASTER"},
		{"redis-sentinel://a#", "ends with #MASTER"},
		{"redis-sentinel://a#m y", "ends with #MASTER"},
		{"redis-sentinel://a/1#", "ends with #MASTER"},
		{"redis-sentinel://#m", "sentinel 1 of the list"},
		{"redis-sentinel:///2#m", "sentinel 1 of the list"},
		{"redis-sentinel://a,#m", "sentinel 2 of the list"},
		{"redis-sentinel://a,b:0#m", "sentinel 2 of the list"},
		{"redis-sentinel://a:65536#m", "sentinel 1 of the list"},
		{"redis-sentinel://a:#m", "sentinel 1 of the list"},
		{"redis-sentinel://a:1:2#m", "sentinel 1 of the list"},
		{"redis-sentinel://[::1#m", "sentinel 1 of the list"},
		{"redis-sentinel://[::1]x#m", "sentinel 1 of the list"},
		{"redis-sentinel://a,b,c,d,e,f,g,h,i#m", "at most 8 sentinels"},
		{"redis-sentinel://a/x#m", "the database"},
		{"redis-sentinel://a/65536#m", "the database"},
		{"redis-sentinel://u:secret@a#m", "may not hold a user or password"},
		{"redis-sentinel://a#m@secret", "may not hold a user or password"},
		{"sentinel://a#m", "must start with"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char why[256] = "";
		int rc = store_url_parse(bad[i].url, &u, why, sizeof why);
		ok(rc < 0 && strstr(why, bad[i].reason) && !strstr(why, "secret"),
		   "'%.40s' is refused: %s", bad[i].url, why);
	}
}

static void url_bad(void)
{
	static const struct {
		const char *url, *reason;
	} bad[] = {
		{"http://127.0.0.1", "must start with"},
		{"redis://user:secret@127.0.0.1", "may not hold a user or password"},
		{"redis://:secret@host", "may not hold a user or password"},
		{"redis://", "the host must be"},
		{"redis://ho st", "the host must be"},
		{"redis://[::1]x", "expected :PORT"},
		{"redis://host:0", "the port must be"},
		{"redis://host:65536", "the port must be"},
		{"redis://host:12x", "the port must be"},
		{"redis://host:", "the port must be"},
		{"redis://host/65536", "the database"},
		{"redis://host/x", "the database"},
		{"redis://[::1", "the host must be"},
		{"redis://[zz]", "the host must be"},
		{"unix:relative.sock", "absolute path"},
		{"unix:/a?db=x", "?db=N"},
		{"unix:/a?foo=1", "?db=N"},
		{"unix:/"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		 "absolute path"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct store_url u;
		char err[256] = "";
		int rc = store_url_parse(bad[i].url, &u, err, sizeof err);
		ok(rc < 0 && strstr(err, bad[i].reason) && !strstr(err, "secret"),
		   "'%.40s' is refused: %s", bad[i].url, err);
	}
}

/* The first reply hiredis's reader makes of WIRE (NULL if incomplete or invalid). */
static redisReply *reply_of(const char *wire)
{
	redisReader *r = store_reader_new();
	void *reply = NULL;
	if (redisReaderFeed(r, wire, strlen(wire)) != REDIS_OK ||
	    redisReaderGetReply(r, &reply) != REDIS_OK)
		reply = NULL;
	redisReaderFree(r);
	return reply;
}

static void replies(void)
{
	static const struct {
		const char *wire;
		long want;
	} rate[] = {
		{"*2\r\n:0\r\n:0\r\n", 0},
		{"*2\r\n:1\r\n:7\r\n", 7},
		{"*2\r\n:1\r\n:0\r\n", -1},
		{"*2\r\n:1\r\n:61\r\n", -1},
		{"*2\r\n:2\r\n:1\r\n", -1},
		{"*1\r\n:0\r\n", -1},
		{"*2\r\n$1\r\n0\r\n:0\r\n", -1},
		{"-ERR boom\r\n", -1},
		{":0\r\n", -1},
		{"*-1\r\n", -1},
	};
	for (size_t i = 0; i < sizeof rate / sizeof rate[0]; i++) {
		redisReply *r = reply_of(rate[i].wire);
		ok(r && store_reply_rate(r, 60) == rate[i].want, "rate reply %zu reads as %ld", i,
		   rate[i].want);
		if (r)
			freeReplyObject(r);
	}
	static const struct {
		const char *wire;
		int want;
		unsigned held;
	} conns[] = {
		{"*2\r\n:1\r\n:3\r\n", 1, 3},		{"*2\r\n:0\r\n:5\r\n", 0, 5},
		{"*2\r\n:2\r\n:5\r\n", -1, 0},		{"*2\r\n:1\r\n:-1\r\n", -1, 0},
		{"*2\r\n:1\r\n:4294967296\r\n", -1, 0}, {"*1\r\n:1\r\n", -1, 0},
		{"*2\r\n$1\r\n1\r\n:1\r\n", -1, 0},	{"-ERR boom\r\n", -1, 0},
	};
	for (size_t i = 0; i < sizeof conns / sizeof conns[0]; i++) {
		redisReply *r = reply_of(conns[i].wire);
		unsigned held = 0;
		int got = r ? store_reply_conns(r, &held) : -2;
		ok(got == conns[i].want && (got < 0 || held == conns[i].held),
		   "connection count reply %zu reads as %d (held %u)", i, conns[i].want,
		   conns[i].held);
		if (r)
			freeReplyObject(r);
	}
	char out[8], err[128];
	size_t len = 0;
	redisReply *r = reply_of("$5\r\nhello\r\n");
	ok(store_reply_value(r, out, sizeof out, &len) == 1 && len == 5 && !strcmp(out, "hello"),
	   "a bulk string is copied");
	freeReplyObject(r);
	r = reply_of("$8\r\n12345678\r\n");
	ok(store_reply_value(r, out, sizeof out, &len) == -1,
	   "one longer than the buffer is refused");
	freeReplyObject(r);
	r = reply_of("$-1\r\n");
	ok(store_reply_value(r, out, sizeof out, &len) == 0, "nil is absent");
	freeReplyObject(r);
	r = reply_of("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
	store_reply_error_text(r, "AUTH", err, sizeof err);
	ok(!store_reply_is_ok(r) && store_reply_is_auth_error_text(err) &&
		   strstr(err, "AUTH refused: WRONGPASS"),
	   "WRONGPASS is a refused login: %s", err);
	freeReplyObject(r);
	r = reply_of("-NOSCRIPT No matching script.\r\n");
	ok(store_reply_is_noscript(r), "NOSCRIPT is recognised");
	freeReplyObject(r);
	ok(reply_of("*17\r\n") == NULL && reply_of("*4444444400\r\n") == NULL,
	   "an array header of more than %d elements fails the stream before any allocation",
	   STORE_REPLY_MAX_ELEMENTS);
	r = reply_of(
		"*16\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:1\r\n:"
		"1\r\n:1\r\n:1\r\n:1\r\n");
	ok(r && r->elements == 16, "an array of %d is read", STORE_REPLY_MAX_ELEMENTS);
	freeReplyObject(r);
	r = reply_of("+OK\r\n");
	ok(store_reply_is_ok(r) && !store_reply_is_noscript(r), "+OK");
	freeReplyObject(r);
}

static void sentinel_replies(void)
{
	static const struct {
		const char *wire;
		int want;
		const char *host;
		unsigned port;
	} addr[] = {
		{"*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n", 1, "127.0.0.1", 6380},
		{"*2\r\n$3\r\n::1\r\n$5\r\n65535\r\n", 1, "::1", 65535},
		{"*2\r\n$13\r\nredis-1.local\r\n$1\r\n1\r\n", 1, "redis-1.local", 1},
		{"*-1\r\n", 0, "", 0},
		{"$-1\r\n", 0, "", 0},
		{"*2\r\n$9\r\n127.0.0.1\r\n$1\r\n0\r\n", -1, "", 0},
		{"*2\r\n$9\r\n127.0.0.1\r\n$5\r\n65536\r\n", -1, "", 0},
		{"*2\r\n$9\r\n127.0.0.1\r\n$6\r\n006380\r\n", -1, "", 0},
		{"*2\r\n$9\r\n127.0.0.1\r\n:6380\r\n", -1, "", 0},
		{"*2\r\n$0\r\n\r\n$4\r\n6380\r\n", -1, "", 0},
		{"*2\r\n$5\r\na b c\r\n$4\r\n6380\r\n", -1, "", 0},
		{"*2\r\n$5\r\n-oops\r\n$4\r\n6380\r\n", -1, "", 0},
		{"*3\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\n1\r\n", -1, "", 0},
		{"*1\r\n$1\r\na\r\n", -1, "", 0},
		{"-NOPERM no\r\n", -1, "", 0},
	};
	for (size_t i = 0; i < sizeof addr / sizeof addr[0]; i++) {
		redisReply *r = reply_of(addr[i].wire);
		char host[STORE_HOST_MAX] = "";
		unsigned port = 0;
		int got = r ? store_reply_master_addr(r, host, sizeof host, &port) : -2;
		ok(got == addr[i].want &&
			   (got != 1 || (strcmp(host, addr[i].host) == 0 && port == addr[i].port)),
		   "sentinel reply %zu reads as %d (%s:%u)", i, addr[i].want, addr[i].host,
		   addr[i].port);
		if (r)
			freeReplyObject(r);
	}
	redisReply *r = reply_of("*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n");
	char tiny[9];
	unsigned port = 0;
	ok(store_reply_master_addr(r, tiny, sizeof tiny, &port) == -1,
	   "a host longer than its buffer is refused");
	freeReplyObject(r);
	static const struct {
		const char *wire;
		enum store_role want;
	} roles[] = {
		{"*3\r\n$6\r\nmaster\r\n:10\r\n*0\r\n", STORE_ROLE_MASTER},
		{"*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:6379\r\n$9\r\nconnected\r\n:1\r\n",
		 STORE_ROLE_REPLICA},
		{"*2\r\n$8\r\nsentinel\r\n*0\r\n", STORE_ROLE_SENTINEL},
		{"*1\r\n$7\r\nmasters\r\n", STORE_ROLE_UNKNOWN},
		{"*1\r\n$5\r\nmaste\r\n", STORE_ROLE_UNKNOWN},
		{"*0\r\n", STORE_ROLE_UNKNOWN},
		{"*1\r\n:1\r\n", STORE_ROLE_UNKNOWN},
		{"$6\r\nmaster\r\n", STORE_ROLE_UNKNOWN},
		{"-NOPERM this user has no permissions to run the 'role' command\r\n",
		 STORE_ROLE_UNKNOWN},
	};
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
		r = reply_of(roles[i].wire);
		ok(r && store_reply_role(r) == roles[i].want, "ROLE reply %zu reads as %d", i,
		   roles[i].want);
		if (r)
			freeReplyObject(r);
	}
	r = reply_of("-READONLY You can't write against a read only replica.\r\n");
	ok(store_reply_is_readonly(r), "READONLY is recognised");
	freeReplyObject(r);
	r = reply_of("-ERR READONLY\r\n");
	ok(!store_reply_is_readonly(r), "only as the error's code");
	freeReplyObject(r);
}

static void keys(void)
{
	char a[256], b[256], c[256];
	ok(store_rate_key("fleet", "chat", "user", "keys", "alice", a, sizeof a) == 0 &&
		   strncmp(a, "negotiated:fleet:rate:chat:user:", 32) == 0 &&
		   strlen(a) == 32 + 32 && !strstr(a, "alice"),
	   "negotiated:PREFIX:rate:HUB:KIND:HASH, the identity hashed: %s", a);
	store_rate_key("fleet", "chat", "user", "keysa", "lice", b, sizeof b);
	store_rate_key("fleet", "chat", "user", "keys", "alice", c, sizeof c);
	ok(strcmp(a, b) != 0 && strcmp(a, c) == 0,
	   "the parts are kept apart; the same parts, the same key");
	ok(store_rate_key("fleet", "chat", "user", "keys", "alice", a, 20) < 0,
	   "a key longer than its buffer is refused");
	ok(store_conns_key("fleet", "chat", "alice", a, sizeof a) == 0 &&
		   strncmp(a, "negotiated:fleet:conns:chat:", 28) == 0 && strlen(a) == 28 + 32 &&
		   !strstr(a, "alice"),
	   "negotiated:PREFIX:conns:HUB:HASH, the user hashed: %s", a);
	ok(store_conns_key("fleet", "chat", "alice", a, 40) < 0,
	   "too long for its buffer: refused");
}

int main(void)
{
	url_good();
	url_bad();
	url_sentinel();
	replies();
	sentinel_replies();
	keys();
	return tap_done();
}
