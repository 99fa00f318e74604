/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded HTTPS exchanges with libcurl: no proxy from the environment, http/https only, a cap on
 * the answer, the transfer abandoned at shutdown. */
#include "net/rest_http.h"

#include "core/buf.h"
#include "core/log.h"
#include "net/curl_lib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sink {
	struct buf data;
	size_t max;
	bool too_large;
};

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;
	if (n > s->max - s->data.len) {
		s->too_large = true;
		return 0; /* aborts the transfer */
	}
	buf_append(&s->data, ptr, n);
	return s->data.failed ? 0 : n;
}

static int stop_check(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		      curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	const atomic_bool *stop = clientp;
	return stop && atomic_load(stop);
}

int rest_http_load(char *err, size_t err_len)
{
	return curl_lib_load(err, err_len);
}

int rest_http_init(void)
{
	char err[300];
	if (curl_lib_load(err, sizeof err) == 0)
		return 0;
	log_error("%s", err); /* its callers' own message does not say why */
	return -1;
}

void rest_http_cleanup(void)
{
	curl_lib_cleanup();
}

void *rest_handle_new(void)
{
	return rest_http_init() == 0 ? curl_lib.easy_init() : NULL;
}

void rest_handle_free(void *handle)
{
	if (handle)
		curl_lib.easy_cleanup(handle);
}

static void wipe_list(struct curl_slist *list)
{
	for (struct curl_slist *l = list; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_lib.slist_free_all(list);
}

static struct curl_slist *header_list(const struct rest_request *req)
{
	struct curl_slist *list = NULL, *grown;
	char type[128];
	/* without it curl would send its form type on a POST, which the SDK does not */
	snprintf(type, sizeof type, "Content-Type:%s%s", req->content_type ? " " : "",
		 req->content_type ? req->content_type : "");
	const char *const added[] = {type, "Expect:", NULL};
	for (size_t i = 0; req->headers && req->headers[i]; i++) {
		if (!(grown = curl_lib.slist_append(list, req->headers[i]))) {
			wipe_list(list);
			return NULL;
		}
		list = grown;
	}
	for (size_t i = 0; added[i]; i++) {
		if (!(grown = curl_lib.slist_append(list, added[i]))) {
			wipe_list(list);
			return NULL;
		}
		list = grown;
	}
	return list;
}

static void configure(CURL *c, const struct rest_request *req, struct sink *s,
		      struct curl_slist *headers)
{
	curl_lib_set_ptr(c, CURLOPT_URL, req->url);
	curl_lib_set_ptr(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_lib_set_long(c, CURLOPT_NOSIGNAL, 1L);
	curl_lib_set_ptr(c, CURLOPT_PROXY,
			 ""); /* the endpoint is configured: no proxy from the environment */
	curl_lib_set_long(c, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_lib_set_long(c, CURLOPT_CONNECTTIMEOUT_MS, req->timeout_ms);
	curl_lib_set_off(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->max_bytes);
	curl_lib_set_write(c, sink_write);
	curl_lib_set_ptr(c, CURLOPT_WRITEDATA, s);
	curl_lib_set_long(c, CURLOPT_NOPROGRESS, 0L);
	curl_lib_set_xferinfo(c, stop_check);
	curl_lib_set_ptr(c, CURLOPT_XFERINFODATA, (const void *)req->stop);
	curl_lib_set_ptr(c, CURLOPT_USERAGENT, "negotiated");
	curl_lib_set_long(c, CURLOPT_HTTP_VERSION,
			  (long)CURL_HTTP_VERSION_1_1); /* as the SDK's Node client speaks */
	curl_lib_set_ptr(c, CURLOPT_ACCEPT_ENCODING,
			 "gzip,deflate"); /* as the SDK asks; curl decodes */
	curl_lib_set_ptr(c, CURLOPT_HTTPHEADER, headers);
	if (req->ca_file)
		curl_lib_set_ptr(c, CURLOPT_CAINFO, req->ca_file);
	if (req->body) {
		curl_lib_set_long(c, CURLOPT_POST, 1L);
		curl_lib_set_ptr(c, CURLOPT_POSTFIELDS, req->body);
		curl_lib_set_off(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	if (req->method)
		curl_lib_set_ptr(c, CURLOPT_CUSTOMREQUEST, req->method);
}

int rest_exchange(void *handle, const struct rest_request *req, struct rest_answer *a)
{
	struct sink s = {.max = req->max_bytes};
	CURL *c = handle ? handle : rest_handle_new();
	struct curl_slist *headers = c ? header_list(req) : NULL;
	*a = (struct rest_answer){0};
	if (!c || !headers) {
		snprintf(a->err, sizeof a->err, "out of memory");
		if (!handle)
			rest_handle_free(c);
		return -1;
	}
	curl_lib.easy_reset(c); /* keeps the connection cache */
	configure(c, req, &s, headers);
	CURLcode rc = curl_lib.easy_perform(c);
	curl_lib.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	curl_lib.easy_getinfo(c, CURLINFO_TOTAL_TIME, &a->seconds);
	curl_lib_set_ptr(c, CURLOPT_HTTPHEADER, NULL);
	curl_lib_set_ptr(c, CURLOPT_POSTFIELDS, NULL);
	wipe_list(headers);
	if (!handle)
		rest_handle_free(c);
	if (rc == CURLE_OK && !s.data.failed) {
		a->len = s.data.len;
		a->body = buf_steal(&s.data);
		if (!a->body)
			a->body = strdup("");
		if (a->body)
			return 0;
		snprintf(a->err, sizeof a->err, "out of memory");
		return -1;
	}
	if (s.too_large || rc == CURLE_FILESIZE_EXCEEDED)
		snprintf(a->err, sizeof a->err, "the answer is larger than %zu bytes",
			 req->max_bytes);
	else
		snprintf(a->err, sizeof a->err, "%s", curl_lib.easy_strerror(rc));
	a->status = 0;
	buf_free_secret(&s.data);
	return -1;
}

void rest_answer_clear(struct rest_answer *a)
{
	if (a->body) {
		explicit_bzero(a->body, a->len);
		free(a->body);
	}
	a->body = NULL;
	a->len = 0;
}

void rest_url_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			     (*p >= '0' && *p <= '9') || strchr("-_.!~*()", *p);
		char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
		buf_append(out, plain ? (const char *)p : esc, plain ? 1 : 3);
	}
}
