/* SPDX-License-Identifier: Apache-2.0 */
/* The admin socket ([server] admin_socket): a unix socket on a thread of its own, one JSON request
 * line and one JSON answer line per connection (revoke/admin_ops.h). Only root or a member of
 * [server] admin_group (primary or supplementary group of the peer's uid, from SO_PEERCRED) is
 * served; anyone else gets a refusal and a log line. */
#ifndef NGD_ADMIN_SOCKET_H
#define NGD_ADMIN_SOCKET_H

#include "revoke/revocations.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define ADMIN_SOCKET_TIMEOUT_MS 5000 /* for a request to arrive and its answer to leave */

struct admin_socket;

/* Binds PATH (a stale socket there is replaced; anything else is an error), mode 0660 and group
 * GROUP (0600 when GROUP is NULL), and starts its thread. NULL with why in err. LIST is borrowed:
 * it must outlive admin_socket_stop(). */
struct admin_socket *admin_socket_start(const char *path, const char *group,
					struct revocations *list, char *err, size_t err_len);
/* Serves FD, a listening socket systemd passed (negotiated-admin.socket, FileDescriptorName=admin).
 * Access control is then the socket file's owner, group and mode, set by systemd and checked by
 * the kernel at connect() in the caller's namespace: every peer that got through is served (under
 * PrivateUsers=yes a member of the file's group appears here as nobody), and logged as seen.
 * Takes FD (closed by admin_socket_stop, never unlinked: the file is systemd's); NULL with why in
 * err, FD then stays the caller's. */
struct admin_socket *admin_socket_adopt(int fd, struct revocations *list, char *err,
					size_t err_len);
/* Stops the thread, closes the socket and unlinks it when it bound it. NULL is a no-op. */
void admin_socket_stop(struct admin_socket *s);

/* Whether UID (whose primary group is GID) is root or a member of group ADMIN_GID. */
bool admin_peer_allowed(uid_t uid, gid_t gid, bool have_group, gid_t admin_gid);

#endif
