/* SPDX-License-Identifier: Apache-2.0 */
/* The fleet sync of the revocation list: the writer the list calls before each change, and a
 * thread with two connections of its own (the subscriber, and one for full reads). */
#include "revoke/fleet.h"

#include "core/clock.h"
#include "core/log.h"
#include "revoke/fleet_reply.h"
#include "revoke/state_file.h"
#include "store/store_own.h"
#include "store/store_reply.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_MS 100	    /* the thread looks at stopping, pings and timers this often */
#define PING_EVERY_MS 500   /* a PING on the subscriber: a silent dead link shows within */
#define SILENT_DEAD_MS 1500 /* ... this long without a byte from the server */
#define BACKOFF_MAX_MS 1000 /* between attempts to subscribe again */
#define RETRY_MS 250	    /* between full reads that failed (a message asks at once) */

/* A change: KEYS hash, version; ARGV channel, field, value. */
static const char set_script[] = "redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])\n"
				 "local v = redis.call('INCR', KEYS[2])\n"
				 "redis.call('PUBLISH', ARGV[1], v)\n"
				 "return 1\n";
/* A lift: ARGV channel, field, and "*" + "USER\n" to lift every hub of a user. */
static const char lift_script[] =
	"local n = 0\n"
	"if ARGV[3] == '*' then\n"
	"  local p = ARGV[2]\n"
	"  for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do\n"
	"    if string.sub(f, 1, #p) == p then n = n + redis.call('HDEL', KEYS[1], f) end\n"
	"  end\n"
	"else n = redis.call('HDEL', KEYS[1], ARGV[2]) end\n"
	"if n > 0 then redis.call('PUBLISH', ARGV[1], redis.call('INCR', KEYS[2])) end\n"
	"return n\n";
/* The full read, atomic: {version or nil, HGETALL}. */
static const char read_script[] = "return {redis.call('GET', KEYS[2]), "
				  "redis.call('HGETALL', KEYS[1])}\n";
/* Expired entries out: ARGV channel, margin (s), then a field, the value read and its expiry for
 * each. A field goes only if it still holds that value (another instance may have revoked the user
 * again since the read) and the server's clock too puts its expiry MARGIN s in the past; the
 * version moves, and the fleet hears of it, only when one went. Several instances at once: the
 * first removes, the others find nothing to remove. */
static const char prune_script[] =
	"local now = tonumber(redis.call('TIME')[1])\n"
	"local margin = tonumber(ARGV[2])\n"
	"local n = 0\n"
	"for i = 3, #ARGV - 2, 3 do\n"
	"  local expires = tonumber(ARGV[i + 2])\n"
	"  if expires > 0 and expires + margin <= now and\n"
	"     redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then\n"
	"    n = n + redis.call('HDEL', KEYS[1], ARGV[i])\n"
	"  end\n"
	"end\n"
	"if n > 0 then redis.call('PUBLISH', ARGV[1], redis.call('INCR', KEYS[2])) end\n"
	"return n\n";
/* A store that holds no list (a Redis restarted without persistence) gets this instance's copy,
 * unless another instance was first: ARGV channel, then field and value pairs. */
static const char seed_script[] = "if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end\n"
				  "for i = 2, #ARGV - 1, 2 do\n"
				  "  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])\n"
				  "end\n"
				  "redis.call('PUBLISH', ARGV[1], redis.call('INCR', KEYS[2]))\n"
				  "return 1\n";

struct revoke_fleet {
	struct store *st;
	struct revocations *list;
	bool closed_on_failure;
	char hash[600], version_key[616];
	struct store_conn sub, data; /* the thread's only */
	unsigned read_timeout_ms;
	pthread_t thread;
	atomic_bool stopping;
	_Atomic uint64_t down_since_ns; /* the subscriber lost its connection then; 0: connected */
	_Atomic uint64_t last_read_ns;	/* the last full read that succeeded; 0: none yet */
	uint64_t last_try_ns, last_ping_ns, last_rx_ns;
	bool need_read, was_fresh;
	struct fleet_prune prune; /* the last full read's expired entries (the thread's) */
};

static _Atomic uint64_t pruned_total; /* process-wide: entries this process removed */

static int eval(struct store *st, const char *script, size_t script_len, int n_args,
		const char **args, const size_t *arg_lens, redisReply **r, char *err,
		size_t err_len)
{
	const char *argv[8] = {"EVAL", script, "2"};
	size_t lens[8] = {4, script_len, 1};
	for (int i = 0; i < n_args; i++)
		argv[3 + i] = args[i], lens[3 + i] = arg_lens[i];
	return store_command(st, 3 + n_args, argv, lens, r, err, err_len);
}

/* The script's integer answer, or -1 with why in err. */
static long long script_answer(redisReply *r, char *err, size_t err_len)
{
	long long n = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
	if (n < 0)
		snprintf(err, err_len, "the [store] refused the change (%s); nothing was changed",
			 r->type == REDIS_REPLY_ERROR ? "a script error" : "an unexpected reply");
	freeReplyObject(r);
	return n;
}

static int write_set(struct revoke_fleet *f, const struct revocation *e, char *err, size_t err_len)
{
	char field[NGD_MAX_USER_ID + NGD_MAX_HUB_NAME + 2], why[256] = "";
	char *value = state_file_format_line(e);
	redisReply *r = NULL;
	int rc = -1;
	if (!value || fleet_field(e->user, e->hub, field, sizeof field) < 0) {
		snprintf(err, err_len, "out of memory");
	} else {
		const char *args[] = {f->hash, f->version_key, f->hash, field, value};
		size_t lens[] = {strlen(f->hash), strlen(f->version_key), strlen(f->hash),
				 strlen(field), strlen(value)};
		if (eval(f->st, set_script, sizeof set_script - 1, 5, args, lens, &r, why,
			 sizeof why) < 0)
			snprintf(
				err, err_len,
				"the [store] could not record the change (%s); nothing was changed",
				why);
		else
			rc = script_answer(r, err, err_len) < 0 ? -1 : 0;
	}
	free(value);
	return rc;
}

static int write_lift(struct revoke_fleet *f, const char *user, const char *hub, int *lifted,
		      char *err, size_t err_len)
{
	char field[NGD_MAX_USER_ID + NGD_MAX_HUB_NAME + 2], why[256] = "";
	redisReply *r = NULL;
	if (fleet_field(user, hub ? hub : "", field, sizeof field) < 0) /* no hub: "USER\n" */
		return -1;
	const char *args[] = {f->hash, f->version_key, f->hash, field, hub ? "" : "*"};
	size_t lens[] = {strlen(f->hash), strlen(f->version_key), strlen(f->hash), strlen(field),
			 hub ? 0 : 1};
	if (eval(f->st, lift_script, sizeof lift_script - 1, 5, args, lens, &r, why, sizeof why) <
	    0) {
		snprintf(err, err_len,
			 "the [store] could not record the change (%s); nothing was changed", why);
		return -1;
	}
	long long n = script_answer(r, err, err_len);
	*lifted = n > 0 ? (int)n : 0;
	return n < 0 ? -1 : 0;
}

/* The list's writer: the store first, under the list's change lock. */
static int write_through(void *ctx, const struct revocation *set, const char *user, const char *hub,
			 int *lifted, char *err, size_t err_len)
{
	struct revoke_fleet *f = ctx;
	if (set)
		return write_set(f, set, err, err_len);
	return write_lift(f, user, hub, lifted, err, err_len);
}

struct seed {
	const char **argv;
	size_t *lens;
	char **owned;
	size_t n, cap;
	bool failed;
};

static void seed_add(void *ctx, const struct revocation *e)
{
	struct seed *s = ctx;
	char field[NGD_MAX_USER_ID + NGD_MAX_HUB_NAME + 2];
	char *value = state_file_format_line(e);
	char *key = fleet_field(e->user, e->hub, field, sizeof field) == 0 ? strdup(field) : NULL;
	if (!value || !key || s->n + 2 > s->cap) {
		s->failed = true;
		free(value);
		free(key);
		return;
	}
	s->owned[s->n] = key, s->argv[s->n] = key, s->lens[s->n] = strlen(key), s->n++;
	s->owned[s->n] = value, s->argv[s->n] = value, s->lens[s->n] = strlen(value), s->n++;
}

/* This instance's copy into a store that holds none (on the data connection). */
static void seed(struct revoke_fleet *f)
{
	size_t cap = 6 + 2 * revocations_count(f->list) + 2;
	struct seed s = {calloc(cap, sizeof *s.argv),
			 calloc(cap, sizeof *s.lens),
			 calloc(cap, sizeof *s.owned),
			 6,
			 cap,
			 false};
	char err[256] = "";
	redisReply *r = NULL;
	if (s.argv && s.lens && s.owned) {
		const char *head[] = {"EVAL", seed_script, "2", f->hash, f->version_key, f->hash};
		for (int i = 0; i < 6; i++)
			s.argv[i] = head[i], s.lens[i] = strlen(head[i]);
		revocations_each(f->list, time(NULL), seed_add, &s);
	}
	if (!s.argv || !s.lens || !s.owned || s.failed)
		log_warning("[store] revocations: out of memory to seed the store");
	else if (store_conn_call(&f->data, (int)s.n, s.argv, s.lens, f->read_timeout_ms, &r, err,
				 sizeof err) < 0)
		log_warning("[store] revocations: seeding the store failed: %s", err);
	else if (r->type == REDIS_REPLY_INTEGER && r->integer == 1)
		log_info("[store] revocations: the store held no list; it has this instance's "
			 "%zu entries now",
			 (s.n - 6) / 2);
	if (r)
		freeReplyObject(r);
	for (size_t i = 6; s.owned && i < s.n; i++)
		free(s.owned[i]);
	free(s.argv), free(s.lens), free(s.owned);
}

static int data_connect(struct revoke_fleet *f, char *err, size_t err_len)
{
	if (store_own_stale(f->st, &f->data))
		store_conn_close(&f->data); /* its Entra ID token was replaced: a new login */
	if (f->data.fd >= 0)
		return 0;
	if (store_open_own(f->st, &f->data, f->read_timeout_ms, err, err_len) < 0)
		return -1;
	if (store_conn_widen(&f->data, FLEET_MAX_ELEMENTS, FLEET_MAX_REPLY_BYTES) < 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	return 0;
}

#define STR_(x) #x
#define STR(x) STR_(x)
#define PRUNE_HEAD 7 /* EVAL, script, 2, hash, version, channel, margin */

/* The prune script's arguments for the due entries of R, the full read's reply (EXPIRY: room for
 * each one's expiry as text). */
static void prune_args(const struct revoke_fleet *f, const redisReply *r, const char **argv,
		       size_t *lens, char (*expiry)[24])
{
	const redisReply *pairs = r->element[1];
	const char *head[PRUNE_HEAD] = {"EVAL",
					prune_script,
					"2",
					f->hash,
					f->version_key,
					f->hash,
					STR(FLEET_PRUNE_MARGIN_S)};
	for (size_t i = 0; i < PRUNE_HEAD; i++)
		argv[i] = head[i], lens[i] = strlen(head[i]);
	for (size_t i = 0; i < f->prune.n; i++) {
		const redisReply *field = pairs->element[f->prune.due[i].field];
		const redisReply *value = pairs->element[f->prune.due[i].field + 1];
		const char **a = argv + PRUNE_HEAD + 3 * i;
		size_t *l = lens + PRUNE_HEAD + 3 * i;
		snprintf(expiry[i], sizeof expiry[i], "%lld",
			 (long long)f->prune.due[i].expires_at);
		a[0] = field->str, l[0] = field->len;
		a[1] = value->str, l[1] = value->len;
		a[2] = expiry[i], l[2] = strlen(expiry[i]);
	}
}

static void prune_answer(struct revoke_fleet *f, const redisReply *r)
{
	if (r->type != REDIS_REPLY_INTEGER || r->integer < 0) {
		char why[256];
		store_reply_error_text(r, "the prune script", why, sizeof why);
		log_debug("[store] revocations: removing expired entries failed: %s", why);
		return;
	}
	if (r->integer == 0)
		return;
	atomic_fetch_add_explicit(&pruned_total, (uint64_t)r->integer, memory_order_relaxed);
	log_debug("[store] revocations: %lld expired entries left the store%s", r->integer,
		  f->prune.more ? " (more at a later read)" : "");
}

/* The due entries of R (the full read's reply) out of the store, on the data connection. A failure
 * costs nothing but the try: the next read finds them again. */
static void prune(struct revoke_fleet *f, const redisReply *r)
{
	size_t argc = PRUNE_HEAD + 3 * f->prune.n;
	const char **argv = calloc(argc, sizeof *argv);
	size_t *lens = calloc(argc, sizeof *lens);
	char(*expiry)[24] = calloc(f->prune.n, sizeof *expiry);
	char err[256] = "";
	redisReply *answer = NULL;
	if (!argv || !lens || !expiry)
		log_debug("[store] revocations: out of memory to remove expired entries");
	else {
		prune_args(f, r, argv, lens, expiry);
		if (store_conn_call(&f->data, (int)argc, argv, lens, f->read_timeout_ms, &answer,
				    err, sizeof err) < 0)
			log_debug("[store] revocations: removing expired entries failed: %s", err);
		else
			prune_answer(f, answer);
	}
	if (answer)
		freeReplyObject(answer);
	free(argv), free(lens), free(expiry);
}

/* revocations_refresh's FILL: the store's list into STAGED, under the list's change lock. */
static int fill_from_store(void *ctx, struct revocations *staged, char *err, size_t err_len)
{
	struct revoke_fleet *f = ctx;
	const char *argv[] = {"EVAL", read_script, "2", f->hash, f->version_key};
	size_t lens[] = {4, sizeof read_script - 1, 1, strlen(f->hash), strlen(f->version_key)};
	redisReply *r = NULL;
	long long version = 0;
	if (data_connect(f, err, err_len) < 0 ||
	    store_conn_call(&f->data, 5, argv, lens, f->read_timeout_ms, &r, err, err_len) < 0)
		return -1;
	int rc = fleet_reply_snapshot(r, staged, time(NULL), &version, &f->prune, err, err_len);
	/* under the change lock: one more round trip, rarely; never into a store that holds no list
	 * (its version would then exist, and the seed below would not happen) */
	if (rc == 0 && version >= 0 && f->prune.n)
		prune(f, r);
	freeReplyObject(r);
	if (rc == 0 && version < 0 && revocations_count(f->list) > 0) {
		seed(f);
		f->need_read = true; /* read back what the store holds now */
		snprintf(err, err_len, "seeded");
		return -1;
	}
	return rc;
}

static void full_read(struct revoke_fleet *f)
{
	char err[256] = "";
	bool changed = false;
	f->last_try_ns = monotonic_ns();
	f->need_read = false;
	int rc = revocations_refresh(f->list, fill_from_store, f, &changed, err, sizeof err);
	if (rc < 0 && strcmp(err, "seeded") != 0) {
		log_warning("[store] revocations: the full read failed: %s", err);
		f->need_read = true; /* again after RETRY_MS */
		return;
	}
	atomic_store(&f->last_read_ns, monotonic_ns());
	if (f->sub.fd >= 0) /* subscribed, and nothing missed before: following the store */
		atomic_store(&f->down_since_ns, 0);
	if (changed)
		log_info("[store] revocations: %zu entries from the store",
			 revocations_count(f->list));
}

static void mark_down(struct revoke_fleet *f)
{
	uint64_t zero = 0;
	store_conn_close(&f->sub);
	atomic_compare_exchange_strong(&f->down_since_ns, &zero, monotonic_ns());
}

static int subscribe(struct revoke_fleet *f)
{
	char err[256] = "";
	redisReply *r = NULL;
	const char *argv[] = {"SUBSCRIBE", f->hash};
	size_t lens[] = {9, strlen(f->hash)};
	unsigned t = store_timeout_ms(f->st);
	if (store_open_own(f->st, &f->sub, t, err, sizeof err) < 0 ||
	    store_conn_send(&f->sub, 2, argv, lens, t) < 0 || store_conn_read(&f->sub, t, &r) < 0)
		return -1;
	enum fleet_push kind = fleet_reply_push(r, f->hash);
	freeReplyObject(r);
	if (kind != FLEET_PUSH_SUBSCRIBED) {
		store_conn_close(&f->sub);
		return -1;
	}
	f->last_rx_ns = f->last_ping_ns = monotonic_ns();
	store_conn_close(&f->data); /* opened before the link broke: a fresh one for the read */
	f->need_read = true;	    /* what changed while not listening: fresh again once read */
	f->last_try_ns = 0;
	return 0;
}

/* One reply waiting on the subscriber: a message asks for a full read; junk drops the link. */
static void take_push(struct revoke_fleet *f)
{
	redisReply *r = NULL;
	if (store_conn_read(&f->sub, store_timeout_ms(f->st), &r) < 0) {
		mark_down(f);
		return;
	}
	f->last_rx_ns = monotonic_ns();
	enum fleet_push kind = fleet_reply_push(r, f->hash);
	freeReplyObject(r);
	if (kind == FLEET_PUSH_MESSAGE) {
		f->need_read = true;
		f->last_try_ns = 0; /* at once */
	} else if (kind == FLEET_PUSH_OTHER)
		mark_down(f);
}

static void keep_alive(struct revoke_fleet *f, uint64_t now)
{
	const char *argv[] = {"PING"};
	size_t lens[] = {4};
	if (now - f->last_rx_ns > (uint64_t)SILENT_DEAD_MS * 1000000u) {
		mark_down(f);
		return;
	}
	if (now - f->last_ping_ns < (uint64_t)PING_EVERY_MS * 1000000u)
		return;
	f->last_ping_ns = now;
	if (store_conn_send(&f->sub, 1, argv, lens, store_timeout_ms(f->st)) < 0)
		mark_down(f);
}

static void report_freshness(struct revoke_fleet *f)
{
	bool fresh = revoke_fleet_fresh(f);
	if (fresh == f->was_fresh)
		return;
	f->was_fresh = fresh;
	if (fresh)
		log_info("[store] revocations: following the store again");
	else
		log_warning("[store] revocations: the local copy may be stale (the store is not "
			    "reachable); revocations_on_failure = %s: %s",
			    f->closed_on_failure ? "closed" : "open",
			    f->closed_on_failure ? "/negotiate answers 503"
						 : "serving from the local copy");
}

/* A subscriber logged in with a replaced Entra ID token subscribes anew (it cannot AUTH again),
 * then reads what it may have missed: not marked down, so no answer changes meanwhile. */
static void renew_if_stale(struct revoke_fleet *f)
{
	if (!store_own_stale(f->st, &f->sub))
		return;
	store_conn_close(&f->sub);
	if (subscribe(f) < 0)
		mark_down(f);
}

/* One turn: (re)subscribe, read when asked or due, wait for a push for at most a tick. */
static void turn(struct revoke_fleet *f, unsigned *backoff_ms)
{
	uint64_t now = monotonic_ns();
	if (f->sub.fd < 0 && subscribe(f) < 0) {
		mark_down(f);
		if (now - f->last_try_ns >= (uint64_t)FLEET_READ_EVERY_MS * 1000000u)
			full_read(f); /* the subscriber may fail alone */
		*backoff_ms = *backoff_ms ? *backoff_ms * 2 : TICK_MS;
		if (*backoff_ms > BACKOFF_MAX_MS)
			*backoff_ms = BACKOFF_MAX_MS;
		for (unsigned slept = 0; slept < *backoff_ms && !atomic_load(&f->stopping);
		     slept += TICK_MS) {
			nanosleep(&(struct timespec){0, TICK_MS * 1000000L}, NULL);
			report_freshness(f);
		}
		return;
	}
	*backoff_ms = 0;
	renew_if_stale(f);
	uint64_t since = now - f->last_try_ns;
	if ((f->need_read && since >= (uint64_t)RETRY_MS * 1000000u) ||
	    since >= (uint64_t)FLEET_READ_EVERY_MS * 1000000u)
		full_read(f);
	int ready = store_conn_wait(&f->sub, TICK_MS);
	if (ready > 0)
		take_push(f);
	else if (ready < 0)
		mark_down(f);
	if (f->sub.fd >= 0)
		keep_alive(f, monotonic_ns());
}

static void *fleet_loop(void *arg)
{
	struct revoke_fleet *f = arg;
	unsigned backoff_ms = 0;
	while (!atomic_load(&f->stopping)) {
		turn(f, &backoff_ms);
		report_freshness(f);
	}
	return NULL;
}

struct revoke_fleet *revoke_fleet_start(struct store *st, struct revocations *list, char *err,
					size_t err_len)
{
	struct revoke_fleet *f = calloc(1, sizeof *f);
	snprintf(err, err_len, "out of memory");
	if (!f)
		return NULL;
	f->st = st, f->list = list;
	f->sub.fd = f->data.fd = -1;
	f->closed_on_failure = store_revocations_on_failure(st) == STORE_FAIL_CLOSED;
	f->read_timeout_ms = 4 * store_timeout_ms(st);
	if (f->read_timeout_ms < 1000)
		f->read_timeout_ms = 1000;
	f->was_fresh = true; /* the first stale turn is reported */
	atomic_store(&f->down_since_ns, monotonic_ns());
	snprintf(f->hash, sizeof f->hash, "negotiated:%s:revocations", store_prefix(st));
	snprintf(f->version_key, sizeof f->version_key, "%s:version", f->hash);
	if (subscribe(f) == 0) /* serving starts with the store's list when it answers */
		full_read(f);
	if (pthread_create(&f->thread, NULL, fleet_loop, f) != 0) {
		snprintf(err, err_len, "cannot start the revocation list's store thread");
		store_conn_close(&f->sub);
		store_conn_close(&f->data);
		free(f);
		return NULL;
	}
	revocations_write_through(list, write_through, f);
	return f;
}

void revoke_fleet_stop(struct revoke_fleet *f)
{
	if (!f)
		return;
	revocations_write_through_end(f->list, f);
	atomic_store(&f->stopping, true);
	pthread_join(f->thread, NULL);
	store_conn_close(&f->sub);
	store_conn_close(&f->data);
	free(f);
}

bool revoke_fleet_fresh(const struct revoke_fleet *f)
{
	uint64_t now = monotonic_ns();
	uint64_t down = atomic_load(&f->down_since_ns), read = atomic_load(&f->last_read_ns);
	if (!read || (now > read && now - read > (uint64_t)FLEET_STALE_READ_MS * 1000000u))
		return false;
	return !down || now <= down || now - down <= (uint64_t)FLEET_STALE_DOWN_MS * 1000000u;
}

uint64_t revoke_fleet_pruned_total(void)
{
	return atomic_load_explicit(&pruned_total, memory_order_relaxed);
}

bool revoke_fleet_blocks(const struct revoke_fleet *f)
{
	return f && f->closed_on_failure && !revoke_fleet_fresh(f);
}
