/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTP server: libmicrohttpd on a listening socket it is handed. */
#ifndef NGD_HTTP_H
#define NGD_HTTP_H

#include "config/config.h"

struct http_server;

/* Starts serving the published snapshot (snapshot.h) on listen_fd, which it takes over, with the
 * threads, size caps and timeout of lim (fixed until restart). NULL on failure, after logging why.
 */
struct http_server *http_start(const struct config_server *lim, int listen_fd);
/* Stops serving and returns the listening socket, untouched and still listening (connections
 * not yet accepted stay queued in it), for the caller to close or keep; -1 if none. */
int http_stop(struct http_server *srv);

#endif
