/* SPDX-License-Identifier: Apache-2.0 */
/* Levelled logging: each line is formatted whole, then handed to the batch (core/log_batch.c). */
#include "core/log.h"

#include "core/log_batch.h"

#include <negotiated/authenticator.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_BYTES 2048 /* a longer line is cut, and still ended */

static atomic_int current_level = LOG_LEVEL_INFO; /* a reload changes it while threads log */
static bool to_journal;
static __thread const char *request_id; /* of the request this thread is answering */

static const struct {
	const char *name;
	enum log_level level;
} level_names[] = {
	{"error", LOG_LEVEL_ERROR},
	{"warning", LOG_LEVEL_WARNING},
	{"info", LOG_LEVEL_INFO},
	{"debug", LOG_LEVEL_DEBUG},
};

/* systemd.exec(5): JOURNAL_STREAM is "DEVICE:INODE" of the journal's stream; stderr is the journal
 * only when fstat(2) of stderr gives the same pair (a child may have redirected it elsewhere). */
static bool stderr_is_journal(const char *stream)
{
	struct stat st;
	char *end;
	if (!stream || *stream < '0' || *stream > '9' || fstat(STDERR_FILENO, &st) < 0)
		return false;
	unsigned long long dev = strtoull(stream, &end, 10);
	if (*end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	unsigned long long ino = strtoull(end + 1, &end, 10);
	return *end == '\0' && dev == (unsigned long long)st.st_dev &&
	       ino == (unsigned long long)st.st_ino;
}

void log_init(void)
{
	/* the journal adds its own timestamps and reads the <N> priority prefix */
	to_journal = stderr_is_journal(getenv("JOURNAL_STREAM"));
	atexit(log_batch_flush); /* exit() on any path still writes the lines batched */
}

void log_set_request_id(const char *id)
{
	request_id = id;
}

void log_set_level(enum log_level level)
{
	atomic_store_explicit(&current_level, (int)level, memory_order_relaxed);
}

bool log_wants(enum log_level level)
{
	return (int)level <= atomic_load_explicit(&current_level, memory_order_relaxed);
}

const char *log_utc_second(time_t t)
{
	static __thread time_t shown = -1;
	static __thread char text[24];
	if (t != shown) { /* gmtime_r and strftime once a second, not once a line */
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
		shown = t;
	}
	return text;
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
		if (strcmp(name, level_names[i].name) == 0) {
			*out = level_names[i].level;
			return 0;
		}
	return -1;
}

static const char *level_word(enum log_level level)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
		if (level_names[i].level == level)
			return level_names[i].name;
	return "log";
}

#define SHOWN_ID_BYTES 128 /* of a request id: request_id.c accepts at most 64 */

static char *put(char *at, const char *text, size_t len)
{
	memcpy(at, text, len);
	return at + len;
}

/* The prefix of a line: the priority for the journal, else the time and level; then the request
 * id. Copied, not printed: it starts every line. Returns its length, far below LOG_LINE_BYTES. */
static int line_start(enum log_level level, char *line)
{
	char *at = line;
	if (to_journal) {
		*at++ = '<', *at++ = (char)('0' + (int)level), *at++ = '>';
	} else {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		const char *stamp = log_utc_second(now.tv_sec);
		at = put(at, stamp, strlen(stamp));
		at = put(at, "Z negotiated: ", 14);
		at = put(at, level_word(level), strlen(level_word(level)));
		at = put(at, ": ", 2);
	}
	if (request_id) {
		*at++ = '[';
		at = put(at, request_id, strnlen(request_id, SHOWN_ID_BYTES));
		*at++ = ']', *at++ = ' ';
	}
	return (int)(at - line);
}

/* Ends the line at n (cut to fit, still ended) and hands it on. */
static void line_end(enum log_level level, char *line, size_t size, int n)
{
	if (n >= (int)size - 1)
		n = (int)size - 2; /* truncated: still end the line */
	line[n++] = '\n';
	log_batch_put(line, (size_t)n, level <= LOG_LEVEL_WARNING);
}

__attribute__((format(printf, 2, 0))) static void log_vmsg(enum log_level level, const char *fmt,
							   va_list ap)
{
	char line[LOG_LINE_BYTES];
	if (!log_wants(level))
		return;
	int n = line_start(level, line);
	n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	line_end(level, line, sizeof line, n);
}

void log_text(enum log_level level, const char *text, size_t len)
{
	char line[LOG_LINE_BYTES];
	if (!log_wants(level))
		return;
	int n = line_start(level, line);
	size_t room = sizeof line - 2 - (size_t)n;
	memcpy(line + n, text, len < room ? len : room);
	line_end(level, line, sizeof line, n + (int)(len < room ? len : room));
}

void log_raw_line(const char *line, size_t len)
{
	log_batch_put(line, len, false);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void ngd_log_warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_WARNING, fmt, ap);
	va_end(ap);
}
