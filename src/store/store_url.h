/* SPDX-License-Identifier: Apache-2.0 */
/* [store] url: where the Redis server is. redis://HOST[:PORT][/DB], rediss://... (TLS),
 * unix:PATH[?db=N], or the sentinels that know it (Lettuce's spelling, the one URL form the
 * field's clients share): redis-sentinel://HOST[:PORT][,HOST[:PORT]...][/DB]#MASTER and
 * rediss-sentinel://... (TLS to the sentinels and the primary). A password in the URL is refused:
 * it comes from a file, credential or env. */
#ifndef NGD_STORE_URL_H
#define NGD_STORE_URL_H

#include <stdbool.h>
#include <stddef.h>

enum store_transport { STORE_TCP, STORE_TLS, STORE_UNIX };

#define STORE_HOST_MAX 256
#define STORE_PATH_MAX 108 /* sun_path */
#define STORE_MAX_DB 65535
#define STORE_SENTINELS_MAX 8
#define STORE_SENTINEL_PORT 26379
#define STORE_MASTER_MAX 128

struct store_hostport {
	char host[STORE_HOST_MAX]; /* without the brackets of an IPv6 literal */
	unsigned port;
};

struct store_url {
	enum store_transport transport;
	char host[STORE_HOST_MAX]; /* without the brackets of an IPv6 literal */
	unsigned port;		   /* default 6379 */
	char path[STORE_PATH_MAX]; /* STORE_UNIX */
	unsigned db;		   /* SELECT; default 0 */
	/* Sentinel: host and port are empty until a sentinel names the primary. */
	unsigned n_sentinels; /* 0: not a sentinel URL */
	struct store_hostport sentinels[STORE_SENTINELS_MAX];
	char master[STORE_MASTER_MAX]; /* the name the sentinels monitor the primary by */
};

/* 0, or -1 with a reason naming what is wrong (never the URL's user part) in err. */
int store_url_parse(const char *text, struct store_url *out, char *err, size_t err_len);

#endif
