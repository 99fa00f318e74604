/* SPDX-License-Identifier: Apache-2.0 */
/* The admin HTTP API ([server] admin_listen, off by default): the revocation list for automation,
 * on a libmicrohttpd daemon of its own (never the public listener), behind a bearer token of its
 * own ([server] admin_token_file) compared in constant time.
 *   GET /admin/revocations            the list
 *   PUT /admin/revocations/{user}     revoke (JSON body: hub, for, reason, close, issued_before)
 *   DELETE /admin/revocations/{user}  lift (?hub=HUB for one hub's)
 * The same operations as the admin socket (revoke/admin_ops.h). */
#ifndef NGD_ADMIN_HTTP_H
#define NGD_ADMIN_HTTP_H

#include "revoke/revocations.h"

#include <stddef.h>

#define ADMIN_TOKEN_MIN 32 /* bytes of the bearer token */

struct admin_http;

/* Listens on ADDR (HOST:PORT or unix:/PATH) with the token of TOKEN_FILE. NULL with why in err.
 * LIST is borrowed: it must outlive admin_http_stop(). */
struct admin_http *admin_http_start(const char *addr, const char *token_file,
				    struct revocations *list, char *err, size_t err_len);
void admin_http_stop(struct admin_http *a); /* NULL is a no-op */

#endif
