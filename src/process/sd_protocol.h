/* SPDX-License-Identifier: Apache-2.0 */
/* systemd's readiness and socket-passing protocols, spoken directly instead of through libsystemd
 * (which maps six more libraries, about 1 MB of RSS): sd_notify(3) and sd_listen_fds(3) document
 * both as stable interfaces (NOTIFY_SOCKET, WATCHDOG_USEC/PID, LISTEN_PID/FDS). */
#ifndef NGD_SD_PROTOCOL_H
#define NGD_SD_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#define SD_PROTOCOL_LISTEN_FDS_START 3

/* Sends STATE to $NOTIFY_SOCKET (a path, or @ for an abstract name). 1 sent, 0 no socket, -1 error.
 */
int sd_protocol_notify(const char *state);
/* WATCHDOG_USEC when WATCHDOG_PID is unset or this process: 1 with *usec, 0 no watchdog. */
int sd_protocol_watchdog(uint64_t *usec);
/* How many sockets, from fd 3 on, were passed to this process (LISTEN_PID, LISTEN_FDS), marked
 * close-on-exec; unsets the variables so that nothing started inherits them. -1: they are garbled.
 * NAMES (NAMES_SIZE bytes, may be NULL) gets LISTEN_FDNAMES, the colon-separated names (socket
 * units' FileDescriptorName=), or "" when unset; a longer list than NAMES holds is garbled. */
int sd_protocol_listen_fds(char *names, size_t names_size);
/* Whether the I-th name (from 0) of the colon-separated NAMES is WANT. */
int sd_protocol_fd_named(const char *names, int i, const char *want);
/* 1 if fd is a listening stream socket, else 0. */
int sd_protocol_is_listening_stream(int fd);

#endif
