/* SPDX-License-Identifier: Apache-2.0 */
/* The connect gate's count of each user's live connections on one instance (without a [store]):
 * a connect reserves a place for a short time, the connected event confirms it for the hub's
 * connection_count_ttl, the disconnected event frees it; a place whose event never came expires.
 * Process-wide, kept across reloads (as the revocation list is); one mutex, held for a hash lookup
 * and a scan of one user's few connections. */
#ifndef NGD_LIVE_CONNECTIONS_H
#define NGD_LIVE_CONNECTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* How long a connect holds its place without its connected event. */
#define LIVE_PENDING_S 60
/* Places counted at once; beyond, connects are admitted uncounted. */
#define LIVE_MAX_CONNECTIONS 1000000

/* A connect of USER's CONNECTION on HUB: true (admitted, its place reserved) while fewer than MAX
 * places are held, false when MAX are. *held: the places held, this one included when admitted.
 * A connection already counted is admitted again (the service retried the event). */
bool live_connections_admit(const char *hub, const char *user, const char *connection, unsigned max,
			    time_t now, unsigned *held);
/* The connected event: CONNECTION holds its place until NOW + TTL_S (added if it was not held). */
void live_connections_confirm(const char *hub, const char *user, const char *connection,
			      unsigned ttl_s, time_t now);
/* The disconnected event: CONNECTION's place is free. */
void live_connections_forget(const char *hub, const char *user, const char *connection);
/* The places held now, every hub and user (GET /metrics). */
size_t live_connections_held(void);
/* Frees the table at exit (after the last request). */
void live_connections_free(void);

#endif
