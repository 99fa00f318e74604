/* The worker pool: one mutex-guarded FIFO, a condition variable, joinable threads. */
#include "core/workers.h"

#include "core/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct workers {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct work *head, *tail;
	size_t queued, queue_max;
	bool stopping;
	pthread_t *threads;
	unsigned n_threads;
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
	for (struct work *w; (w = next_job(wk));)
		w->run(w);
	return NULL;
}

struct workers *workers_start(unsigned threads, unsigned queue_max)
{
	struct workers *wk = calloc(1, sizeof *wk);
	if (!wk || !(wk->threads = calloc(threads, sizeof *wk->threads))) {
		free(wk);
		return NULL;
	}
	pthread_mutex_init(&wk->lock, NULL);
	pthread_cond_init(&wk->ready, NULL);
	wk->queue_max = queue_max;
	for (; wk->n_threads < threads; wk->n_threads++)
		if (pthread_create(&wk->threads[wk->n_threads], NULL, worker_main, wk) != 0) {
			log_error("cannot start worker thread %u of %u", wk->n_threads + 1, threads);
			workers_free(wk);
			return NULL;
		}
	return wk;
}

int workers_submit(struct workers *wk, struct work *w)
{
	int rc = -1;
	pthread_mutex_lock(&wk->lock);
	if (!wk->stopping && wk->queued < wk->queue_max) {
		w->next = NULL;
		if (wk->tail)
			wk->tail->next = w;
		else
			wk->head = w;
		wk->tail = w;
		wk->queued++;
		rc = 0;
		pthread_cond_signal(&wk->ready);
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
