/* SPDX-License-Identifier: Apache-2.0 */
/* Every open connection, and the one bound libmicrohttpd 0.9.75 lacks: the time a client may take
 * to send a request head. Its connection_timeout is an idle timeout that each byte restarts, so a
 * client sending one byte every 100 ms is never closed; a watchdog thread closes those here. */
#ifndef NGD_HTTP_CONN_H
#define NGD_HTTP_CONN_H

#include <stdint.h>

/* One connection's place in the registry; the caller embeds it in its per-connection state. */
struct conn_entry {
	struct conn_entry *prev, *next;
	int fd;
	uint64_t
		head_due_ns; /* when the request head must be in; 0: it is in (or nothing is due) */
};

struct conn_watch;

/* Starts the watchdog for heads due within `head_timeout_s` seconds. NULL on failure. */
struct conn_watch *conn_watch_start(unsigned head_timeout_s);
/* Joins the thread and frees; every entry must have been removed (MHD_stop_daemon does it). */
void conn_watch_free(struct conn_watch *w);

/* A new connection on fd: its first request head is due within the timeout. */
void conn_watch_add(struct conn_watch *w, struct conn_entry *e, int fd);
/* Called before the socket is closed (libmicrohttpd's MHD_CONNECTION_NOTIFY_CLOSED), so the
 * watchdog never touches a descriptor number that has been reused. */
void conn_watch_remove(struct conn_watch *w, struct conn_entry *e);
/* The head is in: no deadline until the answer is sent. */
void conn_watch_head_in(struct conn_watch *w, struct conn_entry *e);
/* An answer was sent on a kept-alive connection: the next head is due within the timeout. */
void conn_watch_next_head(struct conn_watch *w, struct conn_entry *e);

#endif
