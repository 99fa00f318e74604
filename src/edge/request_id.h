/* SPDX-License-Identifier: Apache-2.0 */
/* The request id: taken from a trusted proxy's X-Request-Id, or made here; echoed and logged. */
#ifndef NGD_REQUEST_ID_H
#define NGD_REQUEST_ID_H

#include <stdbool.h>

#define REQUEST_ID_MAX 64 /* bytes of an accepted X-Request-Id */

/* Fills out (REQUEST_ID_MAX + 1 bytes) with incoming when the peer is a trusted proxy and the value
 * is 1 to 64 of A-Z a-z 0-9 . _ : - ; otherwise with 32 fresh hex digits. */
void request_id_choose(const char *incoming, bool peer_trusted, char *out);
bool request_id_valid(const char *id);

#endif
