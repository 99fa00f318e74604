/* SPDX-License-Identifier: Apache-2.0 */
/* webhook: asks the operator's own HTTP(S) service who the caller is. The configured request
 * headers (credentials) are forwarded with libcurl; 2xx with {"userId":..., "attributes":{...}}
 * admits, 401/403 refuses, anything else fails closed. Calls block, so a request that needs
 * one runs again on the webhook's own worker threads; answers are cached briefly by digest. */
#include "auth/registry.h"
#include "auth/fetch_url.h"
#include "auth/webhook_cache.h"
#include "core/buf.h"
#include "core/decimal.h"
#include "core/names.h"
#include "core/secret.h"
#include "net/curl_lib.h"
#include "net/rest_http.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_URL 2048
#define MAX_FORWARD 8
#define MAX_HEADER_NAME 64
#define MAX_RESPONSE (64 * 1024)

struct webhook {
	const char *name; /* the section's name, for logs */
	char url[MAX_URL + 1];
	bool get; /* method = GET: no body */
	char forward[MAX_FORWARD][MAX_HEADER_NAME + 1];
	size_t n_forward;
	unsigned timeout_ms, cache_ttl,
		negative_cache_ttl; /* max_concurrent is the chain's (a bulkhead) */
	struct webhook_cache cache;
};

static int read_uint(struct ngd_section *sec, const char *key, unsigned min, unsigned max,
		     unsigned *out)
{
	const char *v = ngd_section_get(sec, key);
	if (v && decimal_parse(v, min, max, out) < 0) {
		ngd_section_error(sec, key, "'%.32s' is not a whole number from %u to %u", v, min,
				  max);
		return -1;
	}
	return 0;
}

static int read_url(struct webhook *w, struct ngd_section *sec)
{
	const char *url = ngd_section_get(sec, "url");
	bool insecure;
	if (!url) {
		ngd_section_error(sec, NULL, "url is required in [auth:%s]", w->name);
		return -1;
	}
	size_t len = strlen(url), host = 0; /* the scheme's length */
	if (strncmp(url, "https://", 8) == 0)
		host = 8;
	else if (strncmp(url, "http://", 7) == 0)
		host = 7;
	const char *end_of_host = url + host + strcspn(url + host, "/?#");
	if (!host || len > MAX_URL || !text_valid(url, MAX_URL) || strchr(url, ' ') ||
	    end_of_host == url + host) {
		ngd_section_error(sec, "url",
				  "must be an http:// or https:// URL of at most %d bytes",
				  MAX_URL);
		return -1;
	}
	if (memchr(url + host, '@', (size_t)(end_of_host - url - host))) {
		ngd_section_error(sec, "url", "must not carry credentials (user@host)");
		return -1;
	}
	if (fetch_url_opt_in(sec, &insecure) < 0)
		return -1;
	const char *refusal = fetch_url_refusal(url, insecure);
	if (refusal) { /* credentials travel to it: anyone on a plain-http path could read and
			  answer them */
		ngd_section_error(sec, "url", "%s", refusal);
		return -1;
	}
	fetch_url_warn(sec, "url", url);
	memcpy(w->url, url, len + 1);
	return 0;
}

/* libcurl is loaded only for a configuration that calls out, as this one does. */
static int load_curl(struct ngd_section *sec)
{
	char why[300];
	if (rest_http_load(why, sizeof why) < 0) {
		ngd_section_error(sec, "url", "%s", why);
		return -1;
	}
	return 0;
}

static int read_forward(struct webhook *w, struct ngd_section *sec)
{
	const char *list = ngd_section_get(sec, "forward_headers");
	char copy[MAX_FORWARD * (MAX_HEADER_NAME + 2)];
	if (snprintf(copy, sizeof copy, "%s", list ? list : "Authorization Cookie") >=
	    (int)sizeof copy) {
		ngd_section_error(sec, "forward_headers", "too long (at most %d names)",
				  MAX_FORWARD);
		return -1;
	}
	for (char *save = NULL, *item = strtok_r(copy, " \t,", &save); item;
	     item = strtok_r(NULL, " \t,", &save)) {
		size_t len = strlen(item);
		if (w->n_forward == MAX_FORWARD) {
			ngd_section_error(sec, "forward_headers", "at most %d names", MAX_FORWARD);
			return -1;
		}
		if (len > MAX_HEADER_NAME ||
		    strspn(item,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
			    len) {
			ngd_section_error(sec, "forward_headers", "'%.64s' is not a header name",
					  item);
			return -1;
		}
		memcpy(w->forward[w->n_forward++], item, len + 1);
	}
	if (!w->n_forward) {
		ngd_section_error(sec, "forward_headers", "name at least one header");
		return -1;
	}
	return 0;
}

static int read_method(struct webhook *w, struct ngd_section *sec)
{
	const char *method = ngd_section_get(sec, "method");
	if (method && strcmp(method, "POST") != 0 && strcmp(method, "GET") != 0) {
		ngd_section_error(sec, "method", "'%.16s' is not POST or GET", method);
		return -1;
	}
	w->get = method && strcmp(method, "GET") == 0;
	return 0;
}

static void webhook_destroy(void *instance)
{
	struct webhook *w = instance;
	webhook_cache_clear(&w->cache);
	free(w);
}

static void *webhook_create(struct ngd_section *sec)
{
	struct webhook *w = calloc(1, sizeof *w);
	if (!w) {
		ngd_section_error(sec, NULL, "out of memory");
		return NULL;
	}
	w->name = ngd_section_name(sec);
	w->timeout_ms = 2000, w->cache_ttl = 10, w->negative_cache_ttl = 5;
	webhook_cache_init(&w->cache);
	if (read_url(w, sec) < 0 || load_curl(sec) < 0 || read_method(w, sec) < 0 ||
	    read_forward(w, sec) < 0 || read_uint(sec, "timeout", 50, 60000, &w->timeout_ms) < 0 ||
	    read_uint(sec, "cache_ttl", 0, 3600, &w->cache_ttl) < 0 ||
	    read_uint(sec, "negative_cache_ttl", 0, 3600, &w->negative_cache_ttl) < 0) {
		webhook_destroy(w);
		return NULL;
	}
	return w;
}

/* SHA-256 over the hub and every forwarded header (name, presence, value): the cache key. */
static int credential_digest(const struct webhook *w, const struct ngd_request *req,
			     unsigned char key[SHA256_LEN])
{
	struct buf b = {0};
	buf_puts(&b, ngd_request_hub(req));
	for (size_t i = 0; i < w->n_forward; i++) {
		const char *v = ngd_request_header(req, w->forward[i]);
		buf_append(&b, v ? "\0+" : "\0-", 2);
		buf_puts(&b, v ? v : "");
	}
	int rc = b.failed ? -1 : sha256(b.data, b.len, key);
	buf_free_secret(&b);
	return rc;
}

static bool any_forwarded(const struct webhook *w, const struct ngd_request *req)
{
	for (size_t i = 0; i < w->n_forward; i++)
		if (ngd_request_header(req, w->forward[i]))
			return true;
	return false;
}

static size_t collect(char *data, size_t size, size_t n, void *cls)
{
	struct buf *b = cls;
	if (b->len + size * n > MAX_RESPONSE)
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	buf_append(b, data, size * n);
	return b->failed ? 0 : size * n;
}

/* The request headers: the forwarded credentials, the client and the hub. Freed by wipe_headers. */
static struct curl_slist *request_headers(const struct webhook *w, const struct ngd_request *req)
{
	struct curl_slist *list = NULL, *grown;
	struct buf line = {0};
	for (size_t i = 0; i < w->n_forward + 3; i++) {
		const char *v = i < w->n_forward ? ngd_request_header(req, w->forward[i]) : NULL;
		line.len = 0;
		if (i < w->n_forward && v)
			buf_printf(&line, "%s: %s", w->forward[i], v);
		else if (i == w->n_forward)
			buf_printf(&line, "X-Forwarded-For: %s", ngd_request_client_address(req));
		else if (i == w->n_forward + 1)
			buf_printf(&line, "X-Negotiated-Hub: %s", ngd_request_hub(req));
		else if (i == w->n_forward + 2)
			buf_puts(&line, w->get ? "Expect:" : "Content-Type: application/json");
		if (!line.len || line.failed)
			continue;
		if (!(grown = curl_lib.slist_append(list, line.data)))
			break;
		list = grown;
	}
	buf_free_secret(&line);
	return list;
}

static void wipe_headers(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_lib.slist_free_all(list);
}

static bool attribute_value_ok(json_t *v)
{
	if (json_is_string(v))
		return true;
	if (!json_is_array(v))
		return false;
	size_t i;
	json_t *item;
	json_array_foreach(v, i, item) if (!json_is_string(item)) return false;
	return true;
}

/* {"userId": "...", "attributes": {"name": "v" | ["v", ...]}}: 0, or -1 with why. */
static int parse_answer(const struct buf *body, struct ngd_outcome *out, const char **why)
{
	json_error_t error;
	json_t *root =
		json_loadb(body->data ? body->data : "", body->len, JSON_REJECT_DUPLICATES, &error);
	json_t *user = json_object_get(root, "userId"),
	       *attrs = json_object_get(root, "attributes");
	const char *name;
	json_t *v;
	int rc = -1;
	*why = !json_is_object(root)		 ? "the answer is not a JSON object"
	       : !json_is_string(user)		 ? "userId is missing or not a string"
	       : attrs && !json_is_object(attrs) ? "attributes is not an object"
	       : ngd_outcome_set_user(out, json_string_value(user)) < 0
		       ? "userId is not a valid user id"
		       : NULL;
	if (!*why)
		rc = 0;
	json_object_foreach(rc == 0 ? attrs : NULL, name, v)
	{
		size_t i;
		json_t *item;
		if (!attribute_value_ok(v)) {
			*why = "an attribute value is not a string or a list of strings", rc = -1;
			break;
		}
		if (json_is_string(v) &&
		    ngd_outcome_add_attribute(out, name, json_string_value(v)) < 0)
			*why = "an attribute is invalid or there are too many", rc = -1;
		json_array_foreach(v, i, item)
		{
			if (ngd_outcome_add_attribute(out, name, json_string_value(item)) < 0)
				*why = "an attribute is invalid or there are too many", rc = -1;
		}
		if (rc < 0)
			break;
	}
	json_decref(root);
	return rc;
}

/* What the webhook's HTTP status and body mean. */
static enum ngd_auth_result judge(const struct webhook *w, long status, const struct buf *body,
				  struct ngd_outcome *out)
{
	const char *why = NULL;
	if (status == 401 || status == 403) {
		ngd_outcome_deny(out, (int)status,
				 status == 403 ? "forbidden" : "invalid_credentials",
				 "the credentials were not accepted");
		return NGD_AUTH_DENY;
	}
	if (status < 200 || status > 299) {
		ngd_log_warning("[auth:%s] webhook answered HTTP %ld", w->name, status);
		return NGD_AUTH_ERROR;
	}
	if (parse_answer(body, out, &why) == 0)
		return NGD_AUTH_OK;
	ngd_log_warning("[auth:%s] webhook answered HTTP %ld with an unusable body: %s", w->name,
			status, why);
	return NGD_AUTH_ERROR;
}

static void set_options(const struct webhook *w, CURL *c, struct curl_slist *headers,
			const char *post, struct buf *body)
{
	curl_lib_set_ptr(c, CURLOPT_URL, w->url);
	curl_lib_set_long(c, CURLOPT_NOSIGNAL,
			  1L); /* threads: no SIGALRM for name-resolution timeouts */
	curl_lib_set_long(c, CURLOPT_TIMEOUT_MS, (long)w->timeout_ms);
	curl_lib_set_ptr(c, CURLOPT_PROXY,
			 ""); /* the environment's proxy must not see credentials */
	curl_lib_set_long(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_lib_set_ptr(c, CURLOPT_USERAGENT, PACKAGE_STRING);
	curl_lib_set_ptr(c, CURLOPT_HTTPHEADER, headers);
	curl_lib_set_write(c, collect);
	curl_lib_set_ptr(c, CURLOPT_WRITEDATA, body);
	if (post)
		curl_lib_set_ptr(c, CURLOPT_POSTFIELDS, post);
}

/* The POST body: the hub and the client address (credentials travel only in headers). */
static void post_body(const struct ngd_request *req, struct buf *b)
{
	buf_puts(b, "{\"hub\":");
	buf_json_string(b, ngd_request_hub(req));
	buf_puts(b, ",\"clientAddress\":");
	buf_json_string(b, ngd_request_client_address(req));
	buf_puts(b, "}");
}

static pthread_key_t handle_key;
static pthread_once_t handle_once = PTHREAD_ONCE_INIT;

static void handle_free(void *handle)
{
	curl_lib.easy_cleanup(handle);
}

static void handle_key_create(void)
{
	pthread_key_create(&handle_key,
			   handle_free); /* worker threads free theirs when they exit */
}

/* One libcurl handle per thread, reset before each call but kept for its connection cache, so
 * that calls to the same webhook reuse a connection (and its TLS session). */
static CURL *thread_handle(void)
{
	pthread_once(&handle_once, handle_key_create);
	CURL *c = pthread_getspecific(handle_key);
	if (c) {
		curl_lib.easy_reset(c);
		return c;
	}
	if ((c = curl_lib.easy_init()) && pthread_setspecific(handle_key, c) != 0) {
		curl_lib.easy_cleanup(c);
		c = NULL;
	}
	return c;
}

static enum ngd_auth_result call(const struct webhook *w, const struct ngd_request *req,
				 struct ngd_outcome *out)
{
	struct buf body = {0}, post = {0};
	struct curl_slist *headers = request_headers(w, req);
	CURL *c = thread_handle();
	long status = 0;
	if (!w->get)
		post_body(req, &post);
	if (!c || !headers || post.failed) {
		ngd_log_warning("[auth:%s] webhook: out of memory", w->name);
	} else {
		set_options(w, c, headers, w->get ? NULL : post.data, &body);
		CURLcode rc = curl_lib.easy_perform(c);
		if (rc == CURLE_OK)
			curl_lib.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		else if (rc == CURLE_OPERATION_TIMEDOUT)
			ngd_log_warning("[auth:%s] webhook timed out after %u ms", w->name,
					w->timeout_ms);
		else if (rc == CURLE_WRITE_ERROR)
			ngd_log_warning("[auth:%s] webhook answer larger than %d bytes", w->name,
					MAX_RESPONSE);
		else
			ngd_log_warning("[auth:%s] webhook call failed: %s", w->name,
					curl_lib.easy_strerror(rc));
	}
	enum ngd_auth_result r = status ? judge(w, status, &body, out) : NGD_AUTH_ERROR;
	if (c) /* the handle must not keep pointers to what is freed below */
		curl_lib.easy_reset(c);
	wipe_headers(headers);
	buf_free_secret(&body);
	buf_free(&post);
	return r;
}

static enum ngd_auth_result webhook_authenticate(void *instance, const struct ngd_request *req,
						 struct ngd_outcome *out)
{
	struct webhook *w = instance;
	unsigned char key[SHA256_LEN];
	enum ngd_auth_result r;
	if (!any_forwarded(w, req))
		return NGD_AUTH_DECLINED; /* no credentials of the kind this webhook judges */
	if (credential_digest(w, req, key) < 0)
		return NGD_AUTH_ERROR;
	if (webhook_cache_get(&w->cache, key, out, &r)) {
		explicit_bzero(key, sizeof key);
		return r; /* a cached answer, even on the HTTP thread */
	}
	if (!out->may_block) {
		explicit_bzero(key, sizeof key);
		return auth_defer(out); /* the call leaves the HTTP thread */
	}
	r = call(w, req,
		 out); /* on this webhook's own worker threads, at most max_concurrent at once */
	webhook_cache_put(&w->cache, key, r, out,
			  r == NGD_AUTH_OK ? w->cache_ttl : w->negative_cache_ttl);
	explicit_bzero(key, sizeof key);
	return r;
}

const struct ngd_authenticator auth_webhook = {
	.abi_version = NGD_AUTH_ABI_VERSION,
	.type = "webhook",
	.challenge = NULL,
	.create = webhook_create,
	.authenticate = webhook_authenticate,
	.destroy = webhook_destroy,
	.flags = AUTH_MAY_DEFER, /* a cached answer stays on the HTTP thread; a call goes to the
				    workers */
};
