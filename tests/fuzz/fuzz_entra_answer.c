/* SPDX-License-Identifier: Apache-2.0 */
/* Entra ID's (or the managed-identity endpoint's) token answer: the status and the JSON body
 * through read_answer(), static in entra.c, which the harness compiles into itself as
 * fuzz_webhook does: no libcurl call, no network. The first byte chooses the status. */
#include "fuzz.h"
#include "fuzz_answer.h"
#include "token/entra.c"

static const long statuses[] = {200, 200, 200, 400, 401, 500, 0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rest_answer a;
	if (fuzz_answer(data, size, statuses, sizeof statuses / sizeof statuses[0], &a) < 0)
		return 0;
	char *token = NULL, why[200] = "";
	long long expires_at = 0;
	int rc = read_answer(&a, &token, &expires_at, why, sizeof why);
	if (rc == 0 && (a.status != 200 || !token || !token_chars_valid(token) || expires_at <= 0))
		abort();
	if (rc != 0 && (token || !why[0]))
		abort(); /* a refusal says why, and yields no token */
	if (strstr(why, "AADSTS"))
		abort(); /* why names a status and a plain error code, never the service's
			    description */
	free(token);
	rest_answer_clear(&a);
	return 0;
}
