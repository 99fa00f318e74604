/* SPDX-License-Identifier: Apache-2.0 */
/* What an authenticator says about one caller: principal, or a refusal with its code. */
#ifndef NGD_AUTH_OUTCOME_H
#define NGD_AUTH_OUTCOME_H

#include "policy/principal.h"

#include <negotiated/authenticator.h>
#include <stdbool.h>

#define NGD_MAX_DENY_CODE 64

struct ngd_outcome {
	struct principal principal;
	unsigned deny_status; /* 401 or 403 */
	char deny_code[NGD_MAX_DENY_CODE +
		       1]; /* [a-z_]{1,64}, copied: a plugin's may be on its stack */
	char deny_message[200];
	bool may_block; /* in: this authenticator runs on its own pool's thread */
	bool defer; /* out: it must block, so the chain continues at it on its pool (auth_defer) */
};

static inline enum ngd_auth_result auth_defer(struct ngd_outcome *out)
{
	out->defer = true;
	return NGD_AUTH_ERROR; /* fails closed should anything ignore the request */
}

void outcome_clear(struct ngd_outcome *out);

#endif
