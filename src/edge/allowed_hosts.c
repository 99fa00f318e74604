/* SPDX-License-Identifier: Apache-2.0 */
/* Host checks (allowed_hosts.h). A Host is compared whole, case-insensitively, port apart: no
 * suffix or wildcard matching, so "localhost.evil.example" is never "localhost". */
#include "edge/allowed_hosts.h"

#include "core/decimal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Splits "name[:port]" or "[v6][:port]"; *port 0 when absent. -1 when the shape is wrong. */
static int split_host(const char *s, size_t len, size_t *name_len, unsigned *port)
{
	const char *colon;
	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (!close)
			return -1;
		*name_len = (size_t)(close - s) + 1;
		colon = *name_len < len ? close + 1 : NULL;
		if (colon && *colon != ':')
			return -1;
	} else {
		colon = memchr(s, ':', len);
		*name_len = colon ? (size_t)(colon - s) : len;
		if (colon && memchr(colon + 1, ':', len - *name_len - 1))
			return -1; /* a bare IPv6 address is not a Host */
	}
	*port = 0;
	if (!colon)
		return *name_len ? 0 : -1;
	char digits[8];
	size_t n = len - (size_t)(colon + 1 - s);
	if (n == 0 || n >= sizeof digits || *name_len == 0)
		return -1;
	memcpy(digits, colon + 1, n);
	digits[n] = '\0';
	return decimal_parse(digits, 1, 65535, port);
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-._[]:", c);
}

int allowed_hosts_add(struct allowed_hosts *ah, const char *spec, char *err, size_t err_len)
{
	size_t len = strlen(spec), name_len;
	unsigned port;
	if (strcmp(spec, "*") == 0) {
		ah->any = true;
		return 0;
	}
	if (ah->n == NGD_MAX_ALLOWED_HOSTS) {
		snprintf(err, err_len, "more than %d entries", NGD_MAX_ALLOWED_HOSTS);
		return -1;
	}
	if (split_host(spec, len, &name_len, &port) < 0 || name_len > NGD_MAX_HOST_NAME) {
		snprintf(err, err_len, "'%.64s' is not NAME, NAME:PORT, [IPV6] or [IPV6]:PORT",
			 spec);
		return -1;
	}
	struct allowed_host *h = &ah->hosts[ah->n];
	for (size_t i = 0; i < name_len; i++) {
		if (!name_char(spec[i])) {
			snprintf(err, err_len,
				 "'%.64s': a host name has letters, digits, '-' and '.'", spec);
			return -1;
		}
		h->name[i] = (char)(spec[i] >= 'A' && spec[i] <= 'Z' ? spec[i] + 32 : spec[i]);
	}
	h->name[name_len] = '\0';
	h->port = port;
	ah->n++;
	return 0;
}

static bool same_name(const char *want, const char *host, size_t name_len)
{
	return strlen(want) == name_len && strncasecmp(want, host, name_len) == 0;
}

bool allowed_hosts_match(const struct allowed_hosts *ah, const char *host, size_t len)
{
	size_t name_len;
	unsigned port;
	if (ah->any)
		return true;
	if (split_host(host, len, &name_len, &port) < 0)
		return false;
	for (size_t i = 0; i < ah->n; i++)
		if (same_name(ah->hosts[i].name, host, name_len) &&
		    (!ah->hosts[i].port || ah->hosts[i].port == port))
			return true;
	return false;
}

bool allowed_hosts_default_match(const char *host, size_t len, const char *local)
{
	static const char *const loopback[] = {"localhost", "127.0.0.1", "[::1]"};
	size_t name_len;
	unsigned port;
	if (split_host(host, len, &name_len, &port) < 0)
		return false;
	for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++)
		if (same_name(loopback[i], host, name_len))
			return true;
	return local && local[0] && same_name(local, host, name_len);
}
