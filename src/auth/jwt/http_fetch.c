/* Bounded GETs for key sets and discovery documents: the provider may be slow, down or hostile. */
#include "auth/jwt/http_fetch.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sink {
	char *data;
	size_t len, cap, max;
	bool too_large;
};

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;
	if (n > s->max - s->len) {
		s->too_large = true;
		return 0; /* aborts the transfer */
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n + 1)
			cap *= 2;
		char *grown = realloc(s->data, cap);
		if (!grown)
			return 0;
		s->data = grown;
		s->cap = cap;
	}
	memcpy(s->data + s->len, ptr, n);
	s->len += n;
	s->data[s->len] = '\0';
	return n;
}

static int stop_check(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	const atomic_bool *stop = clientp;
	return stop && atomic_load(stop); /* non-zero abandons the transfer at shutdown */
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result = -1;

static void init_curl(void)
{
	init_result = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int http_fetch_init(void)
{
	pthread_once(&init_once, init_curl);
	return init_result;
}

static void configure(CURL *c, const char *url, long timeout_ms, struct sink *s, const atomic_bool *stop)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for DNS timeouts */
	curl_easy_setopt(c, CURLOPT_PROXY, "");	   /* no proxy from the environment: the provider is configured */
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, stop_check);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)stop);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "negotiated");
}

char *http_fetch(const char *url, long timeout_ms, size_t max_bytes, const atomic_bool *stop, size_t *len, char *err,
		 size_t err_len)
{
	struct sink s = {.max = max_bytes};
	long status = 0;
	if (http_fetch_init() < 0)
		return snprintf(err, err_len, "libcurl could not be initialised"), NULL;
	CURL *c = curl_easy_init();
	if (!c)
		return snprintf(err, err_len, "out of memory"), NULL;
	configure(c, url, timeout_ms, &s, stop);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (rc == CURLE_OK && status == 200 && s.data) {
		*len = s.len;
		return s.data;
	}
	if (s.too_large || rc == CURLE_FILESIZE_EXCEEDED)
		snprintf(err, err_len, "the answer is larger than %zu bytes", max_bytes);
	else if (rc != CURLE_OK)
		snprintf(err, err_len, "%s", curl_easy_strerror(rc));
	else
		snprintf(err, err_len, "HTTP status %ld%s", status, status == 200 ? " with an empty body" : "");
	free(s.data);
	return NULL;
}
