/* SPDX-License-Identifier: Apache-2.0 */
/* Redis Sentinel ([store] url = redis-sentinel://...#MASTER): which server is the primary now.
 * Every connection the store opens (its workers, the health check, the revocation subscriber)
 * asks the sentinels first, so after a failover each reconnects to the new primary; the server
 * they name must say it is the master (ROLE), so a stale answer never has us write to a replica. */
#ifndef NGD_STORE_SENTINEL_H
#define NGD_STORE_SENTINEL_H

#include "store/store_conn.h"

#include <stddef.h>
#include <stdint.h>

/* Opens C (closed by the caller with store_conn_close) to the primary that O->url's sentinels,
 * asked in order, name for O->url->master, logged in as O says, until DEADLINE_NS. A sentinel gets
 * at most half of the time left, so a silent one leaves time for the next and for the primary.
 * STORE_OPEN_AUTH: a sentinel or the primary refused the login, or the sentinels that answered do
 * not know the name (configuration errors); STORE_OPEN_IO: no sentinel answered, or the server
 * they name did not answer, or said it is a replica until the deadline. err says which, never a
 * password. */
enum store_open_result store_sentinel_open(struct store_conn *c, const struct store_conn_opts *o,
					   uint64_t deadline_ns, char *err, size_t err_len);

#endif
