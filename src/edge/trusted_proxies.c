/* SPDX-License-Identifier: Apache-2.0 */
/* Trusted proxies, as nginx's realip module with real_ip_recursive on: a forwarded address is
 * believed only when every hop after it is a listed proxy. */
#include "edge/trusted_proxies.h"

#include "core/decimal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static int parse_addr(const char *text, struct cidr *out)
{
	if (inet_pton(AF_INET, text, out->addr) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out->addr) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -1;
}

int trusted_proxies_add(struct trusted_proxies *tp, const char *spec, char *err, size_t err_len)
{
	char addr[INET6_ADDRSTRLEN + 1];
	struct cidr c = {0};
	if (strcmp(spec, "unix") == 0) {
		tp->unix_peers = true;
		return 0;
	}
	if (tp->n == NGD_MAX_TRUSTED_PROXIES) {
		snprintf(err, err_len, "more than %d entries", NGD_MAX_TRUSTED_PROXIES);
		return -1;
	}
	const char *slash = strchr(spec, '/');
	size_t len = slash ? (size_t)(slash - spec) : strlen(spec);
	if (len >= sizeof addr) {
		snprintf(err, err_len, "'%.64s' is not an IP address", spec);
		return -1;
	}
	memcpy(addr, spec, len);
	addr[len] = '\0';
	if (parse_addr(addr, &c) < 0) {
		snprintf(err, err_len, "'%.64s' is not unix, an IP address or ADDRESS/PREFIX",
			 spec);
		return -1;
	}
	unsigned max = c.family == AF_INET ? 32 : 128;
	c.prefix = max;
	if (slash && decimal_parse(slash + 1, 0, max, &c.prefix) < 0) {
		snprintf(err, err_len, "'%.64s': the prefix must be a whole number from 0 to %u",
			 spec, max);
		return -1;
	}
	tp->nets[tp->n++] = c;
	return 0;
}

static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;
	if (memcmp(a, b, bytes) != 0)
		return false;
	return !rest || ((a[bytes] ^ b[bytes]) & (0xff00u >> rest) & 0xff) == 0;
}

static bool cidr_match(const struct trusted_proxies *tp, int family, const unsigned char *addr)
{
	for (size_t i = 0; i < tp->n; i++)
		if (tp->nets[i].family == family &&
		    prefix_equal(tp->nets[i].addr, addr, tp->nets[i].prefix))
			return true;
	return false;
}

/* An IPv4-mapped IPv6 peer (::ffff:a.b.c.d) is matched and shown as the IPv4 address it is. */
static int peer_addr(const struct sockaddr *peer, struct cidr *out)
{
	if (peer && peer->sa_family == AF_INET) {
		memcpy(out->addr, &((const struct sockaddr_in *)peer)->sin_addr, 4);
		out->family = AF_INET;
		return 0;
	}
	if (!peer || peer->sa_family != AF_INET6)
		return -1;
	const struct in6_addr *a = &((const struct sockaddr_in6 *)peer)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		memcpy(out->addr, a->s6_addr + 12, 4);
		out->family = AF_INET;
		return 0;
	}
	memcpy(out->addr, a, 16);
	out->family = AF_INET6;
	return 0;
}

bool trusted_proxies_match(const struct trusted_proxies *tp, const struct sockaddr *peer)
{
	struct cidr a;
	if (peer && peer->sa_family == AF_UNIX)
		return tp->unix_peers;
	return peer_addr(peer, &a) == 0 && cidr_match(tp, a.family, a.addr);
}

bool trusted_proxies_match_text(const struct trusted_proxies *tp, const char *address)
{
	struct cidr a;
	if (strcmp(address, "unix") == 0)
		return tp->unix_peers;
	return parse_addr(address, &a) == 0 && cidr_match(tp, a.family, a.addr);
}

/* The next hop of X-Forwarded-For from the right, trimmed; end is moved before it. */
static const char *previous_hop(const char *list, const char **end, size_t *len)
{
	const char *e = *end;
	while (e > list && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == ','))
		e--;
	const char *s = e;
	while (s > list && s[-1] != ',' && s[-1] != ' ' && s[-1] != '\t')
		s--;
	*end = s;
	*len = (size_t)(e - s);
	return s;
}

/* a.b.c.d into out (at least 16 bytes): inet_ntop formats IPv4 through sprintf, on every request.
 */
static const char *ipv4_text(const unsigned char addr[4], char *out)
{
	char *o = out;
	for (int i = 0; i < 4; i++) {
		unsigned v = addr[i];
		if (v >= 100)
			*o++ = (char)('0' + v / 100);
		if (v >= 10)
			*o++ = (char)('0' + v / 10 % 10);
		*o++ = (char)('0' + v % 10);
		*o++ = i < 3 ? '.' : '\0';
	}
	return out;
}

/* The address as text; NULL when it does not fit out_len. */
static const char *address_text(const struct cidr *a, char *out, size_t out_len)
{
	if (a->family == AF_INET && out_len >= INET_ADDRSTRLEN)
		return ipv4_text(a->addr, out);
	return inet_ntop(a->family, a->addr, out, (socklen_t)out_len);
}

bool client_address(const struct trusted_proxies *tp, const struct sockaddr *peer,
		    const char *forwarded_for, char *out, size_t out_len)
{
	struct cidr hop = {0};
	bool trusted = trusted_proxies_match(tp, peer);
	bool have = peer_addr(peer, &hop) == 0;
	const char *end = forwarded_for ? forwarded_for + strlen(forwarded_for) : NULL;
	for (int n = 0; trusted && end && n < NGD_MAX_FORWARDED_HOPS; n++) {
		if (have && !cidr_match(tp, hop.family, hop.addr))
			break; /* the nearest hop that no listed proxy vouches for is the client */
		char text[INET6_ADDRSTRLEN + 1];
		size_t len;
		const char *s = previous_hop(forwarded_for, &end, &len);
		struct cidr next = {0};
		if (len == 0 || len >= sizeof text)
			break;
		memcpy(text, s, len);
		text[len] = '\0';
		if (parse_addr(text, &next) < 0)
			break; /* garbage ends the walk: keep the last hop a proxy vouched for */
		hop = next, have = true;
	}
	/* "unix" names the socket peer itself, never a client it forwarded for: metrics_allow
	 * admits it */
	bool bare_unix = peer && peer->sa_family == AF_UNIX && !forwarded_for;
	if (!have || !address_text(&hop, out, out_len))
		snprintf(out, out_len, "%s", bare_unix ? "unix" : "unknown");
	return trusted;
}
