/* SPDX-License-Identifier: Apache-2.0 */
/* What a handler answers: a status, a JSON body and the few headers that depend on it. */
#ifndef NGD_REPLY_H
#define NGD_REPLY_H

#include "core/buf.h"

#include <stdbool.h>

#define REPLY_MAX_HEADERS 12

struct reply {
	unsigned status;
	struct buf body;	    /* JSON; may hold a token, so it is wiped when sent */
	const char *allow;	    /* static string, with 405 */
	char www_authenticate[256]; /* with 401 */
	const char *code;	    /* the error code, for the log line */
	char message[256];	    /* the error message, for the log line */
	bool auth_failed; /* a DENY from the chain: answered after [server] auth_failure_delay */
	bool logged;	  /* the pipeline already logged this refusal */
	bool close;	  /* answer with Connection: close (the request's framing is in doubt) */
	unsigned retry_after;	  /* seconds, for Retry-After with 503 or 429; 0 for none */
	const char *content_type; /* NULL: application/json; "": none (a text body untyped) */
	struct reply_header {
		const char *name, *value; /* static, or living until the reply is sent */
	} headers[REPLY_MAX_HEADERS];
	unsigned n_headers;
};

/* Adds a response header (CORS, Retry-After, X-Request-Id); no copy is made, nothing is allocated.
 */
void reply_header(struct reply *r, const char *name, const char *value);

/* Sets {"error":{"code":CODE,"message":MESSAGE}}. Messages name the problem, never a secret. */
void reply_error(struct reply *r, unsigned status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void reply_json(struct reply *r, unsigned status, const char *json);

#endif
