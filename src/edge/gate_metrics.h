/* SPDX-License-Identifier: Apache-2.0 */
/* Counters of issue 22's service-facing side for GET /metrics: the REST calls that close a revoked
 * user's connections, and the connect gate's answers. Relaxed atomics, as metrics.c keeps them. */
#ifndef NGD_GATE_METRICS_H
#define NGD_GATE_METRICS_H

#include "core/buf.h"

enum close_metric_call { CLOSE_METRIC_CONNECTIONS, CLOSE_METRIC_GROUPS, CLOSE_METRIC_N_CALLS };
enum close_metric_result {
	CLOSE_METRIC_OK,      /* the service answered 2xx */
	CLOSE_METRIC_RETRIED, /* an attempt failed and another follows */
	CLOSE_METRIC_FAILED,  /* the last attempt failed, or one that retrying cannot fix */
	CLOSE_METRIC_BUSY,    /* the pool refused the job */
	CLOSE_METRIC_N_RESULTS
};
void metrics_revoke_close(enum close_metric_call call, enum close_metric_result result);

enum gate_metric_result {
	GATE_ALLOWED,
	GATE_REVOKED,
	GATE_BAD_SIGNATURE,
	GATE_BAD_ORIGIN,
	GATE_BAD_REQUEST, /* method, size, content type, headers, body, hub */
	GATE_PREFLIGHT,
	GATE_TOO_MANY, /* max_connections_per_user reached */
	GATE_N_RESULTS
};
void metrics_connect_gate(enum gate_metric_result result);

void gate_metrics_render(struct buf *out);

#endif
