/* SPDX-License-Identifier: Apache-2.0 */
/* The log batch: one buffer under one lock, written by whoever fills it, by a warning, or by
 * the flusher thread LOG_FLUSH_MS after the first line of a batch; a quiet server's lines go at
 * once. */
#include "core/log_batch.h"

#include "core/clock.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake; /* a batch began, or the flusher must stop */
static char batch[LOG_BATCH_BYTES];
static size_t batch_len;
static bool batching, stopping;
static pthread_t flusher;
static uint64_t window_start_ns; /* the LOG_FLUSH_MS period whose first lines go at once */
static unsigned direct_in_window;

/* All of it, unless stderr is gone: a short write (a signal, a pipe) goes on from where it stopped.
 */
static void write_all(const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(STDERR_FILENO, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		data += n, len -= (size_t)n;
	}
}

static void flush_locked(void)
{
	if (!batch_len)
		return;
	write_all(batch, batch_len);
	batch_len = 0;
}

/* The first LOG_DIRECT_LINES of a period go at once, so a quiet server's lines never wait; nothing
 * may overtake a line that does. */
static bool may_write_at_once(void)
{
	if (batch_len)
		return false;
	uint64_t now = monotonic_ns();
	if (now - window_start_ns >= (uint64_t)LOG_FLUSH_MS * 1000000u)
		window_start_ns = now, direct_in_window = 0;
	if (direct_in_window >= LOG_DIRECT_LINES)
		return false;
	direct_in_window++;
	return true;
}

void log_batch_put(const char *line, size_t len, bool urgent)
{
	pthread_mutex_lock(&lock);
	if (!batching || may_write_at_once()) {
		write_all(line, len);
	} else {
		if (batch_len + len > sizeof batch)
			flush_locked();
		if (!batch_len)
			pthread_cond_signal(&wake); /* the flusher's clock starts with this line */
		memcpy(batch + batch_len, line, len);
		batch_len += len;
		if (urgent)
			flush_locked();
	}
	pthread_mutex_unlock(&lock);
}

void log_batch_flush(void)
{
	pthread_mutex_lock(&lock);
	flush_locked();
	pthread_mutex_unlock(&lock);
}

static struct timespec in_flush_period(void)
{
	uint64_t due = monotonic_ns() + (uint64_t)LOG_FLUSH_MS * 1000000u;
	return (struct timespec){(time_t)(due / 1000000000u), (long)(due % 1000000000u)};
}

/* Sleeps while nothing waits; once a line does, writes the batch LOG_FLUSH_MS later. */
static void *flush_loop(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&lock);
	while (!stopping) {
		if (!batch_len) {
			pthread_cond_wait(&wake, &lock);
			continue;
		}
		struct timespec due = in_flush_period();
		while (!stopping && batch_len &&
		       pthread_cond_timedwait(&wake, &lock, &due) != ETIMEDOUT)
			;
		flush_locked();
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

int log_batch_start(void)
{
	if (batching)
		return 0;
	cond_init_monotonic(&wake);
	stopping = false;
	if (pthread_create(&flusher, NULL, flush_loop, NULL) != 0) {
		pthread_cond_destroy(&wake);
		return -1;
	}
	pthread_mutex_lock(&lock);
	batching = true;
	pthread_mutex_unlock(&lock);
	return 0;
}

void log_batch_stop(void)
{
	if (!batching)
		return;
	pthread_mutex_lock(&lock);
	flush_locked(); /* before any line that is written at once from here on */
	batching = false;
	stopping = true;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(flusher, NULL);
	pthread_cond_destroy(&wake);
}
