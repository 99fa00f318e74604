/* SPDX-License-Identifier: Apache-2.0 */
/* A rate spec as [hub:NAME] rate_per_user / rate_per_address writes it ("30/min burst 10"):
 * rate_spec_parse(), then a few takes from a bucket of the accepted spec at fixed times. */
#include "edge/ratelimit.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[256] = "";
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct rate_spec spec;
	memset(&spec, 0xa5, sizeof spec);
	if (rate_spec_parse(text, &spec, err, sizeof err) < 0) {
		if (!err[0])
			abort();
	} else {
		if (spec.count > RATE_MAX_COUNT || spec.burst > RATE_MAX_BURST ||
		    (spec.count && !spec.period_ns))
			abort();
		struct rate_table *table =
			rate_table_new(); /* a fresh one: no input depends on the one before */
		if (!table)
			abort();
		uint64_t key = rate_key(table, "hub", "user", text, NULL),
			 now = 1000000000000000ull;
		for (unsigned i = 0; spec.count && i < 3; i++)
			if (rate_take(table, key, &spec, now + i * 1000u) > 86400u * 366)
				abort(); /* Retry-After is at most a period */
		rate_table_free(table);
	}
	free(text);
	return 0;
}
