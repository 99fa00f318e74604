/* SPDX-License-Identifier: Apache-2.0 */
/* A bounded pool of threads for work that may block (authenticators that wait on the network),
 * so that it never runs on an HTTP thread. Each blocking authenticator owns one (a bulkhead). */
#ifndef NGD_WORKERS_H
#define NGD_WORKERS_H

#include <stddef.h>

/* One job; the caller owns it and embeds it in its own state. Exactly one of run() and cancel()
 * is called, once, on a pool thread (run) or in workers_stop() (cancel). */
struct work {
	void (*run)(struct work *w);
	void (*cancel)(struct work *w); /* the pool stopped before the job started */
	struct work *next;
};

struct workers;

/* A pool of at most `threads` threads, started on demand (an idle pool costs no thread), and at
 * most `queue_max` jobs waiting for one (0: a job no thread is free for is refused). NULL when
 * out of memory. */
struct workers *workers_start(unsigned threads, unsigned queue_max);
/* Queues w: 0, or -1 when every thread is busy and the queue is full, or the pool is stopping
 * (w is then untouched). */
int workers_submit(struct workers *wk, struct work *w) __attribute__((warn_unused_result));
/* Never from one of the pool's own jobs. Lets running jobs finish, cancels the waiting ones and
 * joins the threads; later submits fail. The pool stays allocated until workers_free(), so late
 * callers see it stopped, not freed. */
void workers_stop(struct workers *wk);
void workers_free(struct workers *wk); /* stops it first if needed */

#endif
