/* SPDX-License-Identifier: Apache-2.0 */
/* A JWKS document as the IdP (or anyone on the path of an http:// jwks_url) serves it: start-up,
 * reload and the background refresh all parse it with keyset_from_jwks(). */
#include "auth/jwt/jwk.h"
#include "fuzz.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "";
	struct keyset *ks = keyset_from_jwks((const char *)data, size, err, sizeof err);
	if (!ks && !err[0])
		abort(); /* every refusal names its reason */
	if (ks && ks->n == 0)
		abort(); /* a key set has a key */
	keyset_release(ks);
	return 0;
}
