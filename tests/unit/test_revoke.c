/* SPDX-License-Identifier: Apache-2.0 */
/* The revocation list (src/revoke): set, lift, expiry, per hub, issued before, the bound, the
 * state file's round trip and its errors by line. */
#include "revoke/admin_ops.h"
#include "revoke/revocations.h"
#include "revoke/state_file.h"

#include "tap.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static struct revocation entry(const char *user, const char *hub, time_t expires,
			       time_t issued_before)
{
	struct revocation e = {
		.set_at = 1000, .expires_at = expires, .issued_before = issued_before};
	snprintf(e.user, sizeof e.user, "%s", user);
	snprintf(e.hub, sizeof e.hub, "%s", hub);
	snprintf(e.reason, sizeof e.reason, "stolen laptop");
	snprintf(e.by, sizeof e.by, "uid 0 (root)");
	return e;
}

struct seen {
	int changes, lifts, closes;
	char last_user[NGD_MAX_USER_ID + 1];
};

static void observer(void *ctx, const struct revocation *e, bool lifted, bool close)
{
	struct seen *s = ctx;
	s->changes++;
	s->lifts += lifted;
	s->closes += close;
	snprintf(s->last_user, sizeof s->last_user, "%s", e->user);
}

static void test_set_lift(void)
{
	char err[256];
	struct seen seen = {0};
	struct revocations *l = revocations_new();
	struct revocation e = entry("alice", "", 0, 0), why;
	revocations_observe(l, observer, &seen);
	ok(!revocations_refuse(l, "chat", "alice", 0, 2000, NULL), "an empty list refuses no one");
	ok(revocations_set(l, &e, false, err, sizeof err) == 0, "set alice on every hub");
	ok(revocations_refuse(l, "chat", "alice", 0, 2000, &why), "alice is refused on chat");
	is_str(why.reason, "stolen laptop", "the refusing entry is copied out");
	ok(revocations_refuse(l, "other", "alice", 0, 2000, NULL), "and on any other hub");
	ok(!revocations_refuse(l, "chat", "bob", 0, 2000, NULL), "bob is not");
	ok(!revocations_refuse(l, "chat", "alic", 0, 2000, NULL), "a prefix of alice is not");
	ok(seen.changes == 1 && seen.lifts == 0, "the observer saw the set");
	ok(revocations_set(l, &e, true, err, sizeof err) < 0, "close without a closer is refused");
	ok(strstr(err, "not available") != NULL, "saying closing is not available: %s", err);
	ok(revocations_lift(l, "alice", NULL, err, sizeof err) == 1, "lift alice: one entry");
	ok(!revocations_refuse(l, "chat", "alice", 0, 2000, NULL), "alice is admitted again");
	ok(seen.lifts == 1 && strcmp(seen.last_user, "alice") == 0, "the observer saw the lift");
	ok(revocations_lift(l, "alice", NULL, err, sizeof err) == 0, "lifting again lifts none");
	revocations_free(l);
}

static void test_hub_expiry_issued(void)
{
	char err[256];
	struct revocations *l = revocations_new();
	struct revocation chat = entry("carol", "chat", 0, 0), timed = entry("dan", "", 3000, 0),
			  before = entry("erin", "", 0, 1500);
	ok(revocations_set(l, &chat, false, err, sizeof err) == 0, "carol on chat only");
	ok(revocations_refuse(l, "chat", "carol", 0, 2000, NULL), "carol refused on chat");
	ok(!revocations_refuse(l, "news", "carol", 0, 2000, NULL), "carol admitted on news");
	ok(revocations_set(l, &timed, false, err, sizeof err) == 0, "dan until 3000");
	ok(revocations_refuse(l, "chat", "dan", 0, 2999, NULL), "dan refused before 3000");
	ok(!revocations_refuse(l, "chat", "dan", 0, 3000, NULL), "dan admitted from 3000");
	ok(revocations_set(l, &before, false, err, sizeof err) == 0, "erin's tokens before 1500");
	ok(!revocations_refuse(l, "chat", "erin", 0, 2000, NULL), "erin gets a new token");
	ok(revocations_refuse(l, "chat", "erin", 1499, 2000, NULL), "a token of 1499 is refused");
	ok(!revocations_refuse(l, "chat", "erin", 1500, 2000, NULL), "one of 1500 is not");
	struct revocation all = entry("carol", "", 0, 0);
	ok(revocations_set(l, &all, false, err, sizeof err) == 0, "carol on every hub too");
	ok(revocations_lift(l, "carol", "chat", err, sizeof err) == 1, "lift carol's chat entry");
	ok(revocations_refuse(l, "chat", "carol", 0, 2000, NULL), "the every-hub entry stays");
	ok(revocations_count(l) == 3, "three entries held");
	struct revocation bad = entry("", "", 0, 0);
	ok(revocations_set(l, &bad, false, err, sizeof err) < 0 && strstr(err, "user"),
	   "an empty user is refused: %s", err);
	bad = entry("x", "1bad", 0, 0);
	ok(revocations_set(l, &bad, false, err, sizeof err) < 0 && strstr(err, "hub"),
	   "a bad hub name is refused: %s", err);
	revocations_free(l);
}

static void test_bound(void)
{
	char err[256];
	int failures = 0;
	struct revocations *l = revocations_new();
	for (int i = 0; i < REVOKE_MAX_ENTRIES; i++) {
		char user[32];
		snprintf(user, sizeof user, "user%d", i);
		struct revocation e = entry(user, "", 0, 0);
		failures += revocations_load_one(l, &e, 2000, err, sizeof err) < 0;
	}
	revocations_loaded(l);
	ok(failures == 0 && revocations_count(l) == REVOKE_MAX_ENTRIES, "the list holds the cap");
	struct revocation one = entry("one-more", "", 0, 0);
	ok(revocations_set(l, &one, false, err, sizeof err) < 0 && strstr(err, "100000"),
	   "one more is refused: %s", err);
	struct revocation again = entry("user7", "", 5000, 0);
	ok(revocations_set(l, &again, false, err, sizeof err) == 0,
	   "replacing an entry at the cap is allowed");
	ok(revocations_refuse(l, "h", "user99999", 0, 2000, NULL), "the last one is found");
	/* user7's entry now expired at 5000, long past: a full list lets it go for a new one */
	err[0] = '\0';
	ok(revocations_set(l, &one, false, err, sizeof err) == 0, "an expired entry makes room: %s",
	   err);
	ok(revocations_count(l) == REVOKE_MAX_ENTRIES &&
		   revocations_refuse(l, "h", "one-more", 0, time(NULL), NULL) &&
		   revocations_refuse(l, "h", "user99999", 0, time(NULL), NULL),
	   "the new entry is in, every live one kept");
	struct revocation two = entry("two-more", "", 0, 0);
	ok(revocations_set(l, &two, false, err, sizeof err) < 0,
	   "with no expired entry left, one more is refused again");
	revocations_free(l);
}

static char *write_file(const char *dir, const char *text)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, STATE_FILE_NAME);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_state_file(void)
{
	char dir[] = "/tmp/test_revoke.XXXXXX", err[512] = "", path[256];
	struct stat st;
	ok(mkdtemp(dir) != NULL, "a temporary directory");
	snprintf(path, sizeof path, "%s/%s", dir, STATE_FILE_NAME);
	struct revocations *l = revocations_new();
	ok(state_file_load(l, path, 2000, err, sizeof err) == 0, "a missing file is an empty list");
	revocations_persist(l, path);
	time_t t = time(NULL); /* saving drops what has expired by the clock */
	struct revocation a = entry("alice", "chat", 0, 0),
			  b = entry("bob\"q", "", t + 1000, t - 10),
			  gone = entry("gone", "", t + 5, 0);
	ok(revocations_set(l, &a, false, err, sizeof err) == 0 &&
		   revocations_set(l, &b, false, err, sizeof err) == 0 &&
		   revocations_set(l, &gone, false, err, sizeof err) == 0,
	   "three entries set and saved");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the file is mode 0600");
	struct revocation old = entry("old", "", t - 1, 0); /* expired when the file is written */
	ok(revocations_set(l, &old, false, err, sizeof err) == 0, "an expired entry set");
	char text[4096] = "";
	FILE *f = fopen(path, "r");
	size_t got = f ? fread(text, 1, sizeof text - 1, f) : 0;
	if (f)
		fclose(f);
	text[got] = '\0';
	ok(strstr(text, "\"alice\"") && strstr(text, "\"gone\"") && !strstr(text, "\"old\""),
	   "a rewrite of the file leaves the expired entry out");
	revocations_free(l);
	l = revocations_new();
	ok(state_file_load(l, path, t + 6, err, sizeof err) == 0, "the file loads: %s", err);
	ok(revocations_count(l) == 2, "the expired entry is dropped at load");
	struct revocation why;
	ok(revocations_refuse(l, "chat", "alice", 0, t + 6, &why) &&
		   strcmp(why.by, "uid 0 (root)") == 0,
	   "alice round-trips with who set it");
	ok(revocations_refuse(l, "x", "bob\"q", t - 11, t + 6, &why) &&
		   why.issued_before == t - 10 && why.expires_at == t + 1000,
	   "bob's times round-trip");
	revocations_free(l);
	const char *bad[][2] = {
		{"{\"user\":\"a\",\"by\":\"r\",\"set_at\":1}\nnot json\n", ":2: not valid JSON"},
		{"{\"user\":\"a\",\"by\":\"r\",\"set_at\":1,\"extra\":1}\n", ":1: unknown member"},
		{"{\"user\":\"a\",\"by\":\"r\"}\n", ":1: bad member set_at"},
		{"{\"user\":\"a\",\"by\":\"r\",\"set_at\":1}\n{\"user\":\"a\",\"by\":\"r\","
		 "\"set_at\":2}\n",
		 ":2: a second entry"},
		{"\n", ":1: not valid JSON"},
		{"[1]\n", ":1: not a JSON object"},
		{"{\"user\":\"a\",\"hub\":\"1x\",\"by\":\"r\",\"set_at\":1}\n", ":1: hub"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		l = revocations_new();
		write_file(dir, bad[i][0]);
		int rc = state_file_load(l, path, 2000, err, sizeof err);
		ok(rc < 0 && strstr(err, bad[i][1]) != NULL,
		   "bad file %zu refused naming the line: %s", i, err);
		revocations_free(l);
	}
	unlink(path);
	rmdir(dir);
}

static void test_admin_parse(void)
{
	long long s = 0;
	time_t t = 0;
	ok(admin_duration_parse("90", &s) == 0 && s == 90, "90 is 90 s");
	ok(admin_duration_parse("2s", &s) == 0 && s == 2, "2s");
	ok(admin_duration_parse("15m", &s) == 0 && s == 900, "15m");
	ok(admin_duration_parse("12h", &s) == 0 && s == 43200, "12h");
	ok(admin_duration_parse("7d", &s) == 0 && s == 604800, "7d");
	ok(admin_duration_parse("0s", &s) < 0, "0s is refused");
	ok(admin_duration_parse("-5m", &s) < 0 && admin_duration_parse("5mm", &s) < 0 &&
		   admin_duration_parse("", &s) < 0 && admin_duration_parse("m", &s) < 0,
	   "malformed durations are refused");
	ok(admin_duration_parse("99999999999d", &s) < 0, "more than 10 years is refused");
	ok(admin_time_parse("now", 1234, &t) == 0 && t == 1234, "now");
	ok(admin_time_parse("1700000000", 1, &t) == 0 && t == 1700000000, "seconds since 1970");
	ok(admin_time_parse("2026-12-07T20:00:00Z", 1, &t) == 0 && t == 1796673600, "RFC 3339 UTC");
	ok(admin_time_parse("2026-12-07 20:00", 1, &t) < 0 &&
		   admin_time_parse("yesterday", 1, &t) < 0,
	   "other times are refused");
}

static void test_admin_handle(void)
{
	struct revocations *l = revocations_new();
	struct buf a = {0};
	const char *req = "{\"op\":\"revoke\",\"user\":\"ada\",\"reasn\":\"typo\"}";
	unsigned status = admin_handle(l, "test", req, strlen(req), &a);
	ok(status == 400 && a.data && strstr(a.data, "unknown member"),
	   "a typo of a member is refused with 400");
	buf_free(&a);
	req = "{\"op\":\"revoke\",\"user\":\"ada\",\"for\":\"1h\",\"hub\":\"chat\"}";
	ok(admin_handle(l, "test", req, strlen(req), &a) == 200 &&
		   revocations_refuse(l, "chat", "ada", 0, time(NULL), NULL),
	   "revoke through admin_handle");
	buf_free(&a);
	req = "{\"op\":\"lift\",\"user\":\"ada\"}";
	ok(admin_handle(l, "test", req, strlen(req), &a) == 200 && a.data &&
		   strstr(a.data, "\"lifted\":1"),
	   "lift through admin_handle");
	buf_free(&a);
	ok(admin_handle(l, "test", "[]", 2, &a) == 400, "a request that is not an object");
	buf_free(&a);
	revocations_free(l);
}

struct race {
	struct revocations *list;
	atomic_bool stop;
	long lookups, wrong;
};

/* A reader on the hot path: "steady" is always listed, "other" never. */
static void *reader(void *arg)
{
	struct race *r = arg;
	struct revocation why;
	while (!atomic_load(&r->stop)) {
		if (!revocations_refuse(r->list, "chat", "steady", 0, 2000, &why) ||
		    strcmp(why.user, "steady") != 0)
			r->wrong++;
		if (revocations_refuse(r->list, "chat", "other", 0, 2000, NULL))
			r->wrong++;
		r->lookups++;
	}
	return NULL;
}

static void test_readers_during_changes(void)
{
	char err[256];
	struct race r = {.list = revocations_new()};
	struct revocation steady = entry("steady", "", 0, 0);
	pthread_t threads[2];
	int failures = revocations_set(r.list, &steady, false, err, sizeof err) != 0;
	struct race mine[2] = {r, r};
	for (int t = 0; t < 2; t++)
		pthread_create(&threads[t], NULL, reader, &mine[t]);
	for (int i = 0; i < 3000; i++) { /* grows the index, replaces, lifts: every write path */
		char user[32];
		snprintf(user, sizeof user, "churn%d", i % 300);
		struct revocation e = entry(user, i % 2 ? "chat" : "", 0, 0);
		failures += revocations_set(r.list, &e, false, err, sizeof err) != 0;
		if (i % 7 == 0)
			failures += revocations_lift(r.list, user, NULL, err, sizeof err) < 0;
	}
	for (int t = 0; t < 2; t++) {
		atomic_store(&mine[t].stop, true);
		pthread_join(threads[t], NULL);
	}
	ok(failures == 0, "3000 changes while two threads look up");
	ok(mine[0].wrong == 0 && mine[1].wrong == 0,
	   "every lookup during them was right (%ld and %ld lookups)", mine[0].lookups,
	   mine[1].lookups);
	revocations_free(r.list);
}

int main(void)
{
	test_readers_during_changes();
	test_admin_parse();
	test_admin_handle();
	test_set_lift();
	test_hub_expiry_issued();
	test_bound();
	test_state_file();
	return tap_done();
}
