/* SPDX-License-Identifier: Apache-2.0 */
/* The log batch: lines stay whole and in order across threads, warnings write at once, the
 * flusher writes an idle batch, a quiet server's lines go at once, and stopping writes
 * everything that waits. */
#include "core/log_batch.h"
#include "tap.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4
#define LINES 3000 /* per thread: several times LOG_BATCH_BYTES in all */

static char captured[THREADS * LINES * 96];
static int capture_fd;

/* What stderr (a temporary file) holds so far. */
static const char *written(void)
{
	ssize_t n = pread(capture_fd, captured, sizeof captured - 1, 0);
	captured[n > 0 ? n : 0] = '\0';
	return captured;
}

static void put(const char *line, bool urgent)
{
	log_batch_put(line, strlen(line), urgent);
}

static void *log_lines(void *arg)
{
	long id = (long)arg;
	char line[96];
	for (int i = 0; i < LINES; i++) {
		int n = snprintf(line, sizeof line, "thread=%ld line=%d pad=%.*s end\n", id, i,
				 i % 50, "--------------------------------------------------");
		log_batch_put(line, (size_t)n, false);
	}
	return NULL;
}

/* Every line whole, and each thread's lines in the order it logged them. */
static bool whole_and_ordered(const char *text, int *count)
{
	int next[THREADS] = {0};
	*count = 0;
	for (const char *p = text; *p;) {
		const char *end = strchr(p, '\n');
		long id;
		int i, pad_start, pad_end;
		if (!end || sscanf(p, "thread=%ld line=%d pad=%n%*[-]%n", &id, &i, &pad_start,
				   &pad_end) < 2)
			return false;
		if (i % 50 == 0)
			pad_end = pad_start;
		if (id < 0 || id >= THREADS || i != next[id]++ || pad_end - pad_start != i % 50 ||
		    strncmp(p + pad_end, " end\n", 5) != 0 || p + pad_end + 4 != end)
			return false;
		++*count;
		p = end + 1;
	}
	return true;
}

static bool appears_within(const char *text, int seconds)
{
	for (int i = 0; i < seconds * 100; i++) {
		if (strstr(written(), text))
			return true;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	return false;
}

int main(void)
{
	char path[] = "/tmp/ngd-log-batch-XXXXXX";
	int saved = dup(STDERR_FILENO);
	capture_fd = mkstemp(path);
	dup2(capture_fd, STDERR_FILENO);

	put("before\n", false);
	is_str(written(), "before\n", "without batching a line is written at once");

	ok(log_batch_start() == 0, "batching starts");
	put("info\n", false);
	put("warning\n", true);
	is_str(written(), "before\ninfo\nwarning\n",
	       "a warning writes itself and what waited before it, in order");

	nanosleep(&(struct timespec){0, (LOG_FLUSH_MS + 50) * 1000000L}, NULL); /* a fresh period */
	for (int i = 0; i < LOG_DIRECT_LINES; i++)
		put("direct\n", false);
	ok(strstr(written(), "warning\ndirect\ndirect\ndirect\ndirect\n") != NULL,
	   "a quiet server's first %d lines of a period are written at once", LOG_DIRECT_LINES);
	put("idle\n", false);
	ok(strstr(written(), "idle\n") == NULL,
	   "the next line of a busy period waits in the batch");
	ok(appears_within("direct\nidle\n", 10), "and the flusher writes it, in order");
	put("behind\n", false);
	ok(strstr(written(), "behind\n") == NULL || strstr(written(), "idle\nbehind\n"),
	   "a line never overtakes one that waits");

	nanosleep(&(struct timespec){0, (LOG_FLUSH_MS + 50) * 1000000L}, NULL);
	put("quiet\n", false);
	ok(strstr(written(), "behind\nquiet\n") != NULL,
	   "after a quiet spell a line is written at once");

	(void)!ftruncate(capture_fd, 0);
	lseek(capture_fd, 0, SEEK_SET); /* stderr shares this offset */
	pthread_t threads[THREADS];
	for (long i = 0; i < THREADS; i++)
		pthread_create(&threads[i], NULL, log_lines, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	log_batch_stop();
	int count;
	ok(whole_and_ordered(written(), &count),
	   "lines from %d threads are whole and in each thread's order", THREADS);
	ok(count == THREADS * LINES, "stopping writes every line that waited (%d of %d)", count,
	   THREADS * LINES);

	put("after\n", false);
	ok(strstr(written(), "end\nafter\n") != NULL,
	   "after stopping, a line is written at once, after the rest");

	dup2(saved, STDERR_FILENO);
	close(saved);
	close(capture_fd);
	unlink(path);
	return tap_done();
}
