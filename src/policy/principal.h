/* SPDX-License-Identifier: Apache-2.0 */
/* Who the caller is: what authentication hands to the policy. Authenticators fill it (auth/),
 * the policy reads it (policy/); neither needs the other's headers for it. */
#ifndef NGD_PRINCIPAL_H
#define NGD_PRINCIPAL_H

#include "core/caps.h"

#include <stddef.h>

struct attribute {
	char *name;
	char *value;
};

/* Who the caller is, as the authenticator that admitted it says. */
struct principal {
	char user_id[NGD_MAX_USER_ID + 1]; /* "" when the authenticator set none */
	const char *authenticator; /* the [auth:NAME] that decided (admitted, denied or failed) */
	struct attribute attrs[NGD_MAX_ATTRIBUTES];
	size_t n_attrs;
};

#endif
