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

/* HOST or [IPV6] into host (STORE_HOST_MAX bytes); *used: where the port or path starts. */
static int parse_host(const char *s, size_t len, char *host, size_t *used)
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
	if (host_len >= STORE_HOST_MAX)
		return -1;
	memcpy(host, start, host_len);
	host[host_len] = '\0';
	return 0;
}

/* HOST[:PORT][/DB] after the scheme. */
static int refuse_user_part(const char *rest, char *err, size_t err_len)
{
	if (!strchr(rest, '@'))
		return 0;
	snprintf(err, err_len,
		 "the URL may not hold a user or password: set [store] user and "
		 "password_file, password_credential or password_env");
	return -1;
}

static int parse_tcp(const char *rest, struct store_url *out, char *err, size_t err_len)
{
	size_t len = strlen(rest), used = 0;
	if (refuse_user_part(rest, err, err_len) < 0)
		return -1;
	if (parse_host(rest, len, out->host, &used) < 0) {
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

/* MASTER after '#': the name the sentinels monitor the primary by. */
static int parse_master(const char *name, struct store_url *out, char *err, size_t err_len)
{
	size_t len = strlen(name);
	if (len == 0 || len >= sizeof out->master || !host_chars_ok(name, len)) {
		snprintf(err, err_len,
			 "a sentinel URL ends with #MASTER, the name the sentinels monitor the "
			 "primary by (1 to %zu of A-Z a-z 0-9 . - _)",
			 sizeof out->master - 1);
		return -1;
	}
	memcpy(out->master, name, len + 1);
	return 0;
}

/* One HOST[:PORT] of the sentinel list: LEN bytes at TEXT. */
static int parse_sentinel(const char *text, size_t len, struct store_hostport *out)
{
	char entry[STORE_HOST_MAX + 8];
	size_t used = 0;
	if (len == 0 || len >= sizeof entry)
		return -1;
	memcpy(entry, text, len);
	entry[len] = '\0';
	if (parse_host(entry, len, out->host, &used) < 0)
		return -1;
	out->port = STORE_SENTINEL_PORT;
	if (!entry[used])
		return 0;
	if (entry[used] != ':')
		return -1;
	return parse_number(entry + used + 1, len - used - 1, 1, 65535, &out->port);
}

/* HOST[:PORT][,HOST[:PORT]...] (LEN bytes at LIST) into out->sentinels. */
static int parse_sentinel_list(const char *list, size_t len, struct store_url *out, char *err,
			       size_t err_len)
{
	const char *p = list, *end = list + len;
	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t entry_len = comma ? (size_t)(comma - p) : (size_t)(end - p);
		if (out->n_sentinels == STORE_SENTINELS_MAX) {
			snprintf(err, err_len, "at most %d sentinels", STORE_SENTINELS_MAX);
			return -1;
		}
		if (parse_sentinel(p, entry_len, &out->sentinels[out->n_sentinels]) < 0) {
			snprintf(err, err_len,
				 "sentinel %u of the list: each is HOST[:PORT] (a name, an IPv4 "
				 "address or [IPv6]; the port 1 to 65535, %d when absent)",
				 out->n_sentinels + 1, STORE_SENTINEL_PORT);
			return -1;
		}
		out->n_sentinels++;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* HOST[:PORT][,HOST[:PORT]...][/DB]#MASTER after the scheme. */
static int parse_sentinel_url(const char *rest, struct store_url *out, char *err, size_t err_len)
{
	const char *hash = strchr(rest, '#');
	if (refuse_user_part(rest, err, err_len) < 0)
		return -1;
	if (!hash)
		return parse_master("", out, err, err_len);
	if (parse_master(hash + 1, out, err, err_len) < 0)
		return -1;
	size_t list_len = strcspn(rest, "/#");
	if (parse_sentinel_list(rest, list_len, out, err, err_len) < 0)
		return -1;
	const char *db = rest + list_len + 1;
	if (rest[list_len] == '/' && db < hash &&
	    parse_number(db, (size_t)(hash - db), 0, STORE_MAX_DB, &out->db) < 0) {
		snprintf(err, err_len, "the database after / must be a number from 0 to %d",
			 STORE_MAX_DB);
		return -1;
	}
	out->port = 0;
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
	if (strncmp(text, "redis-sentinel://", 17) == 0)
		return parse_sentinel_url(text + 17, out, err, err_len);
	if (strncmp(text, "rediss-sentinel://", 18) == 0) {
		out->transport = STORE_TLS;
		return parse_sentinel_url(text + 18, out, err, err_len);
	}
	snprintf(err, err_len,
		 "must start with redis://, rediss:// (TLS), unix:, redis-sentinel:// or "
		 "rediss-sentinel:// (TLS)");
	return -1;
}
