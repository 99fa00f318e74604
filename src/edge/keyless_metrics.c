/* SPDX-License-Identifier: Apache-2.0 */
/* Relaxed atomic counters, as metrics.c keeps them; a fixed latency histogram in seconds. */
#include "edge/keyless_metrics.h"

#include <stdatomic.h>
#include <stdint.h>

static const char *const outcome_names[REST_N_OUTCOMES] = {
	"ok",	  "cached",	"shared",	  "busy",	 "no_credential",
	"denied", "http_error", "invalid_answer", "unreachable", "fleet",
};
static const double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define N_BOUNDS (sizeof bounds / sizeof bounds[0])

static _Atomic uint64_t outcomes[REST_N_OUTCOMES], buckets[N_BOUNDS + 1], latency_us, calls;
static _Atomic uint64_t refreshes, refresh_failures;

static void bump(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

void metrics_rest_call(enum rest_outcome outcome, double seconds)
{
	bump(&outcomes[outcome], 1);
	if (seconds < 0)
		return;
	size_t b = 0;
	while (b < N_BOUNDS && seconds > bounds[b])
		b++;
	bump(&buckets[b], 1);
	bump(&latency_us, (uint64_t)(seconds * 1e6));
	bump(&calls, 1);
}

void metrics_entra_refresh(bool ok)
{
	bump(ok ? &refreshes : &refresh_failures, 1);
}

static uint64_t get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static void render_latency(struct buf *out)
{
	uint64_t cumulative = 0;
	buf_puts(out, "# HELP negotiated_generate_token_duration_seconds Time of the calls to the "
		      "service's "
		      "generateToken API.\n# TYPE negotiated_generate_token_duration_seconds "
		      "histogram\n");
	for (size_t b = 0; b <= N_BOUNDS; b++) {
		cumulative += get(&buckets[b]);
		if (b < N_BOUNDS)
			buf_printf(out,
				   "negotiated_generate_token_duration_seconds_bucket{le=\"%g\"} "
				   "%llu\n",
				   bounds[b], (unsigned long long)cumulative);
		else
			buf_printf(out,
				   "negotiated_generate_token_duration_seconds_bucket{le=\"+Inf\"} "
				   "%llu\n",
				   (unsigned long long)cumulative);
	}
	buf_printf(out, "negotiated_generate_token_duration_seconds_sum %.6f\n",
		   (double)get(&latency_us) / 1e6);
	buf_printf(out, "negotiated_generate_token_duration_seconds_count %llu\n",
		   (unsigned long long)get(&calls));
}

void keyless_metrics_render(struct buf *out)
{
	buf_puts(out, "# HELP negotiated_generate_token_total Client tokens asked of the service "
		      "(keyless "
		      "services), by outcome.\n# TYPE negotiated_generate_token_total counter\n");
	for (size_t i = 0; i < REST_N_OUTCOMES; i++)
		buf_printf(out, "negotiated_generate_token_total{outcome=\"%s\"} %llu\n",
			   outcome_names[i], (unsigned long long)get(&outcomes[i]));
	render_latency(out);
	buf_printf(
		out,
		"# HELP negotiated_entra_token_refreshes_total Microsoft Entra ID tokens fetched.\n"
		"# TYPE negotiated_entra_token_refreshes_total "
		"counter\nnegotiated_entra_token_refreshes_total "
		"%llu\n",
		(unsigned long long)get(&refreshes));
	buf_printf(out,
		   "# HELP negotiated_entra_token_refresh_errors_total Microsoft Entra ID token "
		   "fetches that "
		   "failed.\n# TYPE negotiated_entra_token_refresh_errors_total counter\n"
		   "negotiated_entra_token_refresh_errors_total %llu\n",
		   (unsigned long long)get(&refresh_failures));
}
