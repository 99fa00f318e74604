/* SPDX-License-Identifier: Apache-2.0 */
/* Where finished log lines go: straight to stderr, or gathered and written together so that a
 * busy server spends one write(2) per batch instead of one per line. Lines stay whole and in
 * the order they were logged, whichever thread logged them. */
#ifndef NGD_LOG_BATCH_H
#define NGD_LOG_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#define LOG_BATCH_BYTES 65536 /* lines wait here until one write(2) takes them all */
#define LOG_FLUSH_MS 100      /* the longest a line waits: what a crash (SIGKILL, OOM) can lose */
#define LOG_DIRECT_LINES 4    /* per LOG_FLUSH_MS, written at once: only a busy server batches */

/* One whole line (ending in '\n', at most LOG_BATCH_BYTES). urgent (a warning or an error)
 * writes it and everything before it now. */
void log_batch_put(const char *line, size_t len, bool urgent);
/* From here until log_batch_stop(), the first LOG_DIRECT_LINES of every LOG_FLUSH_MS go at once;
 * the rest are gathered and wait at most LOG_FLUSH_MS, less when the batch fills or one is urgent.
 * Call it with the signals blocked (it starts the flusher thread). 0, or -1: lines are then
 * still written one by one. */
int log_batch_start(void);
/* Writes what waits and joins the flusher; later lines are written one by one again. */
void log_batch_stop(void);
/* Writes what waits now (a reload, exit()). */
void log_batch_flush(void);

#endif
