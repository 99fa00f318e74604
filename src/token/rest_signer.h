/* SPDX-License-Identifier: Apache-2.0 */
/* Client tokens from the service's generateToken REST API, for resources without access keys:
 * the request @azure/web-pubsub 1.2.0 sends, bounded per service, identical asks in flight
 * sharing one call, a short cache of issued tokens against reconnect storms. Blocking: called
 * only off the HTTP threads. */
#ifndef NGD_REST_SIGNER_H
#define NGD_REST_SIGNER_H

#include "core/buf.h"
#include "store/store.h"
#include "token/connstr.h"
#include "token/entra.h"
#include "token/token.h"

#include <stdbool.h>

#define REST_API_VERSION "2024-12-01" /* what @azure/web-pubsub 1.2.0 sends */

struct rest_settings {
	const char *service; /* "[service:NAME]" */
	const char *ca_file; /* NULL: the system's trust store */
	long timeout_ms;
	unsigned concurrency; /* calls in flight at once */
	unsigned queue;	      /* callers waiting on an identical call in flight */
	unsigned cache;	      /* issued tokens kept for identical asks; 0: none */
};

struct rest_signer;

/* Takes ownership of entra (stopped on failure too). NULL when memory ran out. */
struct rest_signer *rest_signer_new(const struct endpoint *ep, const struct rest_settings *s,
				    struct entra *entra);
void rest_signer_free(struct rest_signer *rs);
bool rest_signer_ready(struct rest_signer *rs); /* holds a valid Entra token */
/* Shares the reuse cache and single flight with the fleet through st (not owned; it outlives rs:
 * both belong to one runtime): a storm costs one generateToken call per distinct ask for the
 * whole fleet. */
void rest_signer_share(struct rest_signer *rs, struct store *st);
/* Appends "Bearer <Entra token>" for another REST call of this service (a secret): 0, or -1. */
int rest_signer_bearer(struct rest_signer *rs, struct buf *out);

/* Appends "api/hubs/{hub}/:generateToken?..." for the claims (iat is not sent). */
void rest_request_path(const struct token_claims *c, struct buf *out);

enum issue_result { ISSUE_OK, ISSUE_UNAVAILABLE, ISSUE_FAILED };
/* The token for c, signed locally with key or asked of the service through rest (exactly one is
 * set); appended to out (a secret). */
enum issue_result token_issue(const struct endpoint *ep, const struct token_signer *key,
			      struct rest_signer *rest, const struct token_claims *c,
			      struct buf *out);

#endif
