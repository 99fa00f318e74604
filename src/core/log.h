/* SPDX-License-Identifier: Apache-2.0 */
/* Levelled logging to stderr; journald reads the <N> priority prefix when it is the sink. */
#ifndef NGD_LOG_H
#define NGD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum log_level {
	LOG_LEVEL_ERROR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7
};

/* Reads JOURNAL_STREAM, and has exit() write the lines still batched (core/log_batch.h). */
void log_init(void);
void log_set_level(enum log_level level);
/* True when lines at this level are written: build nothing for a line that is not. */
bool log_wants(enum log_level level);
/* Lines this thread logs until the next call carry "[ID] "; NULL ends it. id must outlive that. */
void log_set_request_id(const char *id);
int log_level_parse(const char *name, enum log_level *out); /* 0, or -1 for an unknown name */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line of ready text (no format, no newline), with the usual prefix. */
void log_text(enum log_level level, const char *text, size_t len);
/* A finished line (its own prefix and '\n') for stderr, in order with the log lines. */
void log_raw_line(const char *line, size_t len);

/* "YYYY-MM-DDTHH:MM:SS" of t in UTC, remembered per thread for the second it names. */
const char *log_utc_second(time_t t);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
