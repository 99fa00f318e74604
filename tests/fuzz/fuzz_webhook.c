/* SPDX-License-Identifier: Apache-2.0 */
/* The webhook's answer as the operator's service sends it: the HTTP status and the JSON body
 * through judge() and parse_answer(). Both are static in webhook.c, so the harness compiles that
 * file into itself (without touching it) and calls them directly: no libcurl call, no network.
 * The first byte chooses the status, the rest is the body. */
#include "auth/webhook.c"
#include "fixture.h"
#include "fuzz.h"

static const long statuses[] = {200, 200, 200, 201, 204, 299, 401, 403, 500, 302, 199, 300};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	fixture_quiet();
	long status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
	struct webhook w = {.name = "fuzz"};
	struct buf body = {0};
	buf_append(&body, data + 1, size - 1);
	struct ngd_outcome out = {0};
	enum ngd_auth_result r = judge(&w, status, &body, &out);
	if (r == NGD_AUTH_OK && (status < 200 || status > 299))
		abort();
	if (r == NGD_AUTH_OK && !out.principal.user_id[0])
		abort(); /* an admitted caller has a user id */
	if ((status == 401 || status == 403) &&
	    (r != NGD_AUTH_DENY || out.deny_status != (unsigned)status))
		abort();
	if (r == NGD_AUTH_OK)
		for (size_t i = 0; i < out.principal.n_attrs; i++)
			if (!out.principal.attrs[i].name || !out.principal.attrs[i].value)
				abort();
	outcome_clear(&out);
	buf_free(&body);
	return 0;
}
