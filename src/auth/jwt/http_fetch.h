/* SPDX-License-Identifier: Apache-2.0 */
/* One bounded HTTP(S) GET with libcurl: a time limit, a size cap, no redirects to other schemes. */
#ifndef NGD_HTTP_FETCH_H
#define NGD_HTTP_FETCH_H

#include <stdatomic.h>
#include <stddef.h>

/* Fetches URL (http or https) within TIMEOUT_MS and MAX_BYTES; abandons it as soon as *STOP
 * (may be NULL) becomes true. Returns the NUL-terminated body of a 200 answer (free()) and its
 * length, or NULL with a reason (status, timeout, size, ...) in err. */
char *http_fetch(const char *url, long timeout_ms, size_t max_bytes, const atomic_bool *stop,
		 size_t *len, char *err, size_t err_len);

/* libcurl loaded and set up, once; call before starting threads that fetch. 0, or -1 with why in
 * err. */
int http_fetch_init(char *err, size_t err_len);

#endif
