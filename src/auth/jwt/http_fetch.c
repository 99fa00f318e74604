/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded GETs for key sets and discovery documents: the provider may be slow, down or hostile.
 * The exchange itself is net/rest_http's (no proxy, http/https only, capped, abandoned at stop). */
#include "auth/jwt/http_fetch.h"

#include "net/rest_http.h"

#include <stdio.h>

int http_fetch_init(char *err, size_t err_len)
{
	return rest_http_load(err, err_len);
}

char *http_fetch(const char *url, long timeout_ms, size_t max_bytes, const atomic_bool *stop,
		 size_t *len, char *err, size_t err_len)
{
	struct rest_request req = {
		.url = url, .timeout_ms = timeout_ms, .max_bytes = max_bytes, .stop = stop};
	struct rest_answer a;
	if (rest_exchange(NULL, &req, &a) < 0) {
		snprintf(err, err_len, "%s", a.err);
		return NULL;
	}
	if (a.status == 200 && a.len > 0) {
		*len = a.len;
		return a.body;
	}
	snprintf(err, err_len, "HTTP status %ld%s", a.status,
		 a.status == 200 ? " with an empty body" : "");
	rest_answer_clear(&a);
	return NULL;
}
