/* SPDX-License-Identifier: Apache-2.0 */
/* anonymous: admits every caller, for development only, and says so loudly at start. */
#include "auth/registry.h"
#include "core/names.h"
#include "core/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct anonymous {
	char *user; /* NULL: a random id per request */
};

static void *anonymous_create(struct ngd_section *sec)
{
	const char *user = ngd_section_get(sec, "user");
	if (user && !user_id_valid(user)) {
		ngd_section_error(
			sec, "user",
			"not a valid user id (1 to %d bytes of UTF-8, no control characters)",
			NGD_MAX_USER_ID);
		return NULL;
	}
	struct anonymous *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	if (user && !(a->user = strdup(user))) {
		free(a);
		return NULL;
	}
	ngd_log_warning(
		"[auth:%s] is anonymous: it admits every caller (%s); use it for development only",
		ngd_section_name(sec), user ? "all as one user" : "each with a random user id");
	return a;
}

static enum ngd_auth_result anonymous_authenticate(void *instance, const struct ngd_request *req,
						   struct ngd_outcome *out)
{
	const struct anonymous *a = instance;
	unsigned char random[8];
	char id[5 + 2 * sizeof random + 1] = "anon-";
	(void)req;
	if (a->user)
		return ngd_outcome_set_user(out, a->user) == 0 ? NGD_AUTH_OK : NGD_AUTH_ERROR;
	if (random_bytes(random, sizeof random) < 0)
		return NGD_AUTH_ERROR;
	hex_encode(random, sizeof random, id + 5);
	return ngd_outcome_set_user(out, id) == 0 ? NGD_AUTH_OK : NGD_AUTH_ERROR;
}

static void anonymous_destroy(void *instance)
{
	struct anonymous *a = instance;
	free(a->user);
	free(a);
}

const struct ngd_authenticator auth_anonymous = {
	.abi_version = NGD_AUTH_ABI_VERSION,
	.type = "anonymous",
	.challenge = NULL,
	.create = anonymous_create,
	.authenticate = anonymous_authenticate,
	.destroy = anonymous_destroy,
};
