/* SPDX-License-Identifier: Apache-2.0 */
/* [server] trusted_proxies entries and the X-Forwarded-For a client sends: the input is one spec
 * per line, then "\n\n", then the header value, read from a trusted and an untrusted peer. */
#include "edge/trusted_proxies.h"
#include "fuzz.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static void check_client(const struct trusted_proxies *tp, const struct sockaddr *peer,
			 const char *xff)
{
	char out[INET6_ADDRSTRLEN + 1];
	memset(out, 'x', sizeof out);
	bool trusted = client_address(tp, peer, xff, out, sizeof out);
	if (!memchr(out, '\0', sizeof out) || !out[0])
		abort(); /* always a terminated, non-empty address */
	if (trusted != trusted_proxies_match(tp, peer))
		abort();
	if (strcmp(out, "unix") != 0 && strcmp(out, "unknown") != 0) { /* else a numeric address */
		unsigned char a[16];
		if (inet_pton(AF_INET, out, a) != 1 && inet_pton(AF_INET6, out, a) != 1)
			abort();
	}
	trusted_proxies_match_text(tp, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[256];
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *xff = strstr(text, "\n\n");
	if (xff)
		*xff = '\0', xff += 2;
	struct trusted_proxies tp = {0};
	char *rest = text, *line;
	while ((line = strsep(&rest, "\n"))) {
		err[0] = '\0';
		size_t before = tp.n;
		if (trusted_proxies_add(&tp, line, err, sizeof err) < 0 &&
		    (!err[0] || tp.n != before))
			abort();
		if (tp.n > NGD_MAX_TRUSTED_PROXIES)
			abort();
	}
	struct sockaddr_in v4 = {.sin_family = AF_INET};
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	inet_pton(AF_INET, "10.1.2.3", &v4.sin_addr);
	inet_pton(AF_INET6, "2001:db8::7", &v6.sin6_addr);
	check_client(&tp, (struct sockaddr *)&v4, xff);
	check_client(&tp, (struct sockaddr *)&v6, xff);
	check_client(&tp, (struct sockaddr *)&un, xff);
	free(text);
	return 0;
}
