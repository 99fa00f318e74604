/* SPDX-License-Identifier: Apache-2.0 */
/* The credential's thread: fetch, keep, sleep until shortly before expiry (or back off), again. */
#include "token/entra.h"

#include "core/clock.h"
#include "core/file.h"
#include "core/log.h"
#include "core/secret.h"
#include "edge/keyless_metrics.h"
#include "token/client_assertion.h"
#include "net/rest_http.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ANSWER (64 * 1024)
#define MAX_ASSERTION (16 * 1024)
#define MAX_TOKEN (16 * 1024)
#define MAX_RETRY_MS 30000

struct entra {
	struct entra_settings s; /* strings below are owned copies */
	struct client_assertion *assertion;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* CLOCK_MONOTONIC */
	atomic_bool stop;
	bool first_done;
	char *token;	      /* secret */
	long long expires_at; /* seconds since the epoch */
	unsigned failures;
	_Atomic uint64_t generation; /* of token: one more each time a fetch brings another */
};

static long long now_s(void)
{
	return (long long)time(NULL);
}

static void deadline_after(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void form_field(struct buf *b, const char *name, const char *value)
{
	if (b->len)
		buf_puts(b, "&");
	buf_puts(b, name);
	buf_puts(b, "=");
	rest_url_encode(b, value);
}

static char *read_assertion(const char *path, char *why, size_t why_len)
{
	size_t len;
	char *text = file_read(path, MAX_ASSERTION, &len, why, why_len);
	while (text && len && strchr("\r\n \t", text[len - 1]))
		text[--len] = '\0';
	if (text && !len) {
		free(text);
		snprintf(why, why_len, "%s is empty", path);
		return NULL;
	}
	return text;
}

/* The form posted to the tenant's token endpoint; NULL with why. */
static char *token_form(struct entra *e, char *why, size_t why_len)
{
	struct buf f = {0};
	char *assertion = NULL;
	if (e->s.kind == ENTRA_WORKLOAD_IDENTITY &&
	    !(assertion = read_assertion(e->s.assertion_file, why, why_len)))
		return NULL;
	if (e->s.kind == ENTRA_CLIENT_CERTIFICATE &&
	    !(assertion = client_assertion_sign(e->assertion, e->s.client_id, e->s.token_url))) {
		snprintf(why, why_len, "cannot sign the client assertion");
		return NULL;
	}
	form_field(&f, "client_id", e->s.client_id);
	form_field(&f, "scope", e->s.scope ? e->s.scope : ENTRA_SCOPE);
	form_field(&f, "grant_type", "client_credentials");
	if (e->s.kind == ENTRA_CLIENT_SECRET) {
		form_field(&f, "client_secret", e->s.client_secret);
	} else {
		form_field(&f, "client_assertion_type",
			   "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
		form_field(&f, "client_assertion", assertion);
	}
	secret_free(assertion);
	char *form = buf_steal(&f);
	if (!form)
		snprintf(why, why_len, "out of memory");
	return form;
}

#define MAX_SECONDS                                                                                \
	(1ll << 40) /* far beyond any token's life; keeps now + expires_in from overflowing */

/* A number, or a string of digits (managed identity sends strings), in 1..MAX_SECONDS; -1 else. */
static long long json_seconds(json_t *v)
{
	const char *s = json_string_value(v);
	char *end = NULL;
	long long n = -1;
	if (json_is_integer(v))
		n = (long long)json_integer_value(v);
	else if (s && *s)
		n = strtoll(s, &end, 10);
	if (end && *end)
		return -1;
	return n > 0 && n <= MAX_SECONDS ? n : -1;
}

static bool token_chars_valid(const char *t)
{
	size_t n = strlen(t);
	for (size_t i = 0; i < n; i++)
		if (t[i] <= ' ' || t[i] > '~' || t[i] == '"' || t[i] == '\\')
			return false;
	return n > 0 && n <= MAX_TOKEN;
}

/* The token and its expiry from the answer, or -1 with why (never the body's text). */
static int read_answer(const struct rest_answer *a, char **token, long long *expires_at, char *why,
		       size_t why_len)
{
	json_t *doc = json_loadb(a->body, a->len, 0, NULL);
	const char *t = json_string_value(json_object_get(doc, "access_token"));
	long long in = json_seconds(json_object_get(doc, "expires_in"));
	long long on = json_seconds(json_object_get(doc, "expires_on"));
	int rc = -1;
	if (a->status != 200) {
		const char *code = json_string_value(json_object_get(doc, "error"));
		bool plain = code && strlen(code) < 64 &&
			     strspn(code, "abcdefghijklmnopqrstuvwxyz_") == strlen(code);
		snprintf(why, why_len, "HTTP status %ld%s%s", a->status, plain ? ", error " : "",
			 plain ? code : "");
	} else if (!t || !token_chars_valid(t)) {
		snprintf(why, why_len, "the answer has no usable access_token");
	} else if (in <= 0 && on <= 0) {
		snprintf(why, why_len, "the answer has neither expires_in nor expires_on");
	} else if (!(*token = strdup(t))) {
		snprintf(why, why_len, "out of memory");
	} else {
		*expires_at = on > 0 ? on : now_s() + in;
		rc = 0;
	}
	if (doc && t) /* jansson keeps its own copy of the token */
		explicit_bzero((char *)t, strlen(t));
	json_decref(doc);
	return rc;
}

static int fetch(struct entra *e, char **token, long long *expires_at, char *why, size_t why_len)
{
	char *form = e->s.kind == ENTRA_MANAGED_IDENTITY ? NULL : token_form(e, why, why_len);
	const char *headers[] = {"Accept: application/json", e->s.identity_header, NULL};
	if (e->s.kind != ENTRA_MANAGED_IDENTITY && !form)
		return -1;
	struct rest_request req = {
		.url = form ? e->s.token_url : e->s.identity_url,
		.headers = headers,
		.body = form,
		.body_len = form ? strlen(form) : 0,
		.content_type = form ? "application/x-www-form-urlencoded" : NULL,
		.ca_file = e->s.ca_file,
		.timeout_ms = e->s.timeout_ms,
		.max_bytes = MAX_ANSWER,
		.stop = &e->stop,
	};
	struct rest_answer a;
	int rc = rest_exchange(NULL, &req, &a);
	if (rc < 0)
		snprintf(why, why_len, "%s", a.err);
	else
		rc = read_answer(&a, token, expires_at, why, why_len);
	rest_answer_clear(&a);
	secret_free(form);
	return rc;
}

/* When to fetch again after a token that lives `left` more seconds: 5 minutes before it expires,
 * or half way for short-lived tokens. */
static unsigned refresh_after_ms(long long left)
{
	if (left <= 1)
		return 500;
	long long ms = left > 600 ? (left - 300) * 1000 : left * 500;
	return ms > 3600 * 1000 ? 3600 * 1000 : (unsigned)ms;
}

static bool same_token(const char *held, const char *fetched)
{
	size_t n = held ? strlen(held) : 0;
	return n && n == strlen(fetched) && secret_equal(held, fetched, n);
}

static unsigned after_fetch(struct entra *e, int rc, char *token, long long expires_at,
			    const char *why)
{
	metrics_entra_refresh(rc == 0);
	if (rc == 0) {
		if (!same_token(e->token, token)) /* IMDS answers its cached token again */
			atomic_fetch_add(&e->generation, 1);
		secret_free(e->token);
		e->token = token;
		e->expires_at = expires_at;
		if (e->failures)
			log_info("%s: Microsoft Entra ID token fetched again", e->s.service);
		e->failures = 0;
		return refresh_after_ms(expires_at - now_s());
	}
	unsigned delay = e->s.retry_ms << (e->failures < 10 ? e->failures : 10);
	delay = delay > MAX_RETRY_MS ? MAX_RETRY_MS : delay;
	e->failures++;
	long long left = e->token ? e->expires_at - now_s() : 0;
	if (left > 0)
		log_warning("%s: Microsoft Entra ID token fetch failed (%s); the current token "
			    "serves %lld s more; "
			    "retry in %u ms",
			    e->s.service, why, left, delay);
	else
		log_error("%s: Microsoft Entra ID token fetch failed (%s); no valid token, %s; "
			  "retry in %u ms",
			  e->s.service, why,
			  e->s.without ? e->s.without : "the service answers 503", delay);
	return delay;
}

static void *run(void *arg)
{
	struct entra *e = arg;
	pthread_mutex_lock(&e->lock);
	while (!atomic_load(&e->stop)) {
		char *token = NULL, why[200] = "";
		long long expires_at = 0;
		pthread_mutex_unlock(&e->lock);
		int rc = fetch(e, &token, &expires_at, why, sizeof why);
		pthread_mutex_lock(&e->lock);
		if (atomic_load(&e->stop)) {
			secret_free(token);
			break;
		}
		struct timespec until;
		deadline_after(&until, after_fetch(e, rc, token, expires_at, why));
		e->first_done = true;
		pthread_cond_broadcast(&e->wake);
		while (!atomic_load(&e->stop) &&
		       pthread_cond_timedwait(&e->wake, &e->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

static char *dup_or_null(const char *s, bool *failed)
{
	char *d = s ? strdup(s) : NULL;
	*failed |= s && !d;
	return d;
}

static void free_settings(struct entra_settings *s)
{
	free((char *)s->service);
	free((char *)s->scope);
	free((char *)s->without);
	free((char *)s->token_url);
	free((char *)s->client_id);
	secret_free((char *)s->client_secret);
	free((char *)s->assertion_file);
	secret_free((char *)s->certificate_pem);
	free((char *)s->identity_url);
	secret_free((char *)s->identity_header);
	free((char *)s->ca_file);
}

static int copy_settings(struct entra_settings *d, const struct entra_settings *s)
{
	bool failed = false;
	*d = *s;
	d->service = dup_or_null(s->service, &failed);
	d->scope = dup_or_null(s->scope, &failed);
	d->without = dup_or_null(s->without, &failed);
	d->token_url = dup_or_null(s->token_url, &failed);
	d->client_id = dup_or_null(s->client_id, &failed);
	d->client_secret = dup_or_null(s->client_secret, &failed);
	d->assertion_file = dup_or_null(s->assertion_file, &failed);
	d->certificate_pem = dup_or_null(s->certificate_pem, &failed);
	d->identity_url = dup_or_null(s->identity_url, &failed);
	d->identity_header = dup_or_null(s->identity_header, &failed);
	d->ca_file = dup_or_null(s->ca_file, &failed);
	return failed ? -1 : 0;
}

static struct entra *entra_new(const struct entra_settings *s, char *err, size_t err_len)
{
	struct entra *e = calloc(1, sizeof *e);
	if (!e || copy_settings(&e->s, s) < 0) {
		if (e)
			free_settings(&e->s);
		free(e);
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&e->lock, NULL);
	cond_init_monotonic(&e->wake);
	if (s->kind == ENTRA_CLIENT_CERTIFICATE &&
	    !(e->assertion = client_assertion_new(s->certificate_pem, err, err_len))) {
		entra_stop(e);
		return NULL;
	}
	return e;
}

struct entra *entra_start(const struct entra_settings *s, char *err, size_t err_len)
{
	struct entra *e = entra_new(s, err, err_len);
	if (!e)
		return NULL;
	if (pthread_create(&e->thread, NULL, run, e) != 0) {
		snprintf(err, err_len, "cannot start the credential's thread");
		entra_stop(e);
		return NULL;
	}
	e->started = true;
	struct timespec until;
	deadline_after(&until, (unsigned)s->timeout_ms + 500);
	pthread_mutex_lock(
		&e->lock); /* a reload keeps serving: the new snapshot starts with a token */
	while (!e->first_done && pthread_cond_timedwait(&e->wake, &e->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&e->lock);
	return e;
}

void entra_stop(struct entra *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	atomic_store(&e->stop, true);
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	if (e->started)
		pthread_join(e->thread, NULL);
	client_assertion_free(e->assertion);
	secret_free(e->token);
	free_settings(&e->s);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->wake);
	free(e);
}

int entra_token(struct entra *e, struct buf *out)
{
	uint64_t generation;
	long long expires_at;
	return entra_token_of(e, out, &generation, &expires_at);
}

int entra_token_of(struct entra *e, struct buf *out, uint64_t *generation, long long *expires_at)
{
	pthread_mutex_lock(&e->lock);
	bool valid = e->token && e->expires_at > now_s();
	if (valid)
		buf_puts(out, e->token);
	*generation = atomic_load(&e->generation);
	*expires_at = e->expires_at;
	pthread_mutex_unlock(&e->lock);
	return valid && !out->failed ? 0 : -1;
}

uint64_t entra_generation(struct entra *e)
{
	return atomic_load(&e->generation);
}

bool entra_ready(struct entra *e)
{
	struct buf b = {0};
	int rc = entra_token(e, &b);
	buf_free_secret(&b);
	return rc == 0;
}
