/* SPDX-License-Identifier: Apache-2.0 */
/* Which socket peers may speak for a client (X-Forwarded-For), and who the client then is. */
#ifndef NGD_TRUSTED_PROXIES_H
#define NGD_TRUSTED_PROXIES_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define NGD_MAX_TRUSTED_PROXIES 64
#define NGD_MAX_FORWARDED_HOPS 16 /* X-Forwarded-For entries read, right to left */

struct cidr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned prefix;
};

struct trusted_proxies {
	bool unix_peers; /* "unix": peers on a unix socket are trusted */
	struct cidr nets[NGD_MAX_TRUSTED_PROXIES];
	size_t n;
};

/* Parses "unix", "ADDR" or "ADDR/PREFIX" (IPv4 or IPv6, numeric) into *out. 0, or -1 with a reason.
 */
int trusted_proxies_add(struct trusted_proxies *tp, const char *spec, char *err, size_t err_len);
bool trusted_proxies_match(const struct trusted_proxies *tp, const struct sockaddr *peer);
/* The same for an address as text: "unix", or a numeric IPv4 or IPv6 address. */
bool trusted_proxies_match_text(const struct trusted_proxies *tp, const char *address);

/* The client address as text (at least INET6_ADDRSTRLEN bytes in out): the peer itself, or, when
 * the peer is trusted, X-Forwarded-For read right to left through trusted hops. A unix peer is
 * "unix" only when no X-Forwarded-For was given; with one that yields no address the client is
 * "unknown". `forwarded_for` is every X-Forwarded-For line joined in order. Returns whether the
 * peer is trusted. */
bool client_address(const struct trusted_proxies *tp, const struct sockaddr *peer,
		    const char *forwarded_for, char *out, size_t out_len);

#endif
