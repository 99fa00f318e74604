/* SPDX-License-Identifier: Apache-2.0 */
/* The worker pool and the delay timer: bounds, order, cancellation and firing on stop. */
#include "core/timer.h"
#include "core/workers.h"
#include "tap.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

struct job {
	struct work work;
	pthread_mutex_t *gate; /* held by the test to keep a job running */
	atomic_int *ran, *cancelled;
};

static void job_run(struct work *w)
{
	struct job *j = (struct job *)w;
	if (j->gate) {
		pthread_mutex_lock(j->gate);
		pthread_mutex_unlock(j->gate);
	}
	atomic_fetch_add(j->ran, 1);
}

static void job_cancel(struct work *w)
{
	atomic_fetch_add(((struct job *)w)->cancelled, 1);
}

static void test_bounded_queue_and_cancel(void)
{
	pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
	atomic_int ran = 0, cancelled = 0;
	struct job jobs[4];
	for (int i = 0; i < 4; i++)
		jobs[i] = (struct job){{job_run, job_cancel, NULL}, &gate, &ran, &cancelled};
	struct workers *wk = workers_start(1, 2);
	ok(wk != NULL, "a pool of one thread and a queue of two starts");
	pthread_mutex_lock(&gate);
	ok(workers_submit(wk, &jobs[0].work) == 0, "the first job is taken");
	usleep(50000); /* the thread picks it up and waits at the gate */
	ok(workers_submit(wk, &jobs[1].work) == 0 && workers_submit(wk, &jobs[2].work) == 0,
	   "two more wait");
	ok(workers_submit(wk, &jobs[3].work) == -1, "a fourth is refused: the queue is full");
	pthread_mutex_unlock(&gate);
	for (int i = 0; i < 2000 && atomic_load(&ran) < 3; i++)
		usleep(1000);
	ok(atomic_load(&ran) == 3, "all three ran");
	pthread_mutex_lock(&gate);
	ok(workers_submit(wk, &jobs[0].work) == 0, "a running job holds the only thread");
	usleep(20000);
	ok(workers_submit(wk, &jobs[1].work) == 0, "and one waits");
	pthread_mutex_unlock(&gate);
	workers_stop(wk);
	ok(atomic_load(&ran) + atomic_load(&cancelled) == 5,
	   "on stop each job ran or was cancelled, once");
	ok(workers_submit(wk, &jobs[2].work) == -1, "a stopped pool refuses work");
	workers_free(wk);
}

/* The bulkhead shape: no queue, so a job beyond the busy threads is refused at once. */
static void test_no_queue_refuses_at_once(void)
{
	pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
	atomic_int ran = 0, cancelled = 0;
	struct job jobs[4];
	for (int i = 0; i < 4; i++)
		jobs[i] = (struct job){{job_run, job_cancel, NULL}, &gate, &ran, &cancelled};
	struct workers *wk = workers_start(2, 0);
	pthread_mutex_lock(&gate);
	ok(workers_submit(wk, &jobs[0].work) == 0 && workers_submit(wk, &jobs[1].work) == 0,
	   "two jobs start on two threads made for them");
	ok(workers_submit(wk, &jobs[2].work) == -1, "a third is refused at once: no queue");
	pthread_mutex_unlock(&gate);
	for (int i = 0; i < 2000 && atomic_load(&ran) < 2; i++)
		usleep(1000);
	usleep(20000); /* the threads are idle again */
	ok(workers_submit(wk, &jobs[3].work) == 0, "once they are done a job is taken again");
	for (int i = 0; i < 2000 && atomic_load(&ran) < 3; i++)
		usleep(1000);
	workers_free(wk);
	ok(atomic_load(&ran) == 3 && atomic_load(&cancelled) == 0, "three ran, none was cancelled");
}

struct fired {
	struct timer_entry entry;
	int order;
	int *next;
	struct timespec at;
};

static void on_fire(struct timer_entry *e)
{
	struct fired *f = (struct fired *)e;
	f->order = (*f->next)++;
	clock_gettime(CLOCK_MONOTONIC, &f->at);
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void test_timer(void)
{
	int next = 0;
	struct timespec start;
	struct fired f[3];
	for (int i = 0; i < 3; i++)
		f[i] = (struct fired){{on_fire, {0, 0}, NULL}, -1, &next, {0, 0}};
	struct timer *t = timer_start(2);
	ok(t != NULL, "the timer starts");
	clock_gettime(CLOCK_MONOTONIC, &start);
	ok(timer_add(t, &f[0].entry, 120) == 0 && timer_add(t, &f[1].entry, 40) == 0,
	   "two entries wait");
	ok(timer_add(t, &f[2].entry, 1) == -1, "a third is refused: the timer is full");
	for (int i = 0; i < 2000 && next < 2; i++)
		usleep(1000);
	ok(f[1].order == 0 && f[0].order == 1, "the sooner fires first");
	ok(ms_between(&start, &f[1].at) >= 39 && ms_between(&start, &f[0].at) >= 119,
	   "neither fires early");
	ok(timer_add(t, &f[2].entry, 60000) == 0, "a long delay waits");
	timer_stop(t);
	ok(f[2].order == 2, "stopping fires what still waits");
	ok(timer_add(t, &f[0].entry, 1) == -1, "a stopped timer refuses entries");
	timer_free(t);
}

int main(void)
{
	test_bounded_queue_and_cancel();
	test_no_queue_refuses_at_once();
	test_timer();
	return tap_done();
}
