/* SPDX-License-Identifier: Apache-2.0 */
/* The live key set behind the jwt authenticator: one refresher thread per remote source, an
 * immutable reference-counted set swapped under a short lock, the last good set kept on failure. */
#include "auth/jwt/jwks.h"

#include "auth/fetch_url.h"
#include "auth/jwt/http_fetch.h"
#include "core/clock.h"
#include "core/log.h"
#include "edge/metrics.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DISCOVERY_PATH "/.well-known/openid-configuration"
#define MAX_URL 2048
#define UNKNOWN_KIDS                                                                               \
	32 /* kids a request-triggered fetch did not find, remembered for the cooldown */

struct unknown_kid {
	char kid[JWK_MAX_KID + 1]; /* "" for a token without one */
	long long until_ms;	   /* monotonic; 0: a free slot */
};

struct jwks {
	pthread_mutex_t lock; /* guards current and the refresher's sleep */
	pthread_cond_t wake;
	struct keyset *current;
	bool remote, thread_started;
	atomic_bool stop;
	pthread_mutex_t fetching; /* one fetch at a time; requests never wait for it */
	atomic_bool in_flight; /* a fetch runs now: a request with an unknown kid answers at once */
	atomic_llong last_fetch_ms;  /* monotonic: when the last fetch began */
	struct unknown_kid *unknown; /* UNKNOWN_KIDS entries, under lock */
	size_t unknown_next;	     /* the slot replaced next when none is free */
	struct jwks_options opts;
	char *name, *url, *issuer;
	pthread_t thread;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timespec deadline_after(long long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return ts;
}

static struct jwks *jwks_alloc(void)
{
	struct jwks *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	pthread_mutex_init(&j->lock, NULL);
	pthread_mutex_init(&j->fetching, NULL);
	cond_init_monotonic(&j->wake);
	atomic_init(&j->stop, false);
	atomic_init(&j->in_flight, false);
	atomic_init(&j->last_fetch_ms, 0);
	return j;
}

struct jwks *jwks_fixed(struct keyset *ks)
{
	struct jwks *j = jwks_alloc();
	if (!j) {
		keyset_release(ks);
		return NULL;
	}
	j->current = ks;
	return j;
}

struct keyset *jwks_current(struct jwks *j)
{
	pthread_mutex_lock(&j->lock);
	struct keyset *ks = j->current ? keyset_ref(j->current) : NULL;
	pthread_mutex_unlock(&j->lock);
	return ks;
}

uint64_t jwks_generation(struct jwks *j)
{
	pthread_mutex_lock(&j->lock);
	uint64_t generation = j->current ? j->current->generation : 0;
	pthread_mutex_unlock(&j->lock);
	return generation;
}

static void install(struct jwks *j, struct keyset *ks)
{
	pthread_mutex_lock(&j->lock);
	struct keyset *old = j->current;
	j->current = ks;
	pthread_mutex_unlock(&j->lock);
	keyset_release(old); /* in-flight requests hold their own references */
}

/* An https URL (http only as fetch_url_refusal allows) of printable ASCII: a provider's answer must
 * not smuggle anything into a log line, nor downgrade the key set to a plain-http source. */
static bool url_acceptable(const char *url, bool allow_insecure_http)
{
	if (!url || fetch_url_refusal(url, allow_insecure_http) || strlen(url) >= MAX_URL)
		return false;
	for (const unsigned char *c = (const unsigned char *)url; *c; c++)
		if (*c <= ' ' || *c >= 0x7f)
			return false;
	return true;
}

/* The time a fetch may take: the per-request limit, cut to what is left before DEADLINE_MS. */
static long budget(const struct jwks *j, long long deadline_ms)
{
	long long left = deadline_ms - now_ms();
	if (left > j->opts.fetch_timeout_ms)
		left = j->opts.fetch_timeout_ms;
	return left < 1 ? 1 : (long)left;
}

/* The jwks_uri of the issuer's discovery document (free()), or NULL with a reason. */
static char *discover(struct jwks *j, long long deadline_ms, char *err, size_t err_len)
{
	char url[MAX_URL];
	size_t len = 0, ilen = strlen(j->issuer);
	json_error_t jerr;
	char *uri = NULL;
	snprintf(url, sizeof url, "%.*s%s",
		 (int)(ilen && j->issuer[ilen - 1] == '/' ? ilen - 1 : ilen), j->issuer,
		 DISCOVERY_PATH);
	char why[256] = "";
	char *text = http_fetch(url, budget(j, deadline_ms), JWKS_MAX_DOCUMENT, &j->stop, &len, why,
				sizeof why);
	json_t *doc = text ? json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	const char *found = json_string_value(json_object_get(doc, "jwks_uri"));
	const char *iss = json_string_value(json_object_get(doc, "issuer"));
	if (text && !doc)
		snprintf(err, err_len, "%.200s: not JSON", url);
	else if (doc && (!iss || strcmp(iss, j->issuer) != 0))
		snprintf(err, err_len, "%.200s: its issuer is not the configured issuer", url);
	else if (doc && !url_acceptable(found, j->opts.allow_insecure_http))
		snprintf(err, err_len,
			 "%.200s: no acceptable jwks_uri in it (https://, or http:// to loopback)",
			 url);
	else if (doc && !(uri = strdup(found)))
		snprintf(err, err_len, "out of memory");
	else if (!text)
		snprintf(err, err_len, "%.200s: %.150s", url, why);
	json_decref(doc);
	free(text);
	return uri;
}

/* Fetches and parses the key set by DEADLINE_MS; installs it only when it holds a usable key. */
static int fetch_keys(struct jwks *j, long long deadline_ms)
{
	char err[512] = "", why[384] = "";
	size_t len = 0;
	char *url = j->url ? strdup(j->url) : discover(j, deadline_ms, why, sizeof why);
	char *text = url ? http_fetch(url, budget(j, deadline_ms), JWKS_MAX_DOCUMENT, &j->stop,
				      &len, why, sizeof why)
			 : NULL;
	struct keyset *ks = text ? keyset_from_jwks(text, len, why, sizeof why) : NULL;
	if (ks)
		install(j, ks);
	else if (url)
		snprintf(err, sizeof err, "%.200s: %.300s", url, why);
	else
		snprintf(err, sizeof err, "discovery: %.380s", why);
	if (!ks && !atomic_load(&j->stop)) {
		metrics_jwks_refresh_failed();
		struct keyset *kept = jwks_current(j);
		log_warning("auth %s: key set not refreshed from %s; %s", j->name, err,
			    kept ? "keeping the last good keys"
				 : "no keys yet: requests fail with 503");
		keyset_release(kept);
	}
	free(text);
	free(url);
	return ks ? 0 : -1;
}

/* One fetch, marked in flight, with FETCHING held by the caller. 0 when it installed a new set. */
static int fetch_now(struct jwks *j, long long deadline_ms)
{
	atomic_store(&j->in_flight, true);
	atomic_store(&j->last_fetch_ms, now_ms());
	int rc = fetch_keys(j, deadline_ms);
	atomic_store(&j->in_flight, false);
	return rc;
}

static void *refresher(void *arg)
{
	struct jwks *j = arg;
	pthread_mutex_lock(&j->lock);
	bool last_ok = j->current != NULL;
	while (!atomic_load(&j->stop)) {
		unsigned wait_s =
			last_ok || j->opts.refetch_cooldown > j->opts.refresh_interval
				? j->opts.refresh_interval
				: j->opts.refetch_cooldown; /* retry sooner while it fails */
		struct timespec until = deadline_after((long long)wait_s * 1000);
		while (!atomic_load(&j->stop) &&
		       pthread_cond_timedwait(&j->wake, &j->lock, &until) != ETIMEDOUT)
			;
		if (atomic_load(&j->stop))
			break;
		pthread_mutex_unlock(&j->lock);
		pthread_mutex_lock(&j->fetching);
		last_ok = fetch_now(j, now_ms() + 2LL * j->opts.fetch_timeout_ms) == 0;
		pthread_mutex_unlock(&j->fetching);
		pthread_mutex_lock(&j->lock);
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

/* Under lock: KID's slot while it is remembered as unknown, else NULL. */
static struct unknown_kid *remembered(struct jwks *j, const char *kid, long long now)
{
	for (size_t i = 0; i < UNKNOWN_KIDS; i++)
		if (j->unknown[i].until_ms > now && strcmp(j->unknown[i].kid, kid ? kid : "") == 0)
			return &j->unknown[i];
	return NULL;
}

/* Remembers KID as unknown for the cooldown, in a free or expired slot, else the oldest one. */
static void remember_unknown(struct jwks *j, const char *kid)
{
	long long now = now_ms();
	pthread_mutex_lock(&j->lock);
	struct unknown_kid *slot = remembered(j, kid, now);
	for (size_t i = 0; !slot && i < UNKNOWN_KIDS; i++)
		if (j->unknown[i].until_ms <= now)
			slot = &j->unknown[i];
	if (!slot) {
		slot = &j->unknown[j->unknown_next];
		j->unknown_next = (j->unknown_next + 1) % UNKNOWN_KIDS;
	}
	snprintf(slot->kid, sizeof slot->kid, "%s", kid ? kid : "");
	slot->until_ms = now + (long long)j->opts.refetch_cooldown * 1000;
	pthread_mutex_unlock(&j->lock);
}

static bool has_kid(const struct keyset *ks, const char *kid)
{
	for (size_t i = 0; ks && i < ks->n; i++)
		if (!kid || !ks->keys[i].kid || strcmp(ks->keys[i].kid, kid) == 0)
			return true;
	return false;
}

bool jwks_fetch_wanted(struct jwks *j, const char *kid)
{
	long long now = now_ms();
	if (!j->remote || atomic_load(&j->in_flight) ||
	    now - atomic_load(&j->last_fetch_ms) < (long long)j->opts.refetch_cooldown * 1000)
		return false;
	pthread_mutex_lock(&j->lock);
	bool known_unknown = remembered(j, kid, now) != NULL;
	pthread_mutex_unlock(&j->lock);
	return !known_unknown;
}

struct keyset *jwks_refetch(struct jwks *j, const char *kid)
{
	if (!jwks_fetch_wanted(j, kid) || pthread_mutex_trylock(&j->fetching) != 0)
		return jwks_current(
			j); /* a fetch in flight, cooling down or a known unknown: answer now */
	if (jwks_fetch_wanted(j, kid)) { /* again, now that no other fetch can begin */
		fetch_now(j, now_ms() + j->opts.wait_ms);
		struct keyset *ks = jwks_current(j);
		if (!has_kid(ks, kid))
			remember_unknown(j, kid); /* even if this fetch outlasted the cooldown */
		keyset_release(ks);
	}
	pthread_mutex_unlock(&j->fetching);
	return jwks_current(j);
}

struct jwks *jwks_remote(const struct jwks_options *opts, char *err, size_t err_len)
{
	struct jwks *j = jwks_alloc();
	if (!j) {
		snprintf(err, err_len, "cannot set up the key fetcher: out of memory");
		return NULL;
	}
	if (http_fetch_init(err, err_len) < 0) { /* err names libcurl and why it did not load */
		free(j);
		return NULL;
	}
	j->opts = *opts;
	j->remote = true;
	j->unknown = calloc(UNKNOWN_KIDS, sizeof *j->unknown);
	j->name = strdup(opts->name);
	j->url = opts->url ? strdup(opts->url) : NULL;
	j->issuer = strdup(opts->issuer);
	if (!j->unknown || !j->name || !j->issuer || (opts->url && !j->url)) {
		jwks_free(j);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	fetch_now(j, now_ms() + 2LL * opts->fetch_timeout_ms);
	if (pthread_create(&j->thread, NULL, refresher, j) != 0) {
		jwks_free(j);
		snprintf(err, err_len, "cannot start the key refresher thread");
		return NULL;
	}
	j->thread_started = true;
	return j;
}

void jwks_free(struct jwks *j)
{
	if (!j)
		return;
	if (j->thread_started) {
		pthread_mutex_lock(&j->lock);
		atomic_store(&j->stop, true);
		pthread_cond_signal(&j->wake);
		pthread_mutex_unlock(&j->lock);
		pthread_join(j->thread, NULL);
	}
	keyset_release(j->current);
	pthread_cond_destroy(&j->wake);
	pthread_mutex_destroy(&j->lock);
	pthread_mutex_destroy(&j->fetching);
	free(j->unknown);
	free(j->name);
	free(j->url);
	free(j->issuer);
	free(j);
}
