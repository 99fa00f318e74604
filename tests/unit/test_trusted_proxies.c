/* SPDX-License-Identifier: Apache-2.0 */
/* Trusted proxies and the client address, as a table: peer, X-Forwarded-For, what is believed. */
#include "edge/trusted_proxies.h"
#include "tap.h"

#include <arpa/inet.h>
#include <sys/un.h>

static struct sockaddr_storage peer(const char *text)
{
	struct sockaddr_storage ss = {0};
	if (strcmp(text, "unix") == 0) {
		ss.ss_family = AF_UNIX;
	} else if (inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		ss.ss_family = AF_INET;
	} else {
		ss.ss_family = AF_INET6;
		inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)&ss)->sin6_addr);
	}
	return ss;
}

/* Every IPv4 peer is shown as inet_ntop shows it: octets at each digit-count boundary. */
static void ipv4_shown_as_inet_ntop(void)
{
	static const unsigned char octets[] = {0, 1, 9, 10, 42, 99, 100, 199, 200, 255};
	struct trusted_proxies none = {0};
	size_t n = sizeof octets, wrong = 0;
	for (size_t i = 0; i < n * n * n * n; i++) {
		struct sockaddr_in in = {.sin_family = AF_INET};
		unsigned char *a = (unsigned char *)&in.sin_addr;
		char client[INET6_ADDRSTRLEN + 1], want[INET_ADDRSTRLEN];
		for (size_t k = 0, rest = i; k < 4; k++, rest /= n)
			a[k] = octets[rest % n];
		client_address(&none, (struct sockaddr *)&in, NULL, client, sizeof client);
		inet_ntop(AF_INET, a, want, sizeof want);
		wrong += strcmp(client, want) != 0;
	}
	ok(wrong == 0, "IPv4 client addresses read as inet_ntop writes them (%zu of %zu differ)",
	   wrong, n * n * n * n);
}

int main(void)
{
	ipv4_shown_as_inet_ntop();
	struct trusted_proxies tp = {0};
	char err[256];
	static const char *const good[] = {"unix", "127.0.0.1", "10.0.0.0/8",
					   "::1",  "fd00::/8",	"192.168.1.128/25"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ok(trusted_proxies_add(&tp, good[i], err, sizeof err) == 0, "'%s' is accepted",
		   good[i]);
	static const char *const bad[] = {"",		"localhost", "10.0.0.0/33",
					  "::1/129",	"10.0.0.0/", "10.0.0.0/+8",
					  "1.2.3.4/ 8", "1.2.3",     "unix:/x"};
	struct trusted_proxies scratch = {0};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(trusted_proxies_add(&scratch, bad[i], err, sizeof err) < 0,
		   "'%s' is refused: %s", bad[i], err);

	static const struct {
		const char *peer, *xff, *client;
		bool trusted;
	} cases[] = {
		{"203.0.113.9", NULL, "203.0.113.9", false},
		{"203.0.113.9", "1.2.3.4", "203.0.113.9",
		 false}, /* an untrusted peer cannot forward */
		{"127.0.0.1", NULL, "127.0.0.1", true},
		{"127.0.0.1", "198.51.100.7", "198.51.100.7", true},
		{"127.0.0.1", "198.51.100.7, 10.1.2.3", "198.51.100.7",
		 true}, /* through a trusted hop */
		{"127.0.0.1", "6.6.6.6, 198.51.100.7", "198.51.100.7",
		 true}, /* spoofed left part ignored */
		{"127.0.0.1", "10.0.0.1,10.0.0.2", "10.0.0.1", true}, /* all trusted: leftmost */
		{"127.0.0.1", "junk, 198.51.100.7", "198.51.100.7", true},
		{"127.0.0.1", "198.51.100.7, junk", "127.0.0.1",
		 true}, /* garbage: the last vouched hop */
		{"127.0.0.1", "", "127.0.0.1", true},
		{"unix", NULL, "unix", true},
		{"unix", "2001:db8::5", "2001:db8::5", true},
		{"unix", "junk", "unknown",
		 true}, /* a forwarded client is never the special peer "unix" */
		{"unix", "", "unknown", true},
		{"unix", "10.0.0.1, 198.51.100.7", "198.51.100.7",
		 true}, /* two lines joined in order */
		{"::1", "198.51.100.7", "198.51.100.7", true},
		{"::ffff:127.0.0.1", "198.51.100.7", "198.51.100.7",
		 true}, /* v4-mapped is the v4 address */
		{"192.168.1.127", "198.51.100.7", "192.168.1.127", false}, /* just outside /25 */
		{"192.168.1.200", "198.51.100.7", "198.51.100.7", true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sockaddr_storage ss = peer(cases[i].peer);
		char client[INET6_ADDRSTRLEN + 1];
		bool trusted = client_address(&tp, (struct sockaddr *)&ss, cases[i].xff, client,
					      sizeof client);
		is_str(client, cases[i].client, "peer %s, X-Forwarded-For '%s'", cases[i].peer,
		       cases[i].xff ? cases[i].xff : "(none)");
		ok(trusted == cases[i].trusted, "peer %s is %strusted", cases[i].peer,
		   cases[i].trusted ? "" : "not ");
	}
	struct trusted_proxies none = {0};
	struct sockaddr_storage ss = peer("unix");
	char client[INET6_ADDRSTRLEN + 1];
	ok(!client_address(&none, (struct sockaddr *)&ss, "1.2.3.4", client, sizeof client) &&
		   strcmp(client, "unknown") == 0,
	   "without 'unix' a unix peer cannot forward, and is not 'unix' once it names a client");
	ok(!client_address(&none, (struct sockaddr *)&ss, NULL, client, sizeof client) &&
		   strcmp(client, "unix") == 0,
	   "a unix peer that forwards nothing is 'unix'");
	return tap_done();
}
