/* SPDX-License-Identifier: Apache-2.0 */
/* The timer: a list sorted by due time, one thread waiting on a monotonic condition variable. */
#include "core/timer.h"

#include "core/clock.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct timer {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct timer_entry *head; /* soonest first */
	size_t pending, max_pending;
	bool stopping;
	pthread_t thread;
};

static bool due_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Waits for the soonest entry to fall due and unlinks it; NULL once the timer stops. */
static struct timer_entry *next_due(struct timer *t)
{
	pthread_mutex_lock(&t->lock);
	for (;;) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (t->stopping) {
			pthread_mutex_unlock(&t->lock);
			return NULL;
		}
		if (t->head && !due_before(&now, &t->head->due)) {
			struct timer_entry *e = t->head;
			t->head = e->next;
			t->pending--;
			pthread_mutex_unlock(&t->lock);
			return e;
		}
		if (t->head)
			pthread_cond_timedwait(&t->changed, &t->lock, &t->head->due);
		else
			pthread_cond_wait(&t->changed, &t->lock);
	}
}

static void *timer_main(void *arg)
{
	struct timer *t = arg;
	for (struct timer_entry *e; (e = next_due(t));)
		e->fire(e);
	return NULL;
}

struct timer *timer_start(size_t max_pending)
{
	struct timer *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	cond_init_monotonic(&t->changed);
	pthread_mutex_init(&t->lock, NULL);
	t->max_pending = max_pending;
	if (pthread_create(&t->thread, NULL, timer_main, t) != 0) {
		pthread_cond_destroy(&t->changed);
		pthread_mutex_destroy(&t->lock);
		free(t);
		return NULL;
	}
	return t;
}

int timer_add(struct timer *t, struct timer_entry *e, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, &e->due);
	e->due.tv_sec += ms / 1000;
	e->due.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (e->due.tv_nsec >= 1000000000L)
		e->due.tv_sec++, e->due.tv_nsec -= 1000000000L;
	pthread_mutex_lock(&t->lock);
	int rc = t->stopping || t->pending >= t->max_pending ? -1 : 0;
	if (rc == 0) {
		struct timer_entry **at = &t->head;
		while (*at && !due_before(&e->due, &(*at)->due))
			at = &(*at)->next;
		e->next = *at;
		*at = e;
		t->pending++;
		pthread_cond_signal(&t->changed);
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void timer_stop(struct timer *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	if (t->stopping) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	t->stopping = true;
	struct timer_entry *waiting = t->head;
	t->head = NULL;
	t->pending = 0;
	pthread_cond_signal(&t->changed);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	for (struct timer_entry *e = waiting, *next; e; e = next) {
		next = e->next; /* fire() may free e */
		e->fire(e);
	}
}

void timer_free(struct timer *t)
{
	if (!t)
		return;
	timer_stop(t);
	pthread_cond_destroy(&t->changed);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
