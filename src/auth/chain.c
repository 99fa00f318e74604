/* SPDX-License-Identifier: Apache-2.0 */
/* The chain: DECLINED asks the next one, OK and DENY and ERROR stop (nginx's access phase); one
 * that must block stops it, to continue at that authenticator on its pool. */
#include "auth/chain.h"

#include "edge/metrics.h"

/* Stops the chain at the authenticator it is at: it continues there on POOL's thread. */
static enum ngd_auth_result wait_on(struct pool *pool, struct ngd_outcome *out, struct pool **wait)
{
	outcome_clear(out);
	*wait = pool;
	return NGD_AUTH_ERROR; /* fails closed should anything ignore the wait */
}

/* What one authenticator said, as the chain answers it. */
static enum ngd_auth_result decided(const struct auth_instance *inst, enum ngd_auth_result r,
				    struct ngd_outcome *out)
{
	if (r == NGD_AUTH_OK && !out->principal.user_id[0])
		r = NGD_AUTH_ERROR; /* OK must name the caller: anything else fails closed */
	metrics_auth(inst->metrics_slot, r);
	out->principal.authenticator =
		inst->name; /* who admitted, refused or failed, for the log */
	if (r != NGD_AUTH_OK)
		out->principal.user_id[0] =
			'\0'; /* a refused caller has no user id, even in the log */
	if (r == NGD_AUTH_DENY && !out->deny_code[0])
		ngd_outcome_deny(out, 401, "invalid_credentials",
				 "the credentials were not accepted");
	return r;
}

enum ngd_auth_result auth_chain_run(struct auth_instance *const *chain, size_t n, size_t *at,
				    const struct pool *here, const struct ngd_request *req,
				    struct ngd_outcome *out, struct pool **wait)
{
	*wait = NULL;
	for (; *at < n; (*at)++) {
		const struct auth_instance *inst = chain[*at];
		bool own = here && inst->pool == here;
		if ((inst->type->flags & NGD_AUTH_MAY_BLOCK) && !own)
			return wait_on(inst->pool, out, wait);
		out->may_block = own;
		out->defer = false;
		enum ngd_auth_result r = inst->type->authenticate(inst->state, req, out);
		if (out->defer && !own && inst->pool)
			return wait_on(inst->pool, out, wait);
		if (out->defer)
			r = NGD_AUTH_ERROR; /* asked to block where it already may: fail closed */
		if (r != NGD_AUTH_DECLINED)
			return decided(inst, r, out);
		metrics_auth(inst->metrics_slot, r);
		outcome_clear(
			out); /* nothing a declining authenticator set may leak into the next */
	}
	ngd_outcome_deny(out, 401, "unauthenticated",
			 "no credentials that this hub accepts were presented");
	return NGD_AUTH_DENY;
}
