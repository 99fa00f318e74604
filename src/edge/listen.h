/* SPDX-License-Identifier: Apache-2.0 */
/* Listening addresses: "host:port", "[v6]:port" or "unix:/path". */
#ifndef NGD_LISTEN_H
#define NGD_LISTEN_H

#include <stddef.h>
#include <sys/socket.h>

struct listen_addr {
	struct sockaddr_storage addr;
	socklen_t len;
	char unix_path[108]; /* set for unix: addresses, to unlink on exit */
};

/* 0, or -1 with a reason in err. Host names are not resolved: use numeric addresses. */
int listen_parse(const char *spec, struct listen_addr *out, char *err, size_t err_len)
	__attribute__((warn_unused_result));
/* A bound, listening, non-blocking, close-on-exec socket, or -1 with a reason in err. */
int listen_open(const struct listen_addr *a, int backlog, char *err, size_t err_len)
	__attribute__((warn_unused_result));

#endif
