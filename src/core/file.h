/* SPDX-License-Identifier: Apache-2.0 */
/* Reading small files (configuration, credentials, key lists) with a size cap. */
#ifndef NGD_FILE_H
#define NGD_FILE_H

#include <stddef.h>

/* Returns the NUL-terminated contents (free with free(), after explicit_bzero(…, *len) when they
 * may hold secrets) and their length, or NULL with a reason in err (too large, NUL byte, I/O). */
char *file_read(const char *path, size_t max_bytes, size_t *len, char *err, size_t err_len);
/* The same for binary contents (a secret key): NUL bytes allowed, still NUL-terminated. */
char *file_read_bytes(const char *path, size_t max_bytes, size_t *len, char *err, size_t err_len);

#endif
