/* SPDX-License-Identifier: Apache-2.0 */
/* The service manager's side of the daemon: sd_notify states, watchdog pings, sockets passed by
 * socket activation. Outside systemd (no NOTIFY_SOCKET, LISTEN_FDS), every call is a no-op and no
 * socket is passed. */
#ifndef NGD_DAEMON_H
#define NGD_DAEMON_H

#include <stddef.h>
#include <stdint.h>

#define DAEMON_MAX_LISTEN_FDS 8

void daemon_notify_ready(void);
/* RELOADING=1 with MONOTONIC_USEC, as Type=notify-reload expects; READY=1 ends the reload. */
void daemon_notify_reloading(void);
void daemon_notify_stopping(void);
void daemon_notify_watchdog(void);
/* How often to send WATCHDOG=1, in microseconds (half of WATCHDOG_USEC); 0: no watchdog. */
uint64_t daemon_watchdog_interval(void);
#define DAEMON_ADMIN_FD_NAME "admin" /* FileDescriptorName= of negotiated-admin.socket */

/* The listening sockets systemd passed (LISTEN_FDS), made non-blocking: the one named
 * DAEMON_ADMIN_FD_NAME (LISTEN_FDNAMES) is the admin socket, every other one serves HTTP. */
struct daemon_sockets {
	int http[DAEMON_MAX_LISTEN_FDS];
	int n_http;
	int admin; /* -1: none passed */
};
/* Fills out; returns how many sockets were passed (0 when not socket-activated), or -1 with a
 * reason in err. */
int daemon_listen_fds(struct daemon_sockets *out, char *err, size_t err_len);

#endif
