/* SPDX-License-Identifier: Apache-2.0 */
/* [server] allowed_hosts entries and the Host a client sends: the input is one spec per line,
 * then "\n\n", then the Host value (any bytes up to the end, NUL included). */
#include "edge/allowed_hosts.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What a listed name without a port must admit: the same bytes, in any case, with any port. */
static void check_listed(const struct allowed_hosts *ah)
{
	for (size_t i = 0; i < ah->n; i++) {
		const char *name = ah->hosts[i].name;
		if (!ah->hosts[i].port && !allowed_hosts_match(ah, name, strlen(name)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[256];
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *host = memmem(text, size, "\n\n", 2);
	size_t host_len = host ? size - (size_t)(host + 2 - text) : 0;
	if (host)
		*host = '\0', host += 2;
	static struct allowed_hosts ah; /* 16 KiB: not on the stack */
	memset(&ah, 0, sizeof ah);
	char *rest = text, *line;
	while ((line = strsep(&rest, "\n"))) {
		err[0] = '\0';
		size_t before = ah.n;
		if (allowed_hosts_add(&ah, line, err, sizeof err) < 0 &&
		    (!err[0] || ah.n != before))
			abort(); /* a refusal says why and adds nothing */
		if (ah.n > NGD_MAX_ALLOWED_HOSTS)
			abort();
	}
	check_listed(&ah);
	if (host) {
		bool listed = allowed_hosts_match(&ah, host, host_len);
		bool loopback = allowed_hosts_default_match(host, host_len, "[::1]");
		if (ah.any && !listed)
			abort();
		bool named = strncasecmp(host, "localhost", 9) == 0 ||
			     strncmp(host, "127.0.0.1", 9) == 0 || strncmp(host, "[::1]", 5) == 0;
		if (loopback && !named)
			abort(); /* the default admits only the loopback names */
	}
	free(text);
	return 0;
}
