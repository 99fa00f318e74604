/* The HTTP server: libmicrohttpd on a listening socket it is handed. */
#ifndef NGD_HTTP_H
#define NGD_HTTP_H

#include "runtime.h"

struct http_server;

/* Starts serving rt on listen_fd (which it takes over). NULL on failure, after logging why. */
struct http_server *http_start(const struct runtime *rt, int listen_fd);
void http_stop(struct http_server *srv);

#endif
