/* SPDX-License-Identifier: Apache-2.0 */
/* The store: two connections per worker thread (plus one for the health check), each reconnecting
 * with a bounded backoff, and the fleet-wide token bucket as one server-side script. */
#include "store/store.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/secret.h"
#include "store/store_conn.h"
#include "store/store_own.h"
#include "store/store_reply.h"

#include <openssl/err.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The token bucket of src/edge/ratelimit.c (GCRA, one timestamp per bucket) on the server's clock
 * (TIME, microseconds): so instances' clocks do not matter. Answers {0, 0} (passed) or {1, WAIT}
 * with WAIT the whole seconds until a token is free, as the local table computes Retry-After. The
 * key expires when the bucket would be full again (then it is the same as no key). */
static const char rate_script[] = "local t = redis.call('TIME')\n"
				  "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
				  "local interval = tonumber(ARGV[1])\n"
				  "local tolerance = tonumber(ARGV[2])\n"
				  "local tat = tonumber(redis.call('GET', KEYS[1])) or now\n"
				  "if tat < now then tat = now end\n"
				  "if tat - now <= tolerance then\n"
				  "  local new = tat + interval\n"
				  "  redis.call('SET', KEYS[1], string.format('%.0f', new), 'PX',\n"
				  "             math.ceil((new - now) / 1000))\n"
				  "  return {0, 0}\n"
				  "end\n"
				  "return {1, math.ceil((tat - tolerance - now) / 1000000)}\n";

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000
#define HEALTH_EVERY_MS 500

struct slot {
	pthread_mutex_t lock;
	struct store_conn conn; /* reopened by the next call after a failure (the circuit below
				   spaces those calls out) */
};

struct store {
	struct store_url url;
	char *user, *password, *prefix;
	struct store_password_source source; /* .current NULL: the fixed password above */
	char *source_name;
	char *sentinel_user, *sentinel_password; /* redis-sentinel:// (store_sentinel.c) */
	SSL_CTX *tls;
	unsigned timeout_ms;
	enum store_on_failure rate_on_failure, keyless_on_failure, revocations_on_failure,
		connections_on_failure;
	struct store_script rate_script;
	struct pool *pool;
	struct slot *slots; /* n_slots - 1 for the workers, the last for the health check */
	unsigned n_slots;
	atomic_bool reachable;
	atomic_bool stopping;
	_Atomic uint64_t down_until_ns; /* after a failure, calls fail at once until then (or until
					   the health check reaches the server) */
	atomic_uint down_backoff_ms;
	pthread_t health;
	bool health_started;
	pthread_mutex_t health_lock;
	pthread_cond_t health_wake;
};

/* Process-wide counters (relaxed atomics, as edge/metrics.c keeps them). */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
#define N_BOUNDS (sizeof bounds / sizeof bounds[0])
static _Atomic uint64_t calls_ok, calls_failed, latency_us, buckets[N_BOUNDS + 1];
static _Atomic uint64_t rate_failed_open, rate_failed_closed;

static void bump(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static void count_call(bool ok, uint64_t ns)
{
	size_t b = 0;
	double seconds = (double)ns / 1e9;
	bump(ok ? &calls_ok : &calls_failed);
	while (b < N_BOUNDS && seconds > bounds[b])
		b++;
	bump(&buckets[b]);
	atomic_fetch_add_explicit(&latency_us, ns / 1000, memory_order_relaxed);
}

static void set_reachable(struct store *st, bool now, const char *why)
{
	bool was = atomic_exchange(&st->reachable, now);
	if (was && !now)
		log_warning("[store] unreachable: %s", why);
	else if (!was && now)
		log_info("[store] reachable again");
}

static struct store_conn_opts opts_of(const struct store *st, unsigned timeout_ms)
{
	return (struct store_conn_opts){.url = &st->url,
					.tls = st->tls,
					.user = st->user,
					.password = st->password,
					.timeout_ms = timeout_ms,
					.sentinel_user = st->sentinel_user,
					.sentinel_password = st->sentinel_password};
}

/* opts_of with the source's current password in token (a secret the caller wipes); -1 with err
 * naming the credential (never the token) when it has none. */
static int opts_now(struct store *st, unsigned timeout_ms, struct store_conn_opts *o,
		    struct buf *token, char *err, size_t err_len)
{
	*o = opts_of(st, timeout_ms);
	if (!st->source.current)
		return 0;
	if (st->source.current(st->source.arg, token, &o->generation, &o->expires_at) < 0) {
		snprintf(err, err_len, "%s: no valid Microsoft Entra ID token (the log says why)",
			 st->source_name);
		return -1;
	}
	o->password = token->data;
	return 0;
}

/* Logged in with a password that was replaced since, or that has expired. */
static bool conn_stale(struct store *st, const struct store_conn *c)
{
	return st->source.current && (c->generation != st->source.generation(st->source.arg) ||
				      c->expires_at <= (long long)time(NULL));
}

/* A new connection for the slot with O, within what is left until DEADLINE. */
static int slot_open(struct slot *s, struct store_conn_opts *o, uint64_t deadline, char *err,
		     size_t err_len)
{
	uint64_t now = monotonic_ns();
	if (now >= deadline) {
		snprintf(err, err_len, "no time left to connect");
		return -1;
	}
	o->timeout_ms = (unsigned)((deadline - now) / 1000000u) + 1;
	return store_conn_open(&s->conn, o, err, err_len) == STORE_OPEN_OK ? 0 : -1;
}

/* The slot's connection, opened if it is closed, logged in again if its token was replaced (one
 * that cannot be is closed: no connection outlives its token); -1 when that fails. */
static int slot_connect(struct store *st, struct slot *s, unsigned timeout_ms, char *err,
			size_t err_len)
{
	if (s->conn.fd >= 0 && !conn_stale(st, &s->conn))
		return 0;
	uint64_t deadline = monotonic_ns() + (uint64_t)timeout_ms * 1000000u;
	struct buf token = {0};
	struct store_conn_opts o;
	int rc = opts_now(st, timeout_ms, &o, &token, err, err_len);
	if (rc < 0)
		store_conn_close(&s->conn); /* no valid token: the old one may not be used */
	else if (s->conn.fd >= 0 && s->conn.generation == o.generation)
		s->conn.expires_at = o.expires_at; /* the same token, fetched again: valid longer */
	else if (s->conn.fd < 0 || store_conn_auth(&s->conn, &o, err, err_len) != STORE_OPEN_OK)
		rc = slot_open(s, &o, deadline, err, err_len); /* a failed AUTH closed it */
	buf_free_secret(&token);
	return rc;
}

/* A slot no other thread holds, or NULL: twice as many as the store's pool has threads, the
 * other half for the keyless services' REST threads. Never waits: a call's bound is its timeout. */
static struct slot *slot_take(struct store *st)
{
	for (unsigned i = 0; i + 1 < st->n_slots; i++)
		if (pthread_mutex_trylock(&st->slots[i].lock) == 0)
			return &st->slots[i];
	return NULL;
}

/* One command within the timeout; a connection found broken at once (the server restarted since
 * it was last used) is reopened and the command sent again, within the same budget. */
static int call(struct store *st, struct slot *s, int argc, const char **argv, const size_t *lens,
		redisReply **reply, char *err, size_t err_len)
{
	uint64_t start = monotonic_ns(), budget = (uint64_t)st->timeout_ms * 1000000u;
	for (int attempt = 0; attempt < 2; attempt++) {
		uint64_t used = monotonic_ns() - start;
		if (used >= budget)
			break;
		unsigned left = (unsigned)((budget - used) / 1000000u);
		bool reused = s->conn.fd >= 0;
		if (left == 0 || slot_connect(st, s, left, err, err_len) < 0)
			break;
		used = monotonic_ns() - start;
		left = used < budget ? (unsigned)((budget - used) / 1000000u) : 0;
		if (left &&
		    store_conn_call(&s->conn, argc, argv, lens, left, reply, err, err_len) == 0)
			return 0;
		if (!reused || monotonic_ns() - start > budget / 4)
			break; /* a timeout, not a stale connection: no second try */
	}
	return -1;
}

/* A failed call opens the circuit for a backoff (50 ms doubling to 2 s): the calls behind it, and
 * a request's second limit, fail at once instead of each waiting for the timeout. */
static void circuit_update(struct store *st, bool ok)
{
	if (ok) {
		atomic_store(&st->down_backoff_ms, 0);
		atomic_store(&st->down_until_ns, 0);
		return;
	}
	unsigned ms = atomic_load(&st->down_backoff_ms);
	ms = ms ? ms * 2 : BACKOFF_MIN_MS;
	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;
	atomic_store(&st->down_backoff_ms, ms);
	atomic_store(&st->down_until_ns, monotonic_ns() + (uint64_t)ms * 1000000u);
}

static int store_call(struct store *st, int argc, const char **argv, const size_t *lens,
		      redisReply **reply, char *err, size_t err_len)
{
	uint64_t start = monotonic_ns();
	if (start < atomic_load(&st->down_until_ns)) {
		count_call(false, 0);
		snprintf(err, err_len, "unreachable (waiting to retry)");
		return -1;
	}
	struct slot *s = slot_take(st);
	if (!s) {
		count_call(false, 0);
		snprintf(err, err_len, "every connection is busy");
		return -1;
	}
	int rc = call(st, s, argc, argv, lens, reply, err, err_len);
	pthread_mutex_unlock(&s->lock);
	count_call(rc == 0, monotonic_ns() - start);
	set_reachable(st, rc == 0, err);
	circuit_update(st, rc == 0);
	return rc;
}

int store_rate_key(const char *prefix, const char *hub, const char *kind, const char *id1,
		   const char *id2, char *out, size_t cap)
{
	unsigned char digest[SHA256_LEN];
	char identity[1024], hex[2 * 16 + 1];
	int n = snprintf(identity, sizeof identity, "%s%c%s", id1, 0, id2 ? id2 : "");
	if (n < 0 || (size_t)n >= sizeof identity || sha256(identity, (size_t)n, digest) < 0)
		return -1;
	explicit_bzero(identity, sizeof identity);
	hex_encode(digest, 16, hex);
	n = snprintf(out, cap, "negotiated:%s:rate:%s:%s:%s", prefix, hub, kind, hex);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static enum store_result rate_answer(redisReply *r, unsigned max_wait, unsigned *wait)
{
	long answer = store_reply_rate(r, max_wait);
	if (answer < 0) {
		char why[256];
		store_reply_error_text(r, "the rate script", why, sizeof why);
		log_warning("[store] %s", why);
		return STORE_FAILED;
	}
	*wait = (unsigned)answer;
	return answer ? STORE_LIMITED : STORE_PASSED;
}

redisReply *store_eval(struct store *st, const struct store_script *script, const char *key,
		       int n_args, const char *const *args)
{
	char err[256] = "";
	const char *argv[3 + 1 + STORE_SCRIPT_MAX_ARGS] = {"EVALSHA", script->sha, "1", key};
	size_t lens[3 + 1 + STORE_SCRIPT_MAX_ARGS] = {7, strlen(script->sha), 1, strlen(key)};
	redisReply *r = NULL;
	if (n_args > STORE_SCRIPT_MAX_ARGS)
		return NULL;
	for (int i = 0; i < n_args; i++)
		argv[4 + i] = args[i], lens[4 + i] = strlen(args[i]);
	if (store_call(st, 4 + n_args, argv, lens, &r, err, sizeof err) < 0)
		return NULL;
	if (!store_reply_is_noscript(r)) /* EVAL only when the server lost it (restart, FLUSH) */
		return r;
	freeReplyObject(r);
	r = NULL;
	argv[0] = "EVAL", lens[0] = 4;
	argv[1] = script->text, lens[1] = strlen(script->text);
	if (store_call(st, 4 + n_args, argv, lens, &r, err, sizeof err) < 0)
		return NULL;
	return r;
}

void store_script_init(struct store_script *script, const char *text)
{
	unsigned char digest[SHA_DIGEST_LENGTH];
	script->text = text;
	SHA1((const unsigned char *)text, strlen(text), digest);
	hex_encode(digest, sizeof digest, script->sha);
}

enum store_result store_rate_take(struct store *st, const char *hub, const char *kind,
				  const char *id1, const char *id2, const struct rate_spec *spec,
				  unsigned *wait)
{
	char key[256], interval[24], tolerance[24];
	uint64_t interval_us = spec->period_ns / spec->count / 1000u;
	unsigned max_wait = (unsigned)(spec->period_ns / 1000000000u) + 1;
	enum store_result result = STORE_FAILED;
	if (interval_us == 0)
		interval_us = 1;
	snprintf(interval, sizeof interval, "%llu", (unsigned long long)interval_us);
	snprintf(tolerance, sizeof tolerance, "%llu",
		 (unsigned long long)(interval_us * (spec->burst - 1)));
	redisReply *r = NULL;
	if (store_rate_key(st->prefix, hub, kind, id1, id2, key, sizeof key) == 0 &&
	    (r = store_eval(st, &st->rate_script, key, 2, (const char *[]){interval, tolerance})))
		result = rate_answer(r, max_wait, wait);
	if (r)
		freeReplyObject(r);
	if (result == STORE_FAILED)
		bump(st->rate_on_failure == STORE_FAIL_OPEN ? &rate_failed_open
							    : &rate_failed_closed);
	return result;
}

/* Every HEALTH_EVERY_MS a PING on its own connection: /readyz and the log follow the server even
 * when no request needs it. */
static void *health_loop(void *arg)
{
	struct store *st = arg;
	struct slot *s = &st->slots[st->n_slots - 1];
	pthread_mutex_lock(&st->health_lock);
	while (!atomic_load(&st->stopping)) {
		pthread_mutex_unlock(&st->health_lock);
		const char *argv[] = {"PING"};
		size_t lens[] = {4};
		redisReply *r = NULL;
		char err[256] = "";
		pthread_mutex_lock(&s->lock);
		int rc = call(st, s, 1, argv, lens, &r, err, sizeof err);
		pthread_mutex_unlock(&s->lock);
		if (r)
			freeReplyObject(r);
		set_reachable(st, rc == 0, err);
		if (rc == 0)
			circuit_update(st, true);
		pthread_mutex_lock(&st->health_lock);
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += HEALTH_EVERY_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		if (!atomic_load(&st->stopping))
			pthread_cond_timedwait(&st->health_wake, &st->health_lock, &until);
	}
	pthread_mutex_unlock(&st->health_lock);
	return NULL;
}

static int tls_setup(struct store *st, const char *ca_file, char *err, size_t err_len)
{
	if (st->url.transport != STORE_TLS)
		return 0;
	st->tls = SSL_CTX_new(TLS_client_method());
	if (!st->tls || SSL_CTX_set_min_proto_version(st->tls, TLS1_2_VERSION) != 1) {
		snprintf(err, err_len, "url: cannot set up TLS");
		return -1;
	}
	int ok = ca_file ? SSL_CTX_load_verify_locations(st->tls, ca_file, NULL)
			 : SSL_CTX_set_default_verify_paths(st->tls);
	ERR_clear_error();
	if (ok != 1) {
		snprintf(err, err_len, "ca_file: cannot read CA certificates from '%s'",
			 ca_file ? ca_file : "the system store");
		return -1;
	}
	SSL_CTX_set_verify(st->tls, SSL_VERIFY_PEER, NULL);
	return 0;
}

static int copy_sentinel_login(struct store *st, const struct store_settings *s)
{
	st->sentinel_user = s->sentinel_user ? strdup(s->sentinel_user) : NULL;
	st->sentinel_password = s->sentinel_password ? strdup(s->sentinel_password) : NULL;
	if ((s->sentinel_user && !st->sentinel_user) ||
	    (s->sentinel_password && !st->sentinel_password))
		return -1;
	return 0;
}

static int copy_settings(struct store *st, const struct store_settings *s)
{
	st->url = s->url;
	st->timeout_ms = s->timeout_ms;
	st->rate_on_failure = s->rate_on_failure;
	st->keyless_on_failure = s->keyless_on_failure;
	st->revocations_on_failure = s->revocations_on_failure;
	st->connections_on_failure = s->connections_on_failure;
	store_script_init(&st->rate_script, rate_script);
	st->prefix = strdup(s->prefix);
	st->user = s->user ? strdup(s->user) : NULL;
	st->password = s->password ? strdup(s->password) : NULL;
	st->source_name = strdup(s->source.name ? s->source.name : "password");
	if (!st->prefix || !st->source_name || (s->user && !st->user) ||
	    (s->password && !st->password))
		return -1;
	return copy_sentinel_login(st, s);
}

static int slots_new(struct store *st, unsigned workers)
{
	st->n_slots = 2 * workers + 1;
	if (!(st->slots = calloc(st->n_slots, sizeof *st->slots)))
		return -1;
	for (unsigned i = 0; i < st->n_slots; i++) {
		pthread_mutex_init(&st->slots[i].lock, NULL);
		st->slots[i].conn.fd = -1;
	}
	return 0;
}

/* The first connection: a refused login or TLS certificate is an error now, a server that does
 * not answer (or a credential without a token yet) is only a warning. */
static int first_connect(struct store *st, char *err, size_t err_len)
{
	struct slot *s = &st->slots[st->n_slots - 1];
	struct store_conn_opts o;
	struct buf token = {0};
	char why[256] = "";
	if (opts_now(st, st->timeout_ms, &o, &token, why, sizeof why) < 0) {
		log_warning("[store] %s: calls fail as the *_on_failure keys say until it has one",
			    why);
		return 0;
	}
	enum store_open_result r = store_conn_open(&s->conn, &o, why, sizeof why);
	buf_free_secret(&token);
	atomic_store(&st->reachable, r == STORE_OPEN_OK);
	if (r == STORE_OPEN_AUTH || (r == STORE_OPEN_IO && strstr(why, "certificate"))) {
		snprintf(err, err_len, "url: the Redis server refused this instance: %s", why);
		return -1;
	}
	if (r == STORE_OPEN_IO)
		log_warning("[store] not reachable at start (%s): calls fail as "
			    "rate_on_failure says until it is",
			    why);
	return 0;
}

struct store *store_new(const struct store_settings *s, char *err, size_t err_len)
{
	struct store *st = calloc(1, sizeof *st);
	snprintf(err, err_len, "out of memory");
	if (!st) {
		if (s->source.release)
			s->source.release(s->source.arg);
		return NULL;
	}
	st->source = s->source; /* owned from here: released by store_free */
	pthread_mutex_init(&st->health_lock, NULL);
	cond_init_monotonic(&st->health_wake);
	if (copy_settings(st, s) < 0 || slots_new(st, s->workers) < 0 ||
	    !(st->pool = pool_new("store", "redis", "calls", s->workers, s->queue)) ||
	    tls_setup(st, s->ca_file, err, err_len) < 0 || first_connect(st, err, err_len) < 0) {
		store_free(st);
		return NULL;
	}
	if (pthread_create(&st->health, NULL, health_loop, st) != 0) {
		snprintf(err, err_len, "cannot start the store's health thread");
		store_free(st);
		return NULL;
	}
	st->health_started = true;
	return st;
}

void store_free(struct store *st)
{
	if (!st)
		return;
	pthread_mutex_lock(&st->health_lock);
	atomic_store(&st->stopping, true);
	pthread_cond_signal(&st->health_wake);
	pthread_mutex_unlock(&st->health_lock);
	if (st->health_started)
		pthread_join(st->health, NULL);
	pool_free(st->pool); /* its calls finish first */
	for (unsigned i = 0; st->slots && i < st->n_slots; i++) {
		store_conn_close(&st->slots[i].conn);
		pthread_mutex_destroy(&st->slots[i].lock);
	}
	free(st->slots);
	if (st->tls)
		SSL_CTX_free(st->tls);
	secret_free(st->password);
	if (st->source.release)
		st->source.release(st->source.arg);
	free(st->source_name);
	secret_free(st->sentinel_password);
	free(st->user);
	free(st->sentinel_user);
	free(st->prefix);
	pthread_cond_destroy(&st->health_wake);
	pthread_mutex_destroy(&st->health_lock);
	free(st);
}

struct pool *store_pool(const struct store *st)
{
	return st->pool;
}

enum store_on_failure store_rate_on_failure(const struct store *st)
{
	return st->rate_on_failure;
}

bool store_reachable(const struct store *st)
{
	return atomic_load(&st->reachable);
}

enum store_on_failure store_keyless_on_failure(const struct store *st)
{
	return st->keyless_on_failure;
}

int store_keyless_key(const struct store *st, const char *kind, const char *text, char *out,
		      size_t cap)
{
	unsigned char digest[SHA256_LEN];
	char hex[2 * 16 + 1];
	if (sha256(text, strlen(text), digest) < 0)
		return -1;
	hex_encode(digest, 16, hex);
	int n = snprintf(out, cap, "negotiated:%s:keyless:%s:%s", st->prefix, kind, hex);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int store_get(struct store *st, const char *key, char *out, size_t cap, size_t *len)
{
	const char *argv[] = {"GET", key};
	size_t lens[] = {3, strlen(key)};
	redisReply *r = NULL;
	char err[256] = "";
	if (store_call(st, 2, argv, lens, &r, err, sizeof err) < 0)
		return -1;
	int got = store_reply_value(r, out, cap, len);
	if (r->type == REDIS_REPLY_STRING)
		explicit_bzero(r->str, r->len); /* a cached token */
	freeReplyObject(r);
	return got;
}

int store_set(struct store *st, const char *key, const char *value, unsigned px_ms, bool nx)
{
	char px[16];
	const char *argv[] = {"SET", key, value, "PX", px, "NX"};
	size_t lens[] = {3, strlen(key), strlen(value), 2, 0, 2};
	redisReply *r = NULL;
	char err[256] = "";
	lens[4] = (size_t)snprintf(px, sizeof px, "%u", px_ms ? px_ms : 1);
	if (store_call(st, nx ? 6 : 5, argv, lens, &r, err, sizeof err) < 0)
		return -1;
	int set = store_reply_set(r);
	freeReplyObject(r);
	return set;
}

int store_del(struct store *st, const char *key)
{
	const char *argv[] = {"DEL", key};
	size_t lens[] = {3, strlen(key)};
	redisReply *r = NULL;
	char err[256] = "";
	if (store_call(st, 2, argv, lens, &r, err, sizeof err) < 0)
		return -1;
	int ok = r->type == REDIS_REPLY_INTEGER ? 0 : -1;
	freeReplyObject(r);
	return ok;
}

int store_open_own(struct store *st, struct store_conn *c, unsigned timeout_ms, char *err,
		   size_t err_len)
{
	struct store_conn_opts o;
	struct buf token = {0};
	int rc = opts_now(st, timeout_ms, &o, &token, err, err_len);
	if (rc < 0)
		*c = (struct store_conn){.fd = -1};
	else
		rc = store_conn_open(c, &o, err, err_len) == STORE_OPEN_OK ? 0 : -1;
	buf_free_secret(&token);
	return rc;
}

bool store_own_stale(struct store *st, struct store_conn *c)
{
	if (c->fd < 0 || !conn_stale(st, c))
		return false;
	struct buf token = {0};
	uint64_t generation;
	long long expires_at;
	int rc = st->source.current(st->source.arg, &token, &generation, &expires_at);
	buf_free_secret(&token);
	if (rc == 0 && generation == c->generation) {
		c->expires_at = expires_at; /* the same token, fetched again: valid longer */
		return false;
	}
	return true;
}

int store_command(struct store *st, int argc, const char **argv, const size_t *lens,
		  redisReply **reply, char *err, size_t err_len)
{
	return store_call(st, argc, argv, lens, reply, err, err_len);
}

const char *store_prefix(const struct store *st)
{
	return st->prefix;
}

unsigned store_timeout_ms(const struct store *st)
{
	return st->timeout_ms;
}

enum store_on_failure store_connections_on_failure(const struct store *st)
{
	return st->connections_on_failure;
}

enum store_on_failure store_revocations_on_failure(const struct store *st)
{
	return st->revocations_on_failure;
}

static uint64_t get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void store_metrics_render(struct buf *out)
{
	uint64_t cumulative = 0;
	buf_printf(out,
		   "# HELP negotiated_store_calls_total Round trips to the [store] Redis server, "
		   "by outcome.\n# TYPE negotiated_store_calls_total counter\n"
		   "negotiated_store_calls_total{outcome=\"ok\"} %llu\n"
		   "negotiated_store_calls_total{outcome=\"failed\"} %llu\n",
		   (unsigned long long)get(&calls_ok), (unsigned long long)get(&calls_failed));
	buf_puts(out, "# HELP negotiated_store_call_duration_seconds Time of the round trips to "
		      "the [store].\n# TYPE negotiated_store_call_duration_seconds histogram\n");
	for (size_t b = 0; b <= N_BOUNDS; b++) {
		cumulative += get(&buckets[b]);
		if (b < N_BOUNDS)
			buf_printf(
				out,
				"negotiated_store_call_duration_seconds_bucket{le=\"%g\"} %llu\n",
				bounds[b], (unsigned long long)cumulative);
		else
			buf_printf(out,
				   "negotiated_store_call_duration_seconds_bucket{le=\"+Inf\"} "
				   "%llu\n",
				   (unsigned long long)cumulative);
	}
	buf_printf(out,
		   "negotiated_store_call_duration_seconds_sum %.6f\n"
		   "negotiated_store_call_duration_seconds_count %llu\n",
		   (double)get(&latency_us) / 1e6, (unsigned long long)cumulative);
	buf_printf(out,
		   "# HELP negotiated_store_rate_failures_total Rate limit checks the [store] did "
		   "not answer, by what rate_on_failure did.\n"
		   "# TYPE negotiated_store_rate_failures_total counter\n"
		   "negotiated_store_rate_failures_total{decision=\"open\"} %llu\n"
		   "negotiated_store_rate_failures_total{decision=\"closed\"} %llu\n",
		   (unsigned long long)get(&rate_failed_open),
		   (unsigned long long)get(&rate_failed_closed));
}
