/* SPDX-License-Identifier: Apache-2.0 */
/* Plain http:// lets anyone on the path replace a key set or a webhook's verdict: only loopback,
 * where there is no path, or an explicit opt-in. */
#include "auth/fetch_url.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_HOST 256

/* The host of scheme://[userinfo@]host[:port][/...] into HOST (brackets of an IPv6 literal
 * removed): 0, or -1 when there is none or it is too long. */
static int url_host(const char *url, char host[MAX_HOST])
{
	const char *start = strstr(url, "://");
	if (!start)
		return -1;
	start += 3;
	size_t authority = strcspn(start, "/?#");
	const char *at = memrchr(start, '@', authority);
	if (at) {
		authority -= (size_t)(at + 1 - start);
		start = at + 1;
	}
	size_t len;
	if (*start == '[') {
		const char *close = memchr(start, ']', authority);
		if (!close)
			return -1;
		start++;
		len = (size_t)(close - start);
	} else
		len = strcspn(start, ":/?#");
	if (len == 0 || len >= MAX_HOST || len > authority)
		return -1;
	memcpy(host, start, len);
	host[len] = '\0';
	return 0;
}

bool fetch_url_loopback(const char *url)
{
	char host[MAX_HOST];
	struct in_addr v4;
	struct in6_addr v6;
	if (url_host(url, host) < 0)
		return false;
	if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0)
		return true;
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &v6) == 1 &&
	       memcmp(&v6, &in6addr_loopback, sizeof v6) == 0;
}

const char *fetch_url_refusal(const char *url, bool allow_insecure_http)
{
	if (strncmp(url, "https://", 8) == 0)
		return NULL;
	if (strncmp(url, "http://", 7) != 0)
		return "must be an https:// URL";
	if (allow_insecure_http || fetch_url_loopback(url))
		return NULL;
	return "must be an https:// URL: plain http:// only to a loopback host (127.0.0.0/8, "
	       "[::1], "
	       "localhost), or with allow_insecure_http = yes";
}

int fetch_url_opt_in(struct ngd_section *sec, bool *out)
{
	const char *v = ngd_section_get(sec, "allow_insecure_http");
	*out = v && strcmp(v, "yes") == 0;
	if (v && !*out && strcmp(v, "no") != 0) {
		ngd_section_error(sec, "allow_insecure_http", "must be yes or no");
		return -1;
	}
	return 0;
}

void fetch_url_warn(const struct ngd_section *sec, const char *key, const char *url)
{
	if (strncmp(url, "http://", 7) == 0 && !fetch_url_loopback(url))
		ngd_log_warning("[auth:%s] allow_insecure_http = yes: %s %.200s is fetched over "
				"plain http://; "
				"anyone on the network path can replace its answer",
				ngd_section_name(sec), key, url);
}
