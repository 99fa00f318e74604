/* SPDX-License-Identifier: Apache-2.0 */
/* CORS: headers are static strings or the request's own Origin, so nothing is allocated. */
#include "edge/cors.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define CORS_MAX_AGE "600" /* seconds a browser may cache a preflight */

int cors_origin_check(const char *origin, char *err, size_t err_len)
{
	if (strcmp(origin, "*") == 0)
		return 0;
	const char *host = strncmp(origin, "https://", 8) == 0	? origin + 8
			   : strncmp(origin, "http://", 7) == 0 ? origin + 7
								: NULL;
	size_t len = host ? strspn(host, "abcdefghijklmnopqrstuvwxyz0123456789.-[]:") : 0;
	bool any_port = host && len > 1 && strcmp(host + len, "*") == 0 && host[len - 1] == ':';
	if (!host || len == 0 || (host[len] != '\0' && !any_port) ||
	    (host[len - 1] == ':' && !any_port) || strlen(origin) > 255) {
		snprintf(err, err_len,
			 "'%.100s' is not an origin: write * or scheme://host[:port] (or :* for "
			 "any port) in "
			 "lower case, without a path or a trailing slash",
			 origin);
		return -1;
	}
	return 0;
}

/* "scheme://host:*" admits that scheme and host on any port, or none (the scheme's default). */
static bool origin_matches(const char *entry, const char *origin)
{
	size_t len = strlen(entry);
	if (len < 2 || strcmp(entry + len - 2, ":*") != 0)
		return strcmp(entry, origin) == 0;
	if (strncmp(entry, origin, len - 2) != 0)
		return false;
	const char *port = origin + len - 2;
	if (*port == '\0')
		return true;
	size_t digits = strspn(port + 1, "0123456789");
	return *port == ':' && digits >= 1 && digits <= 5 && port[1 + digits] == '\0';
}

/* The Access-Control-Allow-Origin value for origin, or NULL when it is not allowed. */
static const char *allowed(const struct cors_policy *p, const char *origin)
{
	if (!origin)
		return NULL;
	if (p->any)
		return "*";
	for (size_t i = 0; i < p->n; i++)
		if (origin_matches(p->origins[i], origin))
			return origin;
	return NULL;
}

static void allow_origin(const struct cors_policy *p, const char *value, struct reply *r)
{
	reply_header(r, "Access-Control-Allow-Origin", value);
	if (p->credentials)
		reply_header(r, "Access-Control-Allow-Credentials", "true");
}

void cors_apply(const struct cors_policy *p, const char *origin, struct reply *r)
{
	const char *value = allowed(p, origin);
	reply_header(r, "Vary", "Origin");
	if (!value)
		return;
	allow_origin(p, value, r);
	reply_header(r, "Access-Control-Expose-Headers",
		     "Retry-After, WWW-Authenticate, X-Request-Id");
}

void cors_preflight(const struct cors_policy *p, const char *origin, struct reply *r)
{
	const char *value = allowed(p, origin);
	reply_header(r, "Vary", "Origin");
	if (!value)
		return reply_error(r, 403, "origin_not_allowed",
				   "this origin may not call /negotiate");
	reply_json(r, 204, "");
	allow_origin(p, value, r);
	reply_header(r, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
	reply_header(r, "Access-Control-Allow-Headers",
		     "Authorization, X-API-Key, Content-Type, X-Request-Id");
	reply_header(r, "Access-Control-Max-Age", CORS_MAX_AGE);
}
