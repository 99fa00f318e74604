/* SPDX-License-Identifier: Apache-2.0 */
/* A Web PubSub connection string as the configuration (or the environment) gives it:
 * connstr_parse(), with what it accepts checked for shape and its refusals for a reason. */
#include "fuzz.h"
#include "token/connstr.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static void check_endpoint(const struct endpoint *ep)
{
	size_t h = strlen(ep->http_base), w = strlen(ep->ws_base);
	if (!h || ep->http_base[h - 1] != '/' || !w || ep->ws_base[w - 1] != '/')
		abort(); /* both bases end in exactly the one '/' the URL builder relies on */
	if (strncmp(ep->http_base, "http", 4) != 0 || strncmp(ep->ws_base, "ws", 2) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[256] = "";
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct connstr cs = {0};
	if (connstr_parse(text, &cs, err, sizeof err) == 0) {
		check_endpoint(&cs.endpoint);
		if (!cs.access_key || !cs.access_key[0])
			abort();
		connstr_clear(&cs);
	} else {
		if (!err[0] || cs.access_key || cs.endpoint.http_base)
			abort(); /* a refusal says why and leaves nothing allocated */
		const char *key = strstr(text, "AccessKey=");
		size_t klen = key ? strcspn(key + 10, ";") : 0;
		/* the reason never quotes the access key (a probe with a digit or '+' '/': not a
		 * word of a message) */
		if (klen >= 8 && strcspn(key + 10, "0123456789+/") < 8) {
			char probe[9];
			memcpy(probe, key + 10, 8);
			probe[8] = '\0';
			bool only_in_key =
				strstr(text, probe) == key + 10 && !strstr(key + 11, probe);
			if (only_in_key && strstr(err, probe))
				abort();
		}
	}
	free(text);
	return 0;
}
