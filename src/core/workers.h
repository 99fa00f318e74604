/* A bounded pool of threads for work that may block (authenticators that wait on the network),
 * so that it never runs on an HTTP thread. */
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

/* Starts `threads` threads sharing a queue of at most `queue_max` waiting jobs. NULL on failure. */
struct workers *workers_start(unsigned threads, unsigned queue_max);
/* Queues w: 0, or -1 when the queue is full or the pool is stopping (w is then untouched). */
int workers_submit(struct workers *wk, struct work *w);
/* Lets running jobs finish, cancels the waiting ones and joins the threads; later submits fail.
 * The pool stays allocated until workers_free(), so late callers see it stopped, not freed. */
void workers_stop(struct workers *wk);
void workers_free(struct workers *wk); /* stops it first if needed */

#endif
