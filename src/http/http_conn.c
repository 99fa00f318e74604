/* SPDX-License-Identifier: Apache-2.0 */
/* The connection registry and its watchdog thread (http_conn.h). */
#include "http/http_conn.h"

#include "core/clock.h"
#include "core/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define TICK_MS 100 /* how late past its deadline a slow head may be closed */

struct conn_watch {
	pthread_mutex_t lock; /* the list and every entry's head_due_ns */
	pthread_cond_t wake;
	pthread_t thread;
	bool stopping;
	uint64_t timeout_ns;
	struct conn_entry *head;
};

/* shutdown() only: libmicrohttpd sees the end of the stream and closes the connection itself, on
 * its own thread, with its own callbacks; the descriptor stays its own to close. */
static void close_late_heads(struct conn_watch *w, uint64_t now)
{
	for (struct conn_entry *e = w->head; e; e = e->next)
		if (e->head_due_ns && now > e->head_due_ns) {
			e->head_due_ns = 0;
			shutdown(e->fd, SHUT_RDWR);
			log_debug("closed a connection whose request head took longer than the "
				  "header_timeout");
		}
}

static void *watch_main(void *arg)
{
	struct conn_watch *w = arg;
	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		struct timespec due;
		clock_gettime(CLOCK_MONOTONIC, &due);
		due.tv_nsec += TICK_MS * 1000000L;
		if (due.tv_nsec >= 1000000000L)
			due.tv_sec++, due.tv_nsec -= 1000000000L;
		pthread_cond_timedwait(&w->wake, &w->lock, &due);
		close_late_heads(w, monotonic_ns());
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct conn_watch *conn_watch_start(unsigned head_timeout_s)
{
	struct conn_watch *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->timeout_ns = (uint64_t)head_timeout_s * 1000000000u;
	pthread_mutex_init(&w->lock, NULL);
	cond_init_monotonic(&w->wake);
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	return w;
}

void conn_watch_free(struct conn_watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void conn_watch_add(struct conn_watch *w, struct conn_entry *e, int fd)
{
	pthread_mutex_lock(&w->lock);
	e->fd = fd;
	e->head_due_ns = monotonic_ns() + w->timeout_ns;
	e->prev = NULL;
	e->next = w->head;
	if (w->head)
		w->head->prev = e;
	w->head = e;
	pthread_mutex_unlock(&w->lock);
}

void conn_watch_remove(struct conn_watch *w, struct conn_entry *e)
{
	pthread_mutex_lock(&w->lock);
	if (e->prev)
		e->prev->next = e->next;
	else
		w->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	e->prev = e->next = NULL;
	pthread_mutex_unlock(&w->lock);
}

void conn_watch_head_in(struct conn_watch *w, struct conn_entry *e)
{
	pthread_mutex_lock(&w->lock);
	e->head_due_ns = 0;
	pthread_mutex_unlock(&w->lock);
}

void conn_watch_next_head(struct conn_watch *w, struct conn_entry *e)
{
	pthread_mutex_lock(&w->lock);
	e->head_due_ns = monotonic_ns() + w->timeout_ns;
	pthread_mutex_unlock(&w->lock);
}
