/* SPDX-License-Identifier: Apache-2.0 */
/* The optional access log ([server] access_log = PATH or stderr): one line per request. */
#ifndef NGD_ACCESS_LOG_H
#define NGD_ACCESS_LOG_H

#include "edge/request.h"

#include <stddef.h>
#include <stdint.h>

struct access_log {
	int fd; /* -1: no access log */
	bool owned;
};

/* spec NULL: none. Opens PATH for appending (created 0640), or uses stderr. 0, or -1 with a reason.
 */
int access_log_open(const char *spec, struct access_log *out, char *err, size_t err_len);
void access_log_close(struct access_log *log);
/* on: access_log_open only checks that the file could be opened or created (--check-config). */
void access_log_dry_run(bool on);
/* time client method path status bytes duration request-id; the path is shown without control
 * bytes, quotes or spaces, the query never (it may carry secrets). One write(2) per line. */
void access_log_write(const struct access_log *log, const struct ngd_request *req, unsigned status,
		      size_t bytes, uint64_t duration_ns);

#endif
