/* SPDX-License-Identifier: Apache-2.0 */
/* Listening sockets, opened here so that the HTTP layer only ever receives a file descriptor
 * (the same path socket activation takes). */
#include "edge/listen.h"

#include "core/decimal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t err_len, const char *fmt,
						      ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_port(const char *s, in_port_t *out)
{
	unsigned v;
	if (decimal_parse(s, 0, 65535, &v) < 0)
		return -1;
	*out = htons((in_port_t)v);
	return 0;
}

static int parse_unix(const char *path, struct listen_addr *out, char *err, size_t err_len)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&out->addr;
	if (path[0] != '/')
		return fail(err, err_len, "unix socket path must be absolute");
	if (strlen(path) >= sizeof sun->sun_path)
		return fail(err, err_len, "unix socket path longer than %zu bytes",
			    sizeof sun->sun_path - 1);
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, path);
	strcpy(out->unix_path, path);
	out->len = sizeof *sun;
	return 0;
}

int listen_parse(const char *spec, struct listen_addr *out, char *err, size_t err_len)
{
	char host[64];
	const char *port;
	memset(out, 0, sizeof *out);
	if (strncmp(spec, "unix:", 5) == 0)
		return parse_unix(spec + 5, out, err, err_len);
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || close[1] != ':' || (size_t)(close - spec - 1) >= sizeof host)
			return fail(err, err_len, "'%.80s' is not [IPv6]:PORT", spec);
		memcpy(host, spec + 1, (size_t)(close - spec - 1));
		host[close - spec - 1] = '\0';
		port = close + 2;
	} else {
		const char *colon = strrchr(spec, ':');
		if (!colon || (size_t)(colon - spec) >= sizeof host)
			return fail(err, err_len,
				    "'%.80s' is not HOST:PORT, [IPv6]:PORT or unix:/PATH", spec);
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
		port = colon + 1;
	}
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr;
	if (parse_port(port, spec[0] == '[' ? &v6->sin6_port : &v4->sin_port) < 0)
		return fail(err, err_len, "'%.80s': port must be 0..65535", spec);
	if (spec[0] == '[' && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		out->len = sizeof *v6;
		return 0;
	}
	if (spec[0] != '[' && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		out->len = sizeof *v4;
		return 0;
	}
	return fail(err, err_len, "'%.80s': the host must be a numeric IPv4 or [IPv6] address",
		    spec);
}

int listen_open(const struct listen_addr *a, int backlog, char *err, size_t err_len)
{
	int one = 1;
	int fd = socket(a->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, err_len, "socket: %s", strerror(errno));
	if (a->addr.ss_family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (a->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	struct stat st;
	if (a->unix_path[0] && lstat(a->unix_path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(a->unix_path); /* a stale socket from an earlier run, never any other file */
	if (bind(fd, (const struct sockaddr *)&a->addr, a->len) < 0 || listen(fd, backlog) < 0) {
		fail(err, err_len, "bind/listen: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (a->unix_path[0])
		chmod(a->unix_path, 0660); /* nginx reaches it through the socket's group */
	return fd;
}
