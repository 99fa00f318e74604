/* Entra ID's (or the managed-identity endpoint's) token answer: the status and the JSON body
 * through read_answer(), static in entra.c, which the harness compiles into itself as
 * fuzz_webhook does: no libcurl call, no network. The first byte chooses the status. */
#include "fuzz.h"
#include "token/entra.c"

static const long statuses[] = {200, 200, 200, 400, 401, 500, 0};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	struct rest_answer a = {.status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])]};
	a.len = size - 1;
	if (!(a.body = malloc(a.len + 1)))
		return 0;
	memcpy(a.body, data + 1, a.len);
	a.body[a.len] = '\0';
	char *token = NULL, why[200] = "";
	long long expires_at = 0;
	int rc = read_answer(&a, &token, &expires_at, why, sizeof why);
	if (rc == 0 && (a.status != 200 || !token || !token_chars_valid(token) || expires_at <= 0))
		abort();
	if (rc != 0 && (token || !why[0]))
		abort(); /* a refusal says why, and yields no token */
	if (strstr(why, "AADSTS"))
		abort(); /* why names a status and a plain error code, never the service's description */
	free(token);
	rest_answer_clear(&a);
	return 0;
}
