/* SPDX-License-Identifier: Apache-2.0 */
/* generateToken calls: one per distinct ask in flight, at most `concurrency` per service. */
#include "token/rest_signer.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/secret.h"
#include "edge/keyless_metrics.h"
#include "net/rest_http.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ANSWER (32 * 1024)
#define MAX_TOKEN (16 * 1024)
#define CACHE_MAX_AGE_S 60 /* and at most a tenth of the token's lifetime */
#define LOG_EVERY_S 5 /* a failing service must not flood the log: the metrics count every call */

struct flight {
	char *key; /* the request path: the exact ask */
	pthread_cond_t done;
	bool finished;
	enum issue_result result;
	char *token;   /* secret */
	unsigned refs; /* the caller and its joiners */
	struct flight *next;
};

struct cached {
	char *key;
	char *token;	       /* secret */
	long long reuse_until; /* monotonic seconds */
};

struct rest_signer {
	struct rest_settings s;
	char *base; /* http_base: "https://host/" */
	struct entra *entra;
	pthread_mutex_t lock;
	struct flight *flights;
	unsigned calls, waiters;
	void **handles; /* keep-alive connections, one per concurrent call */
	unsigned n_handles;
	struct cached *cache;
	unsigned cache_next;
	struct store *store; /* the fleet's cache and lock; NULL: this instance alone */
	_Atomic long long quiet_until[REST_N_OUTCOMES]; /* monotonic s: one line per outcome per
							   LOG_EVERY_S */
};

static long long mono_s(void)
{
	return (long long)(monotonic_ns() / 1000000000u);
}

struct rest_signer *rest_signer_new(const struct endpoint *ep, const struct rest_settings *s,
				    struct entra *entra)
{
	struct rest_signer *rs = calloc(1, sizeof *rs);
	if (rs) {
		rs->s = *s;
		rs->s.service = strdup(s->service);
		rs->s.ca_file = s->ca_file ? strdup(s->ca_file) : NULL;
		rs->base = strdup(ep->http_base);
		rs->handles = calloc(s->concurrency, sizeof *rs->handles);
		rs->cache = s->cache ? calloc(s->cache, sizeof *rs->cache) : NULL;
		rs->entra = entra;
		pthread_mutex_init(&rs->lock, NULL);
	}
	if (!rs || !rs->s.service || (s->ca_file && !rs->s.ca_file) || !rs->base || !rs->handles ||
	    (s->cache && !rs->cache)) {
		if (!rs)
			entra_stop(entra);
		rest_signer_free(rs);
		return NULL;
	}
	return rs;
}

void rest_signer_free(struct rest_signer *rs)
{
	if (!rs)
		return;
	entra_stop(rs->entra);
	for (unsigned i = 0; i < rs->n_handles; i++)
		rest_handle_free(rs->handles[i]);
	for (unsigned i = 0; rs->cache && i < rs->s.cache; i++) {
		free(rs->cache[i].key);
		secret_free(rs->cache[i].token);
	}
	free(rs->cache);
	free(rs->handles);
	free(rs->base);
	free((char *)rs->s.service);
	free((char *)rs->s.ca_file);
	pthread_mutex_destroy(&rs->lock);
	free(rs);
}

bool rest_signer_ready(struct rest_signer *rs)
{
	return entra_ready(rs->entra);
}

int rest_signer_bearer(struct rest_signer *rs, struct buf *out)
{
	buf_puts(out, "Bearer ");
	return entra_token(rs->entra, out);
}

static void query_list(struct buf *out, const char *name, const char *const *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		buf_printf(out, "&%s=", name);
		rest_url_encode(out, items[i]);
	}
}

void rest_request_path(const struct token_claims *c, struct buf *out)
{
	/* the SDK's order: api-version, userId, role*, minutesToExpire, group*, clientType */
	buf_puts(out, "api/hubs/");
	rest_url_encode(out, c->hub);
	buf_puts(out, "/:generateToken?api-version=" REST_API_VERSION);
	if (c->user_id) {
		buf_puts(out, "&userId=");
		rest_url_encode(out, c->user_id);
	}
	query_list(out, "role", c->roles, c->n_roles);
	buf_printf(out, "&minutesToExpire=%u", c->ttl_minutes);
	query_list(out, "group", c->groups, c->n_groups);
	buf_printf(out, "&clientType=%s", client_protocol_name(c->protocol));
}

/* Three non-empty base64url parts: the token goes into the answer's JSON as it stands. */
static bool jwt_shaped(const char *t)
{
	static const char b64url[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(t);
	if (n == 0 || n > MAX_TOKEN)
		return false;
	for (int part = 0; part < 3; part++) {
		size_t run = strspn(t, b64url);
		if (run == 0 || (part < 2 && t[run] != '.') || (part == 2 && t[run] != '\0'))
			return false;
		t += run + (part < 2);
	}
	return true;
}

static enum rest_outcome read_token(const struct rest_answer *a, char **token)
{
	if (a->status == 401 || a->status == 403)
		return REST_DENIED;
	if (a->status != 200)
		return REST_HTTP_ERROR;
	json_t *doc = json_loadb(a->body, a->len, JSON_REJECT_DUPLICATES, NULL);
	const char *t = json_string_value(json_object_get(doc, "token"));
	enum rest_outcome o =
		json_is_object(doc) && t && jwt_shaped(t) ? REST_OK : REST_INVALID_ANSWER;
	if (o == REST_OK && !(*token = strdup(t)))
		o = REST_INVALID_ANSWER;
	if (t)
		explicit_bzero((char *)t, strlen(t));
	json_decref(doc);
	return o;
}

/* True for the first line about outcome o in each LOG_EVERY_S seconds. */
static bool may_log(struct rest_signer *rs, enum rest_outcome o)
{
	long long now = mono_s(), until = atomic_load(&rs->quiet_until[o]);
	return now >= until &&
	       atomic_compare_exchange_strong(&rs->quiet_until[o], &until, now + LOG_EVERY_S);
}

static void log_outcome(struct rest_signer *rs, enum rest_outcome o, const struct rest_answer *a)
{
	if (o == REST_OK || !may_log(rs, o))
		return;
	if (o == REST_DENIED)
		log_error("%s: generateToken was refused with HTTP %ld: give the daemon's identity "
			  "the role \"Web "
			  "PubSub Service Owner\" (permission "
			  "Microsoft.SignalRService/WebPubSub/clientConnection/"
			  "generateToken/action) on the resource; callers get 503",
			  rs->s.service, a->status);
	else if (o == REST_HTTP_ERROR)
		log_warning("%s: generateToken answered HTTP %ld; callers get 503", rs->s.service,
			    a->status);
	else if (o == REST_INVALID_ANSWER)
		log_warning("%s: generateToken answered 200 without {\"token\":\"<JWT>\"}; refused",
			    rs->s.service);
	else if (o == REST_UNREACHABLE)
		log_warning("%s: generateToken failed: %s; callers get 503", rs->s.service, a->err);
}

/* The one REST call of a flight; handle is this call's keep-alive connection. */
static enum issue_result call(struct rest_signer *rs, void *handle, const char *path, char **token)
{
	struct buf bearer = {0}, auth = {0}, url = {0}, request_id = {0};
	unsigned char id[16];
	enum rest_outcome o = REST_NO_CREDENTIAL;
	struct rest_answer a = {0};
	if (entra_token(rs->entra, &bearer) == 0) {
		random_bytes(id, sizeof id);
		id[6] = (id[6] & 0x0f) | 0x40,
		id[8] = (id[8] & 0x3f) | 0x80; /* a v4 UUID, as the SDK sends */
		buf_printf(&request_id, "x-ms-client-request-id: %08x-%04x-%04x-%04x-%04x%08x",
			   (unsigned)id[0] << 24 | id[1] << 16 | id[2] << 8 | id[3],
			   id[4] << 8 | id[5], id[6] << 8 | id[7], id[8] << 8 | id[9],
			   id[10] << 8 | id[11],
			   (unsigned)id[12] << 24 | id[13] << 16 | id[14] << 8 | id[15]);
		buf_printf(&auth, "Authorization: Bearer %s", bearer.data);
		buf_printf(&url, "%s%s", rs->base, path);
		const char *headers[] = {"Accept: application/json, text/json", auth.data,
					 request_id.data, NULL};
		struct rest_request req = {.url = url.data,
					   .headers = headers,
					   .body = "",
					   .ca_file = rs->s.ca_file,
					   .timeout_ms = rs->s.timeout_ms,
					   .max_bytes = MAX_ANSWER};
		o = auth.failed || url.failed || request_id.failed ? REST_UNREACHABLE
		    : rest_exchange(handle, &req, &a) < 0	   ? REST_UNREACHABLE
								   : read_token(&a, token);
		metrics_rest_call(o, a.seconds);
		log_outcome(rs, o, &a);
	} else {
		metrics_rest_call(o, -1);
		if (may_log(rs, o))
			log_warning("%s: no valid Microsoft Entra ID token; callers get 503",
				    rs->s.service);
	}
	rest_answer_clear(&a);
	buf_free_secret(&bearer);
	buf_free_secret(&auth);
	buf_free(&url);
	buf_free(&request_id);
	return o == REST_OK ? ISSUE_OK : ISSUE_UNAVAILABLE;
}

void rest_signer_share(struct rest_signer *rs, struct store *st)
{
	rs->store = st;
}

/* What the fleet's cache said for an ask (docs/several-instances.md). */
enum fleet_step {
	FLEET_FOUND, /* a token another instance fetched: *token */
	FLEET_LEAD,  /* this instance holds the fleet's lock for the ask: call, then share */
	FLEET_ALONE, /* no store, the store failed (keyless_on_failure open), or the wait ran out */
	FLEET_FAILED, /* the store failed and keyless_on_failure is closed */
};

#define FLEET_POLL_MS 25

/* A cached value that is shaped as a JWT (three base64url parts): anything else is not used. */
static bool token_shaped(const char *t, size_t len)
{
	size_t dots = 0;
	for (size_t i = 0; i < len; i++) {
		if (t[i] == '.')
			dots++;
		else if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
				 t[i]))
			return false;
	}
	return len > 4 && dots == 2;
}

/* The store keys of an ask: the token's and the lock's, over the endpoint and the exact path. */
static int fleet_keys(struct rest_signer *rs, const char *ask, char *key, char *lock, size_t cap)
{
	struct buf text = {0};
	buf_puts(&text, rs->base);
	buf_puts(&text, ask);
	int rc = text.failed || store_keyless_key(rs->store, "token", text.data, key, cap) < 0 ||
				 store_keyless_key(rs->store, "lock", text.data, lock, cap) < 0
			 ? -1
			 : 0;
	buf_free(&text);
	return rc;
}

/* Reads the fleet's token for the ask, or takes its lock, or waits (bounded) for the instance
 * that holds it. Lock not held. */
static enum fleet_step fleet_find(struct rest_signer *rs, const char *key, const char *lock,
				  char **token)
{
	char *found = malloc(MAX_TOKEN);
	size_t len = 0;
	unsigned wait_ms = (unsigned)rs->s.timeout_ms + 500;
	uint64_t until = monotonic_ns() + (uint64_t)wait_ms * 1000000u;
	int got = -1;
	while (found) {
		got = store_get(rs->store, key, found, MAX_TOKEN, &len);
		if (got == 1 && token_shaped(found, len)) {
			*token = found;
			return FLEET_FOUND;
		}
		int set = got < 0 ? -1 : store_set(rs->store, lock, "1", wait_ms + 500, true);
		if (set != 0 || monotonic_ns() >= until) {
			got = set;
			break;
		}
		struct timespec pause = {0, FLEET_POLL_MS * 1000000L};
		nanosleep(&pause, NULL);
	}
	free(found);
	if (got == 1)
		return FLEET_LEAD;
	if (got < 0 && store_keyless_on_failure(rs->store) == STORE_FAIL_CLOSED)
		return FLEET_FAILED;
	return FLEET_ALONE;
}

/* The REST call, or the fleet's token for the same ask; shares what it fetched. Lock not held. */
static enum issue_result fetch(struct rest_signer *rs, void *handle, const char *ask, unsigned ttl,
			       char **token)
{
	char key[160] = "", lock[160] = "";
	enum fleet_step step = FLEET_ALONE;
	if (rs->store && fleet_keys(rs, ask, key, lock, sizeof key) == 0)
		step = fleet_find(rs, key, lock, token);
	if (step == FLEET_FOUND) {
		metrics_rest_call(REST_FLEET, -1);
		return ISSUE_OK;
	}
	if (step == FLEET_FAILED)
		return ISSUE_UNAVAILABLE;
	enum issue_result r = call(rs, handle, ask, token);
	long long age = 60LL * ttl / 10;
	if (r == ISSUE_OK && key[0])
		(void)store_set(rs->store, key, *token,
				(unsigned)(age < CACHE_MAX_AGE_S ? age : CACHE_MAX_AGE_S) * 1000u,
				false);
	if (step == FLEET_LEAD)
		(void)store_del(rs->store, lock);
	return r;
}

static struct flight *find_flight(struct rest_signer *rs, const char *key)
{
	for (struct flight *f = rs->flights; f; f = f->next)
		if (strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

static const char *cache_find(struct rest_signer *rs, const char *key)
{
	long long now = mono_s();
	for (unsigned i = 0; rs->cache && i < rs->s.cache; i++)
		if (rs->cache[i].key && rs->cache[i].reuse_until >= now &&
		    strcmp(rs->cache[i].key, key) == 0)
			return rs->cache[i].token;
	return NULL;
}

static void cache_put(struct rest_signer *rs, const char *key, const char *token,
		      unsigned ttl_minutes)
{
	long long age = 60LL * ttl_minutes / 10;
	struct cached *c = rs->cache ? &rs->cache[rs->cache_next] : NULL;
	char *k = c ? strdup(key) : NULL, *t = k ? strdup(token) : NULL;
	if (!t) {
		free(k);
		return;
	}
	free(c->key);
	secret_free(c->token);
	*c = (struct cached){k, t, mono_s() + (age < CACHE_MAX_AGE_S ? age : CACHE_MAX_AGE_S)};
	rs->cache_next = (rs->cache_next + 1) % rs->s.cache;
}

static void flight_release(struct flight *f)
{
	if (--f->refs)
		return;
	pthread_cond_destroy(&f->done);
	free(f->key);
	secret_free(f->token);
	free(f);
}

/* Waits (lock held) for the identical call in flight; the caller then reads f's result. */
static enum issue_result join(struct rest_signer *rs, struct flight *f, struct buf *out)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += rs->s.timeout_ms / 1000 + 2;
	f->refs++;
	rs->waiters++;
	while (!f->finished && pthread_cond_timedwait(&f->done, &rs->lock, &until) != ETIMEDOUT)
		;
	rs->waiters--;
	enum issue_result r = f->finished ? f->result : ISSUE_UNAVAILABLE;
	if (r == ISSUE_OK)
		buf_puts(out, f->token);
	flight_release(f);
	metrics_rest_call(REST_SHARED, -1);
	return r;
}

static void *take_handle(struct rest_signer *rs)
{
	return rs->n_handles ? rs->handles[--rs->n_handles] : rest_handle_new();
}

/* Runs the call for a new flight f (lock held on entry and exit, released around the call). */
static enum issue_result lead(struct rest_signer *rs, struct flight *f, unsigned ttl,
			      struct buf *out)
{
	void *handle = take_handle(rs);
	pthread_mutex_unlock(&rs->lock);
	char *token = NULL;
	enum issue_result r = fetch(rs, handle, f->key, ttl, &token);
	pthread_mutex_lock(&rs->lock);
	rs->handles[rs->n_handles++] = handle; /* calls <= concurrency: there is room */
	rs->calls--;
	if (r == ISSUE_OK) {
		buf_puts(out, token);
		cache_put(rs, f->key, token, ttl);
	}
	f->finished = true;
	f->result = r;
	f->token = token;
	for (struct flight **p = &rs->flights; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			break;
		}
	pthread_cond_broadcast(&f->done);
	flight_release(f);
	return r;
}

static enum issue_result rest_sign(struct rest_signer *rs, const struct token_claims *c,
				   struct buf *out)
{
	struct buf path = {0};
	enum issue_result r = ISSUE_UNAVAILABLE;
	rest_request_path(c, &path);
	if (path.failed) {
		buf_free(&path);
		return ISSUE_FAILED;
	}
	pthread_mutex_lock(&rs->lock);
	const char *hit = cache_find(rs, path.data);
	struct flight *f = hit ? NULL : find_flight(rs, path.data);
	if (hit) {
		buf_puts(out, hit);
		metrics_rest_call(REST_CACHED, -1);
		r = ISSUE_OK;
	} else if (f && rs->waiters < rs->s.queue) {
		r = join(rs, f, out);
	} else if (f || rs->calls >= rs->s.concurrency || !(f = calloc(1, sizeof *f))) {
		metrics_rest_call(REST_BUSY, -1);
		if (may_log(rs, REST_BUSY))
			log_warning("%s: generateToken busy (%u calls in flight, %u waiting); "
				    "callers get 503",
				    rs->s.service, rs->calls, rs->waiters);
	} else {
		*f = (struct flight){.key = buf_steal(&path), .refs = 1, .next = rs->flights};
		pthread_cond_init(&f->done, NULL);
		rs->flights = f;
		rs->calls++;
		r = lead(rs, f, c->ttl_minutes, out);
	}
	pthread_mutex_unlock(&rs->lock);
	buf_free(&path);
	return out->failed ? ISSUE_FAILED : r;
}

enum issue_result token_issue(const struct endpoint *ep, const struct token_signer *key,
			      struct rest_signer *rest, const struct token_claims *c,
			      struct buf *out)
{
	if (rest)
		return rest_sign(rest, c, out);
	return token_mint(ep, key, c, out) == 0 ? ISSUE_OK : ISSUE_FAILED;
}
