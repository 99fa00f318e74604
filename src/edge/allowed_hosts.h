/* SPDX-License-Identifier: Apache-2.0 */
/* Which Host a request may name ([server] allowed_hosts): a DNS-rebinding page reaches a listener
 * under its own name, so a name the operator did not list is refused before anything runs. */
#ifndef NGD_ALLOWED_HOSTS_H
#define NGD_ALLOWED_HOSTS_H

#include <stdbool.h>
#include <stddef.h>

#define NGD_MAX_ALLOWED_HOSTS 64
#define NGD_MAX_HOST_NAME 255 /* a DNS name's limit; longer Host values are never admitted */

struct allowed_host {
	char name[NGD_MAX_HOST_NAME + 1]; /* lower case; an IPv6 address keeps its brackets */
	unsigned port;			  /* 0: any port */
};

struct allowed_hosts {
	bool any; /* "*" */
	struct allowed_host hosts[NGD_MAX_ALLOWED_HOSTS];
	size_t n;
};

/* Adds "*", "NAME", "NAME:PORT", "[IPV6]" or "[IPV6]:PORT". 0, or -1 with the reason in err. */
int allowed_hosts_add(struct allowed_hosts *ah, const char *spec, char *err, size_t err_len);

/* Whether the Host value (len bytes, not NUL-terminated) names an admitted host and port. */
bool allowed_hosts_match(const struct allowed_hosts *ah, const char *host, size_t len);

/* The default when allowed_hosts is not set, for a direct client of a TCP listener: localhost,
 * 127.0.0.1, [::1], or `local` (the address the client connected to, as text, IPv6 in
 * brackets), each with any port. */
bool allowed_hosts_default_match(const char *host, size_t len, const char *local);

#endif
