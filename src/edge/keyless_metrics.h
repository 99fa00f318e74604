/* SPDX-License-Identifier: Apache-2.0 */
/* Counters of the keyless signer for GET /metrics: generateToken calls by outcome and latency,
 * Entra token refreshes and their failures. */
#ifndef NGD_KEYLESS_METRICS_H
#define NGD_KEYLESS_METRICS_H

#include "core/buf.h"

#include <stdbool.h>

enum rest_outcome {
	REST_OK,	     /* the service answered a token */
	REST_CACHED,	     /* answered from the short cache of issued tokens */
	REST_SHARED,	     /* joined an identical call in flight */
	REST_BUSY,	     /* the per-service bound was reached: 503 without a call */
	REST_NO_CREDENTIAL,  /* no valid Entra token: 503 without a call */
	REST_DENIED,	     /* 401/403: the identity lacks the role */
	REST_HTTP_ERROR,     /* another status */
	REST_INVALID_ANSWER, /* 200 but not {"token":"<JWT>"} */
	REST_UNREACHABLE,    /* no answer: connection, TLS or timeout */
	REST_FLEET,	     /* answered from the fleet's cache in the [store] */
	REST_N_OUTCOMES
};

void metrics_rest_call(enum rest_outcome outcome,
		       double seconds); /* seconds < 0: no call was made */
void metrics_entra_refresh(bool ok);
void keyless_metrics_render(struct buf *out);

#endif
