/* SPDX-License-Identifier: Apache-2.0 */
/* Request ids: a per-thread random prefix and counter, so making one costs no system call. */
#include "edge/request_id.h"

#include "core/secret.h"

#include <stdint.h>
#include <string.h>

bool request_id_valid(const char *id)
{
	size_t len = id ? strlen(id) : 0;
	return len > 0 && len <= REQUEST_ID_MAX &&
	       strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") ==
		       len;
}

static void fresh_id(char *out)
{
	static __thread unsigned char prefix[8];
	static __thread uint64_t counter;
	static __thread bool seeded;
	unsigned char raw[16];
	if (!seeded) {
		seeded = true;
		uintptr_t self =
			(uintptr_t)&counter; /* without randomness, still unique per thread */
		if (random_bytes(prefix, sizeof prefix) < 0)
			memcpy(prefix, &self,
			       sizeof self < sizeof prefix ? sizeof self : sizeof prefix);
	}
	uint64_t n = ++counter;
	memcpy(raw, prefix, 8);
	for (int i = 0; i < 8; i++)
		raw[8 + i] = (unsigned char)(n >> (56 - 8 * i));
	hex_encode(raw, sizeof raw, out);
}

void request_id_choose(const char *incoming, bool peer_trusted, char *out)
{
	if (peer_trusted && request_id_valid(incoming))
		memcpy(out, incoming, strlen(incoming) + 1);
	else
		fresh_id(out);
}
