/* SPDX-License-Identifier: Apache-2.0 */
/* The one error-reply helper: stable codes, a human message, JSON always. */
#include "edge/reply.h"

#include <stdarg.h>
#include <stdio.h>

void reply_error(struct reply *r, unsigned status, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof r->message, fmt, ap);
	va_end(ap);
	buf_free(&r->body);
	r->status = status;
	r->code = code;
	buf_puts(&r->body, "{\"error\":{\"code\":");
	buf_json_string(&r->body, code);
	buf_puts(&r->body, ",\"message\":");
	buf_json_string(&r->body, r->message);
	buf_puts(&r->body, "}}");
}

void reply_header(struct reply *r, const char *name, const char *value)
{
	if (r->n_headers < REPLY_MAX_HEADERS)
		r->headers[r->n_headers++] = (struct reply_header){name, value};
}

void reply_json(struct reply *r, unsigned status, const char *json)
{
	buf_free(&r->body);
	r->status = status;
	buf_puts(&r->body, json);
}
