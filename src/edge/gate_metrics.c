/* SPDX-License-Identifier: Apache-2.0 */
/* Two labelled counters; nothing allocated. */
#include "edge/gate_metrics.h"

#include <stdatomic.h>
#include <stdint.h>

static const char *const call_names[CLOSE_METRIC_N_CALLS] = {"close_connections",
							     "remove_from_groups"};
static const char *const close_names[CLOSE_METRIC_N_RESULTS] = {"ok", "retried", "failed", "busy"};
static const char *const gate_names[GATE_N_RESULTS] = {
	"allowed",     "revoked",   "bad_signature",	   "bad_origin",
	"bad_request", "preflight", "too_many_connections"};

static _Atomic uint64_t closes[CLOSE_METRIC_N_CALLS][CLOSE_METRIC_N_RESULTS];
static _Atomic uint64_t gates[GATE_N_RESULTS];

void metrics_revoke_close(enum close_metric_call call, enum close_metric_result result)
{
	atomic_fetch_add_explicit(&closes[call][result], 1, memory_order_relaxed);
}

void metrics_connect_gate(enum gate_metric_result result)
{
	atomic_fetch_add_explicit(&gates[result], 1, memory_order_relaxed);
}

void gate_metrics_render(struct buf *out)
{
	buf_puts(out, "# HELP negotiated_revoke_close_total REST calls that close a revoked user's "
		      "connections or remove it from all groups, by attempt result.\n"
		      "# TYPE negotiated_revoke_close_total counter\n");
	for (int c = 0; c < CLOSE_METRIC_N_CALLS; c++)
		for (int r = 0; r < CLOSE_METRIC_N_RESULTS; r++)
			buf_printf(
				out,
				"negotiated_revoke_close_total{call=\"%s\",result=\"%s\"} %llu\n",
				call_names[c], close_names[r],
				(unsigned long long)atomic_load_explicit(&closes[c][r],
									 memory_order_relaxed));
	buf_puts(out, "# HELP negotiated_connect_gate_total The connect gate's answers to the "
		      "service's connect events, by result.\n"
		      "# TYPE negotiated_connect_gate_total counter\n");
	for (int r = 0; r < GATE_N_RESULTS; r++)
		buf_printf(
			out, "negotiated_connect_gate_total{result=\"%s\"} %llu\n", gate_names[r],
			(unsigned long long)atomic_load_explicit(&gates[r], memory_order_relaxed));
}
