/* SPDX-License-Identifier: Apache-2.0 */
/* CORS for /negotiate: exact origins or "*", credentials only with listed origins. */
#ifndef NGD_CORS_H
#define NGD_CORS_H

#include "edge/reply.h"

#include <stdbool.h>
#include <stddef.h>

struct cors_policy {
	char *const *origins; /* owned by the configuration */
	size_t n;
	bool any;	  /* "*": every origin, never with credentials */
	bool credentials; /* Access-Control-Allow-Credentials: true */
};

/* "*" or scheme://host[:port] in lower case, as browsers send Origin. 0, or -1 with a reason. */
int cors_origin_check(const char *origin, char *err, size_t err_len);

/* An answer from /negotiate: always Vary: Origin; Access-Control-Allow-Origin (and -Credentials)
 * when origin is allowed. origin (the request's header, or NULL) must live until r is sent. */
void cors_apply(const struct cors_policy *p, const char *origin, struct reply *r);
/* A preflight (OPTIONS with Origin and Access-Control-Request-Method): 204 with the allowed
 * methods and headers, or 403 without Access-Control-Allow-Origin for an origin not listed. */
void cors_preflight(const struct cors_policy *p, const char *origin, struct reply *r);

#endif
