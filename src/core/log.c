/* Levelled logging: one write(2) per line so lines from several threads never interleave. */
#include "core/log.h"

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
	return *end == '\0' && dev == (unsigned long long)st.st_dev && ino == (unsigned long long)st.st_ino;
}

void log_init(void)
{
	/* the journal adds its own timestamps and reads the <N> priority prefix */
	to_journal = stderr_is_journal(getenv("JOURNAL_STREAM"));
}

void log_set_request_id(const char *id)
{
	request_id = id;
}

void log_set_level(enum log_level level)
{
	atomic_store_explicit(&current_level, (int)level, memory_order_relaxed);
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

__attribute__((format(printf, 2, 0))) static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[2048];
	int n;

	if ((int)level > atomic_load_explicit(&current_level, memory_order_relaxed))
		return;
	if (to_journal) {
		n = snprintf(line, sizeof line, "<%d>", (int)level);
	} else {
		struct timespec now;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%SZ ", &tm);
		n += snprintf(line + n, sizeof line - (size_t)n, "negotiated: %s: ", level_word(level));
	}
	if (request_id)
		n += snprintf(line + n, sizeof line - (size_t)n, "[%s] ", request_id);
	n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	if (n >= (int)sizeof line - 1)
		n = (int)sizeof line - 2; /* truncated: still end the line */
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
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
