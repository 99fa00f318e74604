/* SPDX-License-Identifier: Apache-2.0 */
/* Process-wide counters for GET /metrics (Prometheus text format). Updates are relaxed atomics:
 * cheap on the request path, exact once the requests they count have finished. */
#ifndef NGD_METRICS_H
#define NGD_METRICS_H

#include "core/buf.h"

#include <negotiated/authenticator.h>
#include <stdbool.h>
#include <stdint.h>

/* Hub label values, kept for the life of the process so counters survive reloads: above the hubs a
 * 1 MiB configuration can hold, so only many reloads of new names reach it ("unknown" after that).
 */
#define METRICS_MAX_HUBS (1u << 17)
#define METRICS_MAX_AUTHS 256 /* authenticator label values; more are counted as "other" */
#define METRICS_UNKNOWN 0     /* the slot of requests with no known hub */

enum rate_limit_kind { RATE_LIMIT_USER, RATE_LIMIT_ADDRESS };

/* The label slot of a hub or [auth:NAME] name, the same one across reloads; called when a
 * runtime is built, never on the request path. Slot 0 when the table is full. */
unsigned metrics_hub_slot(const char *hub);
unsigned metrics_auth_slot(const char *auth);

void metrics_request(unsigned hub_slot, unsigned status,
		     uint64_t duration_ns); /* one /negotiate answer */
void metrics_auth(unsigned auth_slot, enum ngd_auth_result result);
void metrics_token_issued(unsigned hub_slot);
void metrics_rate_limited(unsigned hub_slot, enum rate_limit_kind kind);
void metrics_revoked(unsigned hub_slot); /* a /negotiate refused by the revocation list */
/* For the reload path (SIGHUP): one call per attempt, ok when the new snapshot took over. */
void metrics_reload(bool ok);
/* For the JWKS fetcher: one call per refresh that failed (network, HTTP status, bad document). */
void metrics_jwks_refresh_failed(void);

/* Appends the exposition text (format 0.0.4). */
void metrics_render(struct buf *out);

#endif
