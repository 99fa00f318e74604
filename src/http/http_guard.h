/* SPDX-License-Identifier: Apache-2.0 */
/* The checks on a request head that libmicrohttpd 0.9.75 lets through: message framing
 * (Content-Length, Transfer-Encoding, Host), header names, NUL bytes inside values, and how many
 * headers and query arguments there are. */
#ifndef NGD_HTTP_GUARD_H
#define NGD_HTTP_GUARD_H

#include "edge/reply.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

/* Far above what a client of this daemon sends (a role and a group argument per grant, at most
 * 64 each), far below what would fill a connection's memory pool. */
#define HTTP_MAX_QUERY_ARGS 160
#define HTTP_MAX_HEADERS 100
/* What one header or argument record costs in libmicrohttpd's pool, with room to spare. */
#define HTTP_POOL_RECORD_BYTES 64

/* How many query arguments the raw request-target holds (0 without a query). */
size_t query_arg_count(const char *target);

/* Whether the path (before any '?') holds "%00", which libmicrohttpd decodes into a NUL that
 * ends the path every lookup sees: "/healthz%00x" would be routed as "/healthz". */
bool path_has_nul(const char *target);

/* Refuses (non-zero, with the answer in r) a request line whose target holds a NUL byte, raw or
 * as "%00" in the path: `target_end` is where the URI callback's string ended, `version` where the
 * version begins. */
int guard_target(const char *target_end, bool nul_in_path, const char *version, struct reply *r);

/* Refuses (non-zero, with the answer in r) a request head that HTTP/1.1 does not allow or that
 * could be read two ways; `method` and `version` are as the access handler got them (the method
 * is where the raw head starts). Framing errors set r->close. */
int guard_head(struct MHD_Connection *conn, const char *method, const char *version,
	       struct reply *r);

#endif
