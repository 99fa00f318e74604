/* SPDX-License-Identifier: Apache-2.0 */
/* One job per (revocation, hub): its REST calls one after the other, each retried with backoff. */
#include "negotiate/close_user.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/pool.h"
#include "edge/gate_metrics.h"
#include "net/rest_http.h"
#include "runtime/snapshot.h"
#include "token/rest_close.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define CLOSE_THREADS 2
#define CLOSE_QUEUE 256
#define DEFAULT_TIMEOUT_MS 5000 /* an access-key service has no rest_timeout of its own */
static const unsigned backoff_ms[] = {500, 1000, 2000}; /* before the 2nd, 3rd, 4th attempt */
#define ATTEMPTS (1 + sizeof backoff_ms / sizeof backoff_ms[0])

static struct pool *pool;
static atomic_bool stopping;
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sleep_cond;

struct close_job {
	struct work work;
	struct runtime *rt; /* a counted reference: the hub and its service live as long */
	size_t hub;	    /* index in rt->hubs */
	bool groups;	    /* removeUserFromAllGroups too */
	char user[];
};

int close_user_start(void)
{
	cond_init_monotonic(&sleep_cond);
	pool = pool_new("revoke", "close", "REST calls", CLOSE_THREADS, CLOSE_QUEUE);
	return pool ? 0 : -1;
}

void close_user_stop(void)
{
	atomic_store(&stopping, true);
	pthread_mutex_lock(&sleep_lock);
	pthread_cond_broadcast(&sleep_cond);
	pthread_mutex_unlock(&sleep_lock);
	pool_free(pool);
	pool = NULL;
}

/* Sleeps ms unless shutdown begins; false when it did. */
static bool pause_ms(unsigned ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&sleep_lock);
	while (!atomic_load(&stopping) &&
	       pthread_cond_timedwait(&sleep_cond, &sleep_lock, &until) == 0)
		;
	pthread_mutex_unlock(&sleep_lock);
	return !atomic_load(&stopping);
}

static void target_of(const struct runtime *rt, const struct hub *hub, struct rest_close_target *t)
{
	const struct service *s = hub->service;
	long pos = config_service_pos(rt->cfg, s->name);
	const struct config_service *cs = pos >= 0 ? rt->cfg->services[pos] : NULL;
	bool keyless = s->rest != NULL;
	*t = (struct rest_close_target){
		.http_base = s->endpoint.http_base,
		.key = s->signer,
		.keyless = s->rest,
		.ca_file = keyless && cs ? cs->keyless.tls_ca_file : NULL,
		.timeout_ms = keyless && cs ? (long)cs->keyless.rest_timeout : DEFAULT_TIMEOUT_MS,
		.stop = &stopping,
	};
}

/* One call with its retries: true when the service accepted it. */
static bool call_with_retries(const struct rest_close_target *t, enum rest_close_call call,
			      const char *hub, const char *user)
{
	enum close_metric_call metric =
		call == CLOSE_CONNECTIONS ? CLOSE_METRIC_CONNECTIONS : CLOSE_METRIC_GROUPS;
	const char *name = rest_close_call_name(call);
	char why[200];
	long status;
	for (unsigned attempt = 1; attempt <= ATTEMPTS; attempt++) {
		enum rest_close_result r =
			rest_close_once(t, call, hub, user, &status, why, sizeof why);
		if (r == CLOSE_OK) {
			metrics_revoke_close(metric, CLOSE_METRIC_OK);
			log_info("revoke: %s hub=%s user=%s: done (%s, attempt %u)", name, hub,
				 user, why, attempt);
			return true;
		}
		if (r == CLOSE_REFUSED || attempt == ATTEMPTS || atomic_load(&stopping)) {
			metrics_revoke_close(metric, CLOSE_METRIC_FAILED);
			log_error(
				"revoke: %s hub=%s user=%s failed after %u attempt%s (%s)%s", name,
				hub, user, attempt, attempt == 1 ? "" : "s", why,
				status == 401 || status == 403
					? ": the service refused the credential (an access key "
					  "that is no longer valid, or a keyless identity without "
					  "the Web PubSub Service Owner role)"
					: ": the user's open connections stay until they end; "
					  "run negotiated revoke --close again");
			return false;
		}
		metrics_revoke_close(metric, CLOSE_METRIC_RETRIED);
		log_warning("revoke: %s hub=%s user=%s: attempt %u failed (%s); retrying in %u ms",
			    name, hub, user, attempt, why, backoff_ms[attempt - 1]);
		if (!pause_ms(backoff_ms[attempt - 1]))
			attempt = ATTEMPTS - 1; /* shutting down: one last try is the next */
	}
	return false;
}

static void job_run(struct work *w)
{
	struct close_job *job = (struct close_job *)w;
	const struct hub *hub = &job->rt->hubs[job->hub];
	struct rest_close_target t;
	target_of(job->rt, hub, &t);
	const char *name = hub->cfg->head.name;
	if (call_with_retries(&t, CLOSE_CONNECTIONS, name, job->user) && job->groups)
		call_with_retries(&t, REMOVE_FROM_GROUPS, name, job->user);
	else if (job->groups)
		log_error("revoke: removeUserFromAllGroups hub=%s user=%s not attempted: "
			  "closeUserConnections failed",
			  name, job->user);
	runtime_release(job->rt);
	free(job);
}

static void job_cancel(struct work *w)
{
	struct close_job *job = (struct close_job *)w;
	log_error("revoke: closeUserConnections hub=%s user=%s not attempted: shutting down",
		  job->rt->hubs[job->hub].cfg->head.name, job->user);
	metrics_revoke_close(CLOSE_METRIC_CONNECTIONS, CLOSE_METRIC_FAILED);
	runtime_release(job->rt);
	free(job);
}

/* Whether the revocation closes connections on hub H. */
static bool applies(const struct hub *h, const struct revocation *e, bool close)
{
	if (e->hub[0] && strcmp(e->hub, h->cfg->head.name) != 0)
		return false;
	return close || h->cfg->close_on_revoke == 1;
}

static void queue_one(struct runtime *rt, size_t hub, const char *user)
{
	size_t n = strlen(user) + 1;
	struct close_job *job = malloc(sizeof *job + n);
	const char *name = rt->hubs[hub].cfg->head.name;
	if (job) {
		*job = (struct close_job){
			.work = {.run = job_run, .cancel = job_cancel},
			.rt = runtime_ref(rt),
			.hub = hub,
			.groups = rt->hubs[hub].cfg->remove_from_groups_on_revoke == 1};
		memcpy(job->user, user, n);
	}
	if (job && pool && pool_submit(pool, &job->work) == 0)
		return;
	metrics_revoke_close(CLOSE_METRIC_CONNECTIONS, CLOSE_METRIC_BUSY);
	log_error("revoke: closeUserConnections hub=%s user=%s not queued (%s): run negotiated "
		  "revoke --close again",
		  name, user, job ? "the close pool is busy" : "out of memory");
	if (job)
		runtime_release(job->rt);
	free(job);
}

void close_user_observe(void *ctx, const struct revocation *entry, bool lifted, bool close)
{
	(void)ctx;
	char why[300];
	if (lifted)
		return;
	if (close_user_hubs(entry, close) == 0) {
		if (close) /* the operator asked: say why nothing happens */
			log_warning(
				"revoke: --close for user=%s: no configured hub%s%s, nothing to "
				"close",
				entry->user, entry->hub[0] ? " named " : "", entry->hub);
		return;
	}
	/* libcurl is loaded on first use: a configuration that never closes never maps it */
	if (rest_http_load(why, sizeof why) < 0) {
		metrics_revoke_close(CLOSE_METRIC_CONNECTIONS, CLOSE_METRIC_FAILED);
		log_error("revoke: closeUserConnections user=%s not attempted: %s", entry->user,
			  why);
		return;
	}
	struct runtime *rt = runtime_acquire();
	for (size_t i = 0; rt && i < rt->n_hubs; i++)
		if (applies(&rt->hubs[i], entry, close))
			queue_one(rt, i, entry->user);
	runtime_release(rt);
}

unsigned close_user_hubs(const struct revocation *entry, bool close)
{
	struct runtime *rt = runtime_acquire();
	unsigned n = 0;
	for (size_t i = 0; rt && i < rt->n_hubs; i++)
		n += applies(&rt->hubs[i], entry, close);
	runtime_release(rt);
	return n;
}
