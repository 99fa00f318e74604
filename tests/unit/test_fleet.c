/* SPDX-License-Identifier: Apache-2.0 */
/* The revocation list across a fleet, without a server: the store's replies read into a list
 * (revoke/fleet_reply.c) and the entries they name for removal, the list's writer hook (a refused
 * write changes nothing here) and revocations_refresh (replace, unchanged detection). */
#include "revoke/fleet_reply.h"
#include "revoke/revocations.h"
#include "store/store_reply.h"
#include "tap.h"

#include <stdlib.h>

#define CHANNEL "negotiated:t:revocations"
#define NOW 1700000000

static const char alice[] = "{\"user\":\"alice\",\"hub\":\"\",\"reason\":\"r\",\"by\":\"uid 0\","
			    "\"set_at\":1700000000,\"expires_at\":0,\"issued_before\":0}";
static const char bob[] = "{\"user\":\"bob\",\"hub\":\"chat\",\"reason\":\"\",\"by\":\"api\","
			  "\"set_at\":1700000000,\"expires_at\":1600000100,\"issued_before\":0}";

/* The reply of TEXT (one whole RESP reply), or NULL. */
static redisReply *parse(const char *text, size_t len)
{
	redisReader *reader = store_reader_new_max(FLEET_MAX_ELEMENTS);
	void *reply = NULL;
	if (redisReaderFeed(reader, text, len) != REDIS_OK ||
	    redisReaderGetReply(reader, &reply) != REDIS_OK)
		reply = NULL;
	redisReaderFree(reader);
	return reply;
}

/* The reader fails the stream at TEXT (not merely waits for more). */
static bool reader_refuses(const char *text)
{
	redisReader *reader = store_reader_new_max(FLEET_MAX_ELEMENTS);
	void *reply = NULL;
	bool refused = redisReaderFeed(reader, text, strlen(text)) != REDIS_OK ||
		       redisReaderGetReply(reader, &reply) != REDIS_OK;
	if (reply)
		freeReplyObject(reply);
	redisReaderFree(reader);
	return refused;
}

/* {version, {field, value, ...}} in RESP, for up to two entries. */
static redisReply *snapshot(const char *version, const char *f1, const char *v1, const char *f2,
			    const char *v2)
{
	char text[4096];
	int n = snprintf(text, sizeof text, "*2\r\n%s*%d\r\n", version, f2 ? 4 : f1 ? 2 : 0);
	const char *parts[] = {f1, v1, f2, v2};
	for (int i = 0; i < 4 && parts[i]; i++)
		n += snprintf(text + n, sizeof text - (size_t)n, "$%zu\r\n%s\r\n", strlen(parts[i]),
			      parts[i]);
	return parse(text, (size_t)n);
}

static struct fleet_prune prune; /* 16 KB: not on the stack */

static int read_into(redisReply *r, struct revocations *list, long long *version, char *err)
{
	int rc = fleet_reply_snapshot(r, list, NOW, version, &prune, err, 256);
	freeReplyObject(r);
	return rc;
}

static void snapshots(void)
{
	struct revocations *list = revocations_new();
	long long version = 0;
	char err[256] = "";
	ok(read_into(snapshot("$1\r\n7\r\n", "alice\n", alice, "bob\nchat", bob), list, &version,
		     err) == 0,
	   "a full read of two entries");
	ok(version == 7 && revocations_count(list) == 1, "version 7; bob's expired entry dropped");
	ok(prune.n == 1 && prune.more == 0 && prune.due[0].field == 2 &&
		   prune.due[0].expires_at == 1600000100,
	   "bob's entry, expired long ago, is named for removal (field 2 of the array)");
	ok(revocations_refuse(list, "chat", "alice", 0, NOW, NULL), "alice refused from it");
	revocations_free(list);

	list = revocations_new();
	ok(read_into(snapshot("$-1\r\n", NULL, NULL, NULL, NULL), list, &version, err) == 0 &&
		   version == -1 && revocations_count(list) == 0,
	   "no version key: a store that holds no list (-1)");
	ok(read_into(snapshot(":3\r\n", "mallory\n", alice, NULL, NULL), list, &version, err) < 0,
	   "a field that does not name its entry is refused");
	ok(prune.n == 0 && prune.more == 0, "a refused read names nothing for removal");
	ok(strstr(err, "entry 1") && !strstr(err, "alice"),
	   "the error names the entry's number, not "
	   "its text: %s",
	   err);
	revocations_free(list);
	list = revocations_new();
	ok(read_into(snapshot(":3\r\n", "alice\n", alice, "alice\n", alice), list, &version, err) <
		   0,
	   "a duplicate entry is refused");
	ok(read_into(snapshot("$2\r\n-1\r\n", NULL, NULL, NULL, NULL), list, &version, err) < 0,
	   "a negative version is refused");
	ok(read_into(snapshot(":1\r\n", "alice\n", "{\"user\":", NULL, NULL), list, &version, err) <
		   0,
	   "a value that is not an entry is refused");
	revocations_free(list);
	ok(reader_refuses("*2\r\n:1\r\n*200001\r\n"),
	   "an array longer than FLEET_MAX_ELEMENTS is refused by the reader at its header");
	ok(!reader_refuses("*2\r\n:1\r\n*200000\r\n"), "one of FLEET_MAX_ELEMENTS is not");
}

static void prune_due(void)
{
	ok(!fleet_prune_due(0, NOW), "an entry that never expires stays");
	ok(!fleet_prune_due(NOW + 10, NOW), "a live entry stays");
	ok(!fleet_prune_due(NOW - 1, NOW), "an entry expired a second ago stays (the margin)");
	ok(!fleet_prune_due(NOW - FLEET_PRUNE_MARGIN_S + 1, NOW),
	   "... and one a second short of it");
	ok(fleet_prune_due(NOW - FLEET_PRUNE_MARGIN_S, NOW), "one expired the margin ago goes");
	ok(FLEET_PRUNE_MARGIN_S >= 60, "the margin allows the JWT leeway's skew of 60 s");
}

/* A full read of N entries "uI\n" for I < N, expiring at EXPIRES (and "keep\n", live), in RESP. */
static redisReply *many(size_t n, time_t expires)
{
	size_t cap = 256 * (n + 2), len = 0;
	char *text = malloc(cap);
	len += (size_t)snprintf(text, cap, "*2\r\n:9\r\n*%zu\r\n", 2 * (n + 1));
	for (size_t i = 0; i <= n; i++) {
		char user[32], field[40], value[200];
		snprintf(user, sizeof user, i < n ? "u%zu" : "keep", i);
		snprintf(field, sizeof field, "%s\n", user);
		snprintf(value, sizeof value,
			 "{\"user\":\"%s\",\"hub\":\"\",\"reason\":\"\",\"by\":\"t\","
			 "\"set_at\":1,\"expires_at\":%lld,\"issued_before\":0}",
			 user, i < n ? (long long)expires : 0LL);
		len += (size_t)snprintf(text + len, cap - len, "$%zu\r\n%s\r\n$%zu\r\n%s\r\n",
					strlen(field), field, strlen(value), value);
	}
	redisReply *r = parse(text, len);
	free(text);
	return r;
}

static void prune_batches(void)
{
	struct revocations *list = revocations_new();
	long long version = 0;
	char err[256] = "";
	ok(read_into(many(FLEET_PRUNE_BATCH + 5, NOW - 3600), list, &version, err) == 0,
	   "a full read of %d entries expired an hour ago and one live: %s", FLEET_PRUNE_BATCH + 5,
	   err);
	ok(prune.n == FLEET_PRUNE_BATCH && prune.more == 5,
	   "one batch is named for removal, the 5 past it wait for a later read");
	bool fields_ok = true;
	for (size_t i = 0; i < prune.n; i++)
		fields_ok = fields_ok && prune.due[i].field == 2 * i &&
			    prune.due[i].expires_at == NOW - 3600;
	ok(fields_ok && revocations_count(list) == 1, "each names its field; the live one stays");
	revocations_free(list);

	list = revocations_new();
	ok(read_into(many(3, NOW - 5), list, &version, err) == 0 && prune.n == 0 &&
		   revocations_count(list) == 1,
	   "entries expired 5 s ago: dropped here, not yet removed from the store");
	revocations_free(list);
}

static void pushes(void)
{
	static const struct {
		const char *text;
		enum fleet_push want;
	} cases[] = {
		{"*3\r\n$7\r\nmessage\r\n$24\r\n" CHANNEL "\r\n$1\r\n5\r\n", FLEET_PUSH_MESSAGE},
		{"*3\r\n$9\r\nsubscribe\r\n$24\r\n" CHANNEL "\r\n:1\r\n", FLEET_PUSH_SUBSCRIBED},
		{"*2\r\n$4\r\npong\r\n$0\r\n\r\n", FLEET_PUSH_PONG},
		{"+PONG\r\n", FLEET_PUSH_PONG},
		{"*3\r\n$7\r\nmessage\r\n$5\r\nother\r\n$1\r\n5\r\n", FLEET_PUSH_OTHER},
		{"-ERR no\r\n", FLEET_PUSH_OTHER},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		redisReply *r = parse(cases[i].text, strlen(cases[i].text));
		ok(r && fleet_reply_push(r, CHANNEL) == cases[i].want, "push %zu read as %d", i,
		   (int)cases[i].want);
		if (r)
			freeReplyObject(r);
	}
}

static int refuse_writes(void *ctx, const struct revocation *set, const char *user, const char *hub,
			 int *lifted, char *err, size_t err_len)
{
	(void)set, (void)user, (void)hub, (void)lifted;
	++*(int *)ctx;
	snprintf(err, err_len, "the [store] could not record the change (down)");
	return -1;
}

static int home_lifts_two(void *ctx, const struct revocation *set, const char *user,
			  const char *hub, int *lifted, char *err, size_t err_len)
{
	(void)ctx, (void)set, (void)user, (void)hub, (void)err, (void)err_len;
	if (lifted)
		*lifted = 2;
	return 0;
}

static int fill_alice(void *ctx, struct revocations *staged, char *err, size_t err_len)
{
	struct revocation e = {.user = "alice", .by = "t", .set_at = NOW};
	(void)ctx;
	int rc = revocations_load_one(staged, &e, NOW, err, err_len);
	revocations_loaded(staged);
	return rc;
}

static void writer_and_refresh(void)
{
	struct revocations *list = revocations_new();
	struct revocation e = {.user = "carol", .by = "t", .set_at = NOW};
	char err[256] = "";
	int calls = 0, ctx = 0;
	bool changed = false;
	revocations_write_through(list, refuse_writes, &calls);
	ok(revocations_set(list, &e, false, err, sizeof err) < 0 && calls == 1,
	   "a write the home refuses fails");
	ok(revocations_count(list) == 0 && strstr(err, "[store]"), "and changes nothing here");
	revocations_write_through_end(list, &ctx);
	ok(revocations_lift(list, "carol", NULL, err, sizeof err) < 0 && calls == 2,
	   "another's end leaves the home in place");
	revocations_write_through_end(list, &calls);
	ok(revocations_set(list, &e, false, err, sizeof err) == 0, "no home: set here");
	revocations_write_through(list, home_lifts_two, NULL);
	ok(revocations_lift(list, "carol", NULL, err, sizeof err) == 2,
	   "a lift answers what the home lifted when it lifted more");
	revocations_write_through(list, NULL, NULL);

	ok(revocations_refresh(list, fill_alice, NULL, &changed, err, sizeof err) == 0 && changed,
	   "a refresh replaces the entries");
	ok(revocations_refuse(list, "chat", "alice", 0, NOW, NULL) &&
		   !revocations_refuse(list, "chat", "carol", 0, NOW, NULL),
	   "alice refused after the refresh");
	ok(revocations_refresh(list, fill_alice, NULL, &changed, err, sizeof err) == 0 && !changed,
	   "the same entries again: unchanged");
	revocations_free(list);
}

int main(void)
{
	snapshots();
	prune_due();
	prune_batches();
	pushes();
	writer_and_refresh();
	return tap_done();
}
