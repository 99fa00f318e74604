/* SPDX-License-Identifier: Apache-2.0 */
/* closeUserConnections and removeUserFromAllGroups, one attempt each. */
#include "token/rest_close.h"

#include "core/secret.h"
#include "net/rest_http.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAX_ANSWER (16 * 1024) /* the service's error body; read and dropped */

/* encodeURIComponent, as the SDK fills a path parameter: unlike a query value, "'" stays. */
static void path_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			     (*p >= '0' && *p <= '9') || strchr("-_.!~*'()", *p);
		char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
		buf_append(out, plain ? (const char *)p : esc, plain ? 1 : 3);
	}
}

void rest_close_path(enum rest_close_call call, const char *hub, const char *user, struct buf *out)
{
	buf_puts(out, "api/hubs/");
	path_encode(out, hub);
	buf_puts(out, "/users/");
	path_encode(out, user);
	if (call == CLOSE_CONNECTIONS)
		buf_puts(out, "/:closeConnections?api-version=" REST_API_VERSION
			      "&reason=" REST_CLOSE_REASON);
	else
		buf_puts(out, "/groups?api-version=" REST_API_VERSION);
}

const char *rest_close_call_name(enum rest_close_call call)
{
	return call == CLOSE_CONNECTIONS ? "closeUserConnections" : "removeUserFromAllGroups";
}

/* "x-ms-client-request-id: <a v4 UUID>", as the SDK sends one per request. */
static void request_id_header(struct buf *out)
{
	unsigned char id[16];
	random_bytes(id, sizeof id);
	id[6] = (id[6] & 0x0f) | 0x40;
	id[8] = (id[8] & 0x3f) | 0x80;
	buf_puts(out, "x-ms-client-request-id: ");
	for (size_t i = 0; i < sizeof id; i++)
		buf_printf(out, "%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", id[i]);
}

/* "Authorization: Bearer ..." for url: 0, or -1 (no Entra token held yet). */
static int authorization(const struct rest_close_target *t, const char *url, struct buf *out)
{
	buf_puts(out, "Authorization: ");
	if (t->keyless)
		return rest_signer_bearer(t->keyless, out);
	buf_puts(out, "Bearer ");
	return token_rest_bearer(t->key, url, (long long)time(NULL), out);
}

static enum rest_close_result judge(int rc, const struct rest_answer *a, long *status, char *why,
				    size_t why_len)
{
	*status = a->status;
	if (rc < 0) {
		snprintf(why, why_len, "%s", a->err);
		return CLOSE_RETRY;
	}
	snprintf(why, why_len, "HTTP %ld", a->status);
	if (a->status >= 200 && a->status < 300)
		return CLOSE_OK;
	if (a->status == 429 || a->status >= 500)
		return CLOSE_RETRY;
	return CLOSE_REFUSED;
}

enum rest_close_result rest_close_once(const struct rest_close_target *t, enum rest_close_call call,
				       const char *hub, const char *user, long *status, char *why,
				       size_t why_len)
{
	struct buf url = {0}, auth = {0}, request_id = {0};
	struct rest_answer a = {0};
	enum rest_close_result r = CLOSE_RETRY;
	*status = 0;
	buf_puts(&url, t->http_base);
	rest_close_path(call, hub, user, &url);
	request_id_header(&request_id);
	if (url.failed || request_id.failed || authorization(t, url.data, &auth) < 0 ||
	    auth.failed) {
		snprintf(why, why_len, "%s",
			 t->keyless && !url.failed && !request_id.failed
				 ? "no valid Microsoft Entra ID token yet"
				 : "out of memory");
	} else {
		const char *headers[] = {"Accept: application/json", auth.data, request_id.data,
					 NULL};
		struct rest_request req = {
			.url = url.data,
			.headers = headers,
			.method = call == REMOVE_FROM_GROUPS ? "DELETE" : NULL,
			.body = call == CLOSE_CONNECTIONS ? "" : NULL,
			.ca_file = t->ca_file,
			.timeout_ms = t->timeout_ms,
			.max_bytes = MAX_ANSWER,
			.stop = t->stop,
		};
		int rc = rest_exchange(NULL, &req, &a);
		r = judge(rc, &a, status, why, why_len);
	}
	rest_answer_clear(&a);
	buf_free_secret(&auth);
	buf_free(&url);
	buf_free(&request_id);
	return r;
}
