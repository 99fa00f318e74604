/* SPDX-License-Identifier: Apache-2.0 */
/* The worker pool: one mutex-guarded FIFO, a condition variable, joinable threads started when
 * the jobs in flight outnumber them. */
#include "core/workers.h"

#include "core/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct workers {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct work *head, *tail;
	size_t queued, in_flight; /* in_flight: queued plus running */
	size_t queue_max;
	bool stopping;
	pthread_t *threads;
	unsigned n_threads, max_threads;
};

/* The next job, or NULL once the pool stops; waits while the queue is empty. */
static struct work *next_job(struct workers *wk)
{
	pthread_mutex_lock(&wk->lock);
	while (!wk->head && !wk->stopping)
		pthread_cond_wait(&wk->ready, &wk->lock);
	struct work *w = wk->stopping ? NULL : wk->head;
	if (w) {
		wk->head = w->next;
		wk->tail = wk->head ? wk->tail : NULL;
		wk->queued--;
	}
	pthread_mutex_unlock(&wk->lock);
	return w;
}

static void *worker_main(void *arg)
{
	struct workers *wk = arg;
	for (struct work *w; (w = next_job(wk));) {
		w->run(w); /* w may be freed by now */
		pthread_mutex_lock(&wk->lock);
		wk->in_flight--;
		pthread_mutex_unlock(&wk->lock);
	}
	return NULL;
}

struct workers *workers_start(unsigned threads, unsigned queue_max)
{
	struct workers *wk = calloc(1, sizeof *wk);
	if (!wk || !(wk->threads = calloc(threads ? threads : 1, sizeof *wk->threads))) {
		free(wk);
		return NULL;
	}
	pthread_mutex_init(&wk->lock, NULL);
	pthread_cond_init(&wk->ready, NULL);
	wk->queue_max = queue_max;
	wk->max_threads = threads;
	return wk;
}

/* Under the lock: one more thread when the jobs in flight outnumber the threads. A failure is
 * fine while another thread runs: the job waits for it. */
static void grow(struct workers *wk)
{
	if (wk->n_threads >= wk->max_threads || wk->n_threads >= wk->in_flight)
		return;
	if (pthread_create(&wk->threads[wk->n_threads], NULL, worker_main, wk) == 0)
		wk->n_threads++;
	else
		log_error("cannot start worker thread %u of %u", wk->n_threads + 1,
			  wk->max_threads);
}

int workers_submit(struct workers *wk, struct work *w)
{
	int rc = -1;
	pthread_mutex_lock(&wk->lock);
	if (!wk->stopping && wk->in_flight < wk->max_threads + wk->queue_max) {
		w->next = NULL;
		if (wk->tail)
			wk->tail->next = w;
		else
			wk->head = w;
		wk->tail = w;
		wk->queued++;
		wk->in_flight++;
		grow(wk);
		rc = 0;
		pthread_cond_signal(&wk->ready);
	}
	if (rc == 0 && wk->n_threads == 0) { /* no thread to run it: take it back */
		wk->head = wk->tail = NULL;
		wk->queued = wk->in_flight = 0;
		rc = -1;
	}
	pthread_mutex_unlock(&wk->lock);
	return rc;
}

void workers_stop(struct workers *wk)
{
	if (!wk)
		return;
	pthread_mutex_lock(&wk->lock);
	wk->stopping = true;
	struct work *waiting = wk->head;
	wk->head = wk->tail = NULL;
	wk->in_flight -= wk->queued;
	wk->queued = 0;
	pthread_cond_broadcast(&wk->ready);
	pthread_mutex_unlock(&wk->lock);
	for (struct work *w = waiting, *next; w; w = next) {
		next = w->next; /* cancel() may free w */
		w->cancel(w);
	}
	for (unsigned i = 0; i < wk->n_threads; i++)
		pthread_join(wk->threads[i], NULL);
	wk->n_threads = 0;
}

void workers_free(struct workers *wk)
{
	if (!wk)
		return;
	workers_stop(wk);
	pthread_cond_destroy(&wk->ready);
	pthread_mutex_destroy(&wk->lock);
	free(wk->threads);
	free(wk);
}
