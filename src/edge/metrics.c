/* SPDX-License-Identifier: Apache-2.0 */
/* The counters behind GET /metrics: fixed arrays indexed by label slot, relaxed atomics, and a
 * renderer. Label values are bounded: configured hub and authenticator names, fixed words. */
#include "edge/metrics.h"

#include "core/names.h"
#include "edge/gate_metrics.h"
#include "edge/keyless_metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef _Atomic uint64_t counter;

static const unsigned statuses[] = {200, 204, 400, 401, 403, 404, 405,
				    413, 414, 429, 431, 500, 503};
#define N_STATUS (sizeof statuses / sizeof statuses[0] + 1) /* the last one is "other" */

/* Upper bounds of the latency buckets, in microseconds; +Inf follows. */
static const uint64_t bucket_us[] = {100,   250,   500,	  1000,	  2500,	  5000,
				     10000, 25000, 50000, 100000, 250000, 1000000};
#define N_BUCKETS (sizeof bucket_us / sizeof bucket_us[0] + 1)

static const char *const outcome_names[] = {"declined", "ok", "deny", "error"};

/* Label values by slot, and a hash index of them so registering N names costs N lookups. */
struct names {
	pthread_mutex_t lock; /* registration, and rendering (which reads items) */
	const char *first;    /* the label of slot 0 */
	unsigned max;
	char **items;	    /* items[0] unused */
	unsigned *index;    /* open addressing: slot, 0 for empty; twice the slots at least */
	size_t index_mask;  /* index size - 1 */
	_Atomic unsigned n; /* published after items[n - 1] is set */
};

static struct names hub_names = {
	PTHREAD_MUTEX_INITIALIZER, "unknown", METRICS_MAX_HUBS, NULL, NULL, 0, 1};
static struct names auth_names = {
	PTHREAD_MUTEX_INITIALIZER, "other", METRICS_MAX_AUTHS, NULL, NULL, 0, 1};

/* A hub's counters, in chunks allocated as hubs are registered: a chunk never moves, so the
 * request path bumps them without a lock. */
struct hub_counters {
	counter requests[N_STATUS];
	counter tokens;
	counter limited[2];
	counter revoked;
};
#define CHUNK 256
static struct hub_counters first_chunk[CHUNK];
static struct hub_counters *chunks[METRICS_MAX_HUBS / CHUNK] = {first_chunk};

static counter auth_outcomes[METRICS_MAX_AUTHS][4];
static counter latency[N_BUCKETS];
static counter latency_sum_ns, reloads, reload_failures, jwks_failures;

static struct hub_counters *hub_counters(unsigned slot)
{
	slot %= METRICS_MAX_HUBS;
	return &chunks[slot / CHUNK][slot % CHUNK];
}

static void bump(counter *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static uint64_t read_counter(counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static size_t index_of(const struct names *t, const char *name)
{
	return (size_t)name_hash(name) & t->index_mask;
}

static unsigned index_find(const struct names *t, const char *name)
{
	for (size_t i = t->index ? index_of(t, name) : 0; t->index && t->index[i];
	     i = (i + 1) & t->index_mask)
		if (strcmp(t->items[t->index[i]], name) == 0)
			return t->index[i];
	return 0;
}

static void index_place(struct names *t, unsigned slot)
{
	size_t i = index_of(t, t->items[slot]);
	while (t->index[i])
		i = (i + 1) & t->index_mask;
	t->index[i] = slot;
}

/* Room for slot n: items doubled at each power of two, the index kept at most half full, and the
 * slot's counter chunk. 0, or -1 when out of memory. */
static int make_room(struct names *t, unsigned n, bool hub)
{
	char **items = t->items;
	if ((n & (n - 1)) == 0 && !(items = realloc(items, 2 * (size_t)n * sizeof *items)))
		return -1;
	t->items = items;
	if (2 * (size_t)n >= t->index_mask) {
		size_t size = t->index ? 2 * (t->index_mask + 1) : 64;
		unsigned *index = calloc(size, sizeof *index);
		if (!index)
			return -1;
		free(t->index);
		t->index = index, t->index_mask = size - 1;
		for (unsigned s = 1; s < n; s++)
			index_place(t, s);
	}
	if (hub && !chunks[n / CHUNK] && !(chunks[n / CHUNK] = calloc(CHUNK, sizeof *chunks[0])))
		return -1; /* chunks are kept for the life of the process, like the names */
	return 0;
}

static unsigned slot_of(struct names *t, const char *name)
{
	pthread_mutex_lock(&t->lock);
	unsigned n = atomic_load(&t->n), slot = index_find(t, name);
	if (!slot && n < t->max && make_room(t, n, t == &hub_names) == 0 &&
	    (t->items[n] = strdup(name))) {
		slot = n;
		index_place(t, slot);
		atomic_store(
			&t->n,
			n + 1); /* names are kept for the life of the process: bounded by the cap */
	}
	pthread_mutex_unlock(&t->lock);
	return slot;
}

unsigned metrics_hub_slot(const char *hub)
{
	return slot_of(&hub_names, hub);
}

unsigned metrics_auth_slot(const char *auth)
{
	return slot_of(&auth_names, auth);
}

static unsigned status_index(unsigned status)
{
	for (unsigned i = 0; i < N_STATUS - 1; i++)
		if (statuses[i] == status)
			return i;
	return N_STATUS - 1;
}

void metrics_request(unsigned hub_slot, unsigned status, uint64_t duration_ns)
{
	unsigned b = 0;
	while (b < N_BUCKETS - 1 && duration_ns > bucket_us[b] * 1000)
		b++;
	bump(&hub_counters(hub_slot)->requests[status_index(status)]);
	bump(&latency[b]);
	atomic_fetch_add_explicit(&latency_sum_ns, duration_ns, memory_order_relaxed);
}

void metrics_auth(unsigned auth_slot, enum ngd_auth_result result)
{
	if ((unsigned)result < 4)
		bump(&auth_outcomes[auth_slot % METRICS_MAX_AUTHS][result]);
}

void metrics_token_issued(unsigned hub_slot)
{
	bump(&hub_counters(hub_slot)->tokens);
}

void metrics_rate_limited(unsigned hub_slot, enum rate_limit_kind kind)
{
	bump(&hub_counters(hub_slot)->limited[kind == RATE_LIMIT_USER ? 0 : 1]);
}

void metrics_revoked(unsigned hub_slot)
{
	bump(&hub_counters(hub_slot)->revoked);
}

void metrics_reload(bool ok)
{
	bump(ok ? &reloads : &reload_failures);
}

void metrics_jwks_refresh_failed(void)
{
	bump(&jwks_failures);
}

/* A label value: names are validated at configuration time, but escape as the format says. */
static void label(struct buf *out, const char *value)
{
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			buf_append(out, "\\", 1);
		if (*value == '\n')
			buf_puts(out, "\\n");
		else
			buf_append(out, value, 1);
	}
}

static const char *name_at(struct names *t, unsigned slot)
{
	return slot ? t->items[slot] : t->first;
}

static void header(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP negotiated_%s %s\n# TYPE negotiated_%s %s\n", name, help, name,
		   type);
}

static void render_requests(struct buf *out, unsigned n_hubs)
{
	header(out, "requests_total", "counter", "Answers to /negotiate by hub and HTTP status.");
	for (unsigned h = 0; h < n_hubs; h++)
		for (unsigned s = 0; s < N_STATUS; s++) {
			uint64_t v = read_counter(&hub_counters(h)->requests[s]);
			if (!v)
				continue;
			buf_puts(out, "negotiated_requests_total{hub=\"");
			label(out, name_at(&hub_names, h));
			if (s < N_STATUS - 1)
				buf_printf(out, "\",status=\"%u\"} %llu\n", statuses[s],
					   (unsigned long long)v);
			else
				buf_printf(out, "\",status=\"other\"} %llu\n",
					   (unsigned long long)v);
		}
}

static void render_hub_counters(struct buf *out, unsigned n_hubs)
{
	header(out, "tokens_issued_total", "counter", "Client access tokens issued, by hub.");
	for (unsigned h = 1; h < n_hubs; h++) {
		buf_puts(out, "negotiated_tokens_issued_total{hub=\"");
		label(out, name_at(&hub_names, h));
		buf_printf(out, "\"} %llu\n",
			   (unsigned long long)read_counter(&hub_counters(h)->tokens));
	}
	header(out, "rate_limited_total", "counter",
	       "Requests refused with 429, by hub and limit.");
	for (unsigned h = 1; h < n_hubs; h++)
		for (unsigned k = 0; k < 2; k++) {
			buf_puts(out, "negotiated_rate_limited_total{hub=\"");
			label(out, name_at(&hub_names, h));
			buf_printf(out, "\",limit=\"%s\"} %llu\n", k ? "address" : "user",
				   (unsigned long long)read_counter(&hub_counters(h)->limited[k]));
		}
	header(out, "revoked_total", "counter",
	       "Requests refused with 403 revoked (the revocation list), by hub.");
	for (unsigned h = 1; h < n_hubs; h++) {
		buf_puts(out, "negotiated_revoked_total{hub=\"");
		label(out, name_at(&hub_names, h));
		buf_printf(out, "\"} %llu\n",
			   (unsigned long long)read_counter(&hub_counters(h)->revoked));
	}
}

static void render_auth(struct buf *out)
{
	unsigned n = atomic_load(&auth_names.n);
	header(out, "auth_outcomes_total", "counter",
	       "Authenticator answers, by [auth:NAME] and outcome.");
	for (unsigned a = 1; a < n; a++)
		for (unsigned o = 0; o < 4; o++) {
			buf_puts(out, "negotiated_auth_outcomes_total{authenticator=\"");
			label(out, name_at(&auth_names, a));
			buf_printf(out, "\",outcome=\"%s\"} %llu\n", outcome_names[o],
				   (unsigned long long)read_counter(&auth_outcomes[a][o]));
		}
}

static void render_latency(struct buf *out)
{
	uint64_t cumulative = 0;
	header(out, "request_duration_seconds", "histogram",
	       "Time to answer /negotiate, from request to reply.");
	for (unsigned b = 0; b < N_BUCKETS; b++) {
		cumulative += read_counter(&latency[b]);
		if (b < N_BUCKETS - 1)
			buf_printf(out,
				   "negotiated_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
				   (double)bucket_us[b] / 1e6, (unsigned long long)cumulative);
		else
			buf_printf(out,
				   "negotiated_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
				   (unsigned long long)cumulative);
	}
	buf_printf(out, "negotiated_request_duration_seconds_sum %.9f\n",
		   (double)read_counter(&latency_sum_ns) / 1e9);
	buf_printf(out, "negotiated_request_duration_seconds_count %llu\n",
		   (unsigned long long)cumulative);
}

static void render_single(struct buf *out, const char *name, const char *help, counter *c)
{
	header(out, name, "counter", help);
	buf_printf(out, "negotiated_%s %llu\n", name, (unsigned long long)read_counter(c));
}

void metrics_render(struct buf *out)
{
	pthread_mutex_lock(&hub_names.lock); /* a reload may be growing the names */
	unsigned n_hubs = atomic_load(&hub_names.n);
	render_requests(out, n_hubs);
	render_hub_counters(out, n_hubs);
	pthread_mutex_unlock(&hub_names.lock);
	pthread_mutex_lock(&auth_names.lock);
	render_auth(out);
	pthread_mutex_unlock(&auth_names.lock);
	render_latency(out);
	render_single(out, "reloads_total", "Configuration reloads that took over.", &reloads);
	render_single(out, "reload_failures_total",
		      "Reloads refused; the running configuration kept serving.", &reload_failures);
	render_single(out, "jwks_refresh_errors_total", "JWKS refreshes that failed.",
		      &jwks_failures);
	keyless_metrics_render(out);
	gate_metrics_render(out);
}
