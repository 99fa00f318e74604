/* SPDX-License-Identifier: Apache-2.0 */
/* The [store] url parser: a small grammar, checked byte by byte, every copy bounded. */
#include "store/store_url.h"

#include "core/decimal.h"

#include <stdio.h>
#include <string.h>

static int parse_number(const char *text, size_t len, unsigned min, unsigned max, unsigned *out)
{
	char copy[12];
	if (len == 0 || len >= sizeof copy)
		return -1;
	memcpy(copy, text, len);
	copy[len] = '\0';
	return decimal_parse(copy, min, max, out);
}

static bool host_chars_ok(const char *s, size_t len)
{
	static const char allowed[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_";
	for (size_t i = 0; i < len; i++)
		if (!s[i] || !strchr(allowed, s[i]))
			return false;
	return len > 0;
}

static bool ipv6_chars_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!s[i] || !strchr("0123456789abcdefABCDEF:.", s[i]))
			return false;
	return len > 1;
}

/* unix:PATH[?db=N] */
static int parse_unix(const char *rest, struct store_url *out, char *err, size_t err_len)
{
	const char *query = strchr(rest, '?');
	size_t len = query ? (size_t)(query - rest) : strlen(rest);
	if (rest[0] != '/' || len >= sizeof out->path) {
		snprintf(err, err_len, "unix:PATH needs an absolute path shorter than %zu bytes",
			 sizeof out->path);
		return -1;
	}
	memcpy(out->path, rest, len);
	out->path[len] = '\0';
	if (query && (strncmp(query, "?db=", 4) != 0 ||
		      parse_number(query + 4, strlen(query + 4), 0, STORE_MAX_DB, &out->db) < 0)) {
		snprintf(err, err_len, "after unix:PATH only ?db=N (0 to %d) may follow",
			 STORE_MAX_DB);
		return -1;
	}
	out->transport = STORE_UNIX;
	return 0;
}

/* HOST or [IPV6] into out->host; *end: where the port or path starts. */
static int parse_host(const char *s, size_t len, struct store_url *out, size_t *used)
{
	const char *start = s, *stop;
	bool bracket = s[0] == '[';
	if (bracket) {
		stop = memchr(s, ']', len);
		if (!stop || !ipv6_chars_ok(s + 1, (size_t)(stop - s - 1)))
			return -1;
		start = s + 1;
		*used = (size_t)(stop - s) + 1;
	} else {
		stop = s + strcspn(s, ":/");
		if ((size_t)(stop - s) > len || !host_chars_ok(s, (size_t)(stop - s)))
			return -1;
		*used = (size_t)(stop - s);
	}
	size_t host_len = (size_t)(stop - start);
	if (host_len >= sizeof out->host)
		return -1;
	memcpy(out->host, start, host_len);
	out->host[host_len] = '\0';
	return 0;
}

/* HOST[:PORT][/DB] after the scheme. */
static int parse_tcp(const char *rest, struct store_url *out, char *err, size_t err_len)
{
	size_t len = strlen(rest), used = 0;
	if (strchr(rest, '@')) {
		snprintf(err, err_len,
			 "the URL may not hold a user or password: set [store] user and "
			 "password_file, password_credential or password_env");
		return -1;
	}
	if (parse_host(rest, len, out, &used) < 0) {
		snprintf(err, err_len, "the host must be a name, an IPv4 address or [IPv6]");
		return -1;
	}
	const char *p = rest + used, *slash = strchr(p, '/');
	size_t port_len = slash ? (size_t)(slash - p) : strlen(p);
	if (*p == ':' && parse_number(p + 1, port_len - 1, 1, 65535, &out->port) < 0) {
		snprintf(err, err_len, "the port must be a number from 1 to 65535");
		return -1;
	}
	if (*p != ':' && *p != '/' && *p) {
		snprintf(err, err_len, "expected :PORT or /DB after the host");
		return -1;
	}
	if (slash && slash[1] &&
	    parse_number(slash + 1, strlen(slash + 1), 0, STORE_MAX_DB, &out->db) < 0) {
		snprintf(err, err_len, "the database after / must be a number from 0 to %d",
			 STORE_MAX_DB);
		return -1;
	}
	return 0;
}

int store_url_parse(const char *text, struct store_url *out, char *err, size_t err_len)
{
	*out = (struct store_url){.transport = STORE_TCP, .port = 6379};
	if (strncmp(text, "unix:", 5) == 0)
		return parse_unix(text + 5, out, err, err_len);
	if (strncmp(text, "redis://", 8) == 0)
		return parse_tcp(text + 8, out, err, err_len);
	if (strncmp(text, "rediss://", 9) == 0) {
		out->transport = STORE_TLS;
		return parse_tcp(text + 9, out, err, err_len);
	}
	snprintf(err, err_len, "must start with redis://, rediss:// (TLS) or unix:");
	return -1;
}
