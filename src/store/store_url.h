/* SPDX-License-Identifier: Apache-2.0 */
/* [store] url: where the Redis server is. redis://HOST[:PORT][/DB], rediss://... (TLS) or
 * unix:PATH[?db=N]. A password in the URL is refused: it comes from a file, credential or env. */
#ifndef NGD_STORE_URL_H
#define NGD_STORE_URL_H

#include <stdbool.h>
#include <stddef.h>

enum store_transport { STORE_TCP, STORE_TLS, STORE_UNIX };

#define STORE_HOST_MAX 256
#define STORE_PATH_MAX 108 /* sun_path */
#define STORE_MAX_DB 65535

struct store_url {
	enum store_transport transport;
	char host[STORE_HOST_MAX]; /* without the brackets of an IPv6 literal */
	unsigned port;		   /* default 6379 */
	char path[STORE_PATH_MAX]; /* STORE_UNIX */
	unsigned db;		   /* SELECT; default 0 */
};

/* 0, or -1 with a reason naming what is wrong (never the URL's user part) in err. */
int store_url_parse(const char *text, struct store_url *out, char *err, size_t err_len);

#endif
