/* SPDX-License-Identifier: Apache-2.0 */
/* Deliberately broken plugins for the refusal tests, one per macro:
 * BROKEN_NO_ENTRY exports no ngd_plugin_entry, BROKEN_ABI reports another ABI version,
 * BROKEN_CREATE has a create() that fails without saying why, BROKEN_NULL returns no descriptor. */
#include <negotiated/plugin.h>

#include <stddef.h>

static void *broken_create(struct ngd_section *sec)
{
	(void)sec;
#ifdef BROKEN_CREATE
	return NULL;
#else
	static int instance;
	return &instance;
#endif
}

static enum ngd_auth_result broken_authenticate(void *instance, const struct ngd_request *req,
						struct ngd_outcome *out)
{
	(void)instance, (void)req, (void)out;
	return NGD_AUTH_DECLINED;
}

static void broken_destroy(void *instance)
{
	(void)instance;
}

static const struct ngd_authenticator broken = {
#ifdef BROKEN_ABI
	.abi_version = NGD_PLUGIN_ABI_VERSION + 41,
#else
	.abi_version = NGD_PLUGIN_ABI_VERSION,
#endif
	.type = "broken",
	.create = broken_create,
	.authenticate = broken_authenticate,
	.destroy = broken_destroy,
};

#ifdef BROKEN_NO_ENTRY
const struct ngd_authenticator *not_the_entry(void);
const struct ngd_authenticator *not_the_entry(void)
#else
const struct ngd_authenticator *ngd_plugin_entry(void)
#endif
{
#ifdef BROKEN_NULL
	(void)broken;
	return NULL;
#else
	return &broken;
#endif
}
