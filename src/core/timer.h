/* SPDX-License-Identifier: Apache-2.0 */
/* One thread that fires callbacks after a delay (the pause before a failed attempt is answered),
 * so that no HTTP or worker thread ever sleeps. */
#ifndef NGD_TIMER_H
#define NGD_TIMER_H

#include <stddef.h>
#include <time.h>

/* One pending callback; the caller owns it and embeds it in its own state. fire() is called
 * once, on the timer thread, or in timer_stop() for entries still waiting. */
struct timer_entry {
	void (*fire)(struct timer_entry *e);
	struct timespec due; /* CLOCK_MONOTONIC */
	struct timer_entry *next;
};

struct timer;

/* Starts the thread; at most `max_pending` entries wait at once. NULL on failure. */
struct timer *timer_start(size_t max_pending);
/* Fires e after `ms` milliseconds: 0, or -1 when full or stopping (e is then untouched). */
int timer_add(struct timer *t, struct timer_entry *e, unsigned ms);
/* Fires every waiting entry now and joins the thread; later adds fail. The timer stays allocated
 * until timer_free(), so late callers see it stopped, not freed. */
void timer_stop(struct timer *t);
void timer_free(struct timer *t); /* stops it first if needed */

#endif
