/* SPDX-License-Identifier: Apache-2.0 */
/* The service's answer to generateToken, as a keyless hub receives it: the status and the JSON
 * body through read_token(). It is static in rest_signer.c, so the harness compiles that file
 * into itself (without touching it), as fuzz_webhook does: no libcurl call, no network.
 * The first byte chooses the status, the rest is the body. */
#include "fuzz.h"
#include "fuzz_answer.h"
#include "token/rest_signer.c"

static const long statuses[] = {200, 200, 200, 201, 401, 403, 500, 0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rest_answer a;
	if (fuzz_answer(data, size, statuses, sizeof statuses / sizeof statuses[0], &a) < 0)
		return 0;
	char *token = NULL;
	enum rest_outcome o = read_token(&a, &token);
	if (o == REST_OK && (a.status != 200 || !token || !jwt_shaped(token)))
		abort(); /* only a 200 with a JWT-shaped token is a token */
	if (o != REST_OK && token)
		abort();
	if ((a.status == 401 || a.status == 403) && o != REST_DENIED)
		abort();
	free(token);
	rest_answer_clear(&a);
	return 0;
}
