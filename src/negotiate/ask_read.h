/* SPDX-License-Identifier: Apache-2.0 */
/* Reads the client's ask from the request, as written: from the query (role=, group=
 * repeatable; minutesToExpire= or expirationTimeInMinutes=; clientProtocol=) or from a JSON body in
 * the SDK's names (roles, groups, expirationTimeInMinutes or minutesToExpire, clientProtocol).
 * policy/ask.c then checks what was read. */
#ifndef NGD_ASK_READ_H
#define NGD_ASK_READ_H

#include "edge/request.h"
#include "policy/ask.h"

#include <jansson.h>

/* Fills out from req and body (NULL without one); nothing is refused here and the strings stay
 * owned by req and body. */
void ask_read(const struct ngd_request *req, json_t *body, struct ask_text *out);

#endif
