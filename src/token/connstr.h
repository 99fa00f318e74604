/* SPDX-License-Identifier: Apache-2.0 */
/* Web PubSub connection strings: "Endpoint=...;AccessKey=...;Version=1.0;[Port=n;]". */
#ifndef NGD_CONNSTR_H
#define NGD_CONNSTR_H

#include <stddef.h>

struct endpoint {
	char *http_base; /* "https://host[:port]/path/": always one trailing '/' */
	char *ws_base;	 /* the same with ws:// or wss:// */
};

struct connstr {
	struct endpoint endpoint;
	char *access_key; /* secret: wiped by connstr_clear() */
};

/* Parses cs into out (owned by the caller; release with connstr_clear()). On error returns -1
 * and writes a reason to err that never contains the access key. */
int connstr_parse(const char *cs, struct connstr *out, char *err, size_t err_len);
void connstr_clear(struct connstr *cs);
/* A resource's endpoint URL alone ("https://host[:port][/path]"), for a service without keys. */
int endpoint_parse(const char *url, struct endpoint *out, char *err, size_t err_len);
void endpoint_clear(struct endpoint *ep);

#endif
