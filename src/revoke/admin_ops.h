/* SPDX-License-Identifier: Apache-2.0 */
/* The operations on the revocation list an operator asks for, one code path for the admin socket
 * (`negotiated revoke`) and the admin HTTP API: a JSON request in, a JSON answer out, an audit line
 * per change. The caller has already decided the asker may administer. */
#ifndef NGD_ADMIN_OPS_H
#define NGD_ADMIN_OPS_H

#include "core/buf.h"
#include "revoke/revocations.h"

#include <stdbool.h>
#include <time.h>

#define ADMIN_MAX_REQUEST 8192 /* bytes of one request: an entry at every cap, JSON-escaped */

/* "90", "90s", "15m", "12h", "7d" into seconds (1 s to 10 years): 0, or -1. */
int admin_duration_parse(const char *text, long long *seconds);
/* "now", seconds since 1970 or YYYY-MM-DDTHH:MM:SSZ into *out (NOW for "now"): 0, or -1. */
int admin_time_parse(const char *text, time_t now, time_t *out);

/* Runs REQUEST ({"op":"revoke"|"lift"|"list", ...}) for WHO (e.g. "uid 0 (root)" or
 * "admin-api"), the answer into ANSWER ({"ok":true,...} or {"ok":false,"error":"..."}). Returns
 * the HTTP status the answer stands for (200, 400, 404, 409, 500, 503). */
unsigned admin_handle(struct revocations *list, const char *who, const char *request, size_t len,
		      struct buf *answer);

#endif
