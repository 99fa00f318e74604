/* SPDX-License-Identifier: Apache-2.0 */
/* Reading small files (configuration, credentials, key lists) with a size cap. */
#ifndef NGD_FILE_H
#define NGD_FILE_H

#include <stddef.h>

/* Returns the NUL-terminated contents of a text file (free with free(), after explicit_bzero(…,
 * *len) when they may hold secrets) and their length, or NULL with a reason in err (too large, NUL
 * byte, I/O). A UTF-8 byte order mark at the start is dropped and CRLF read as LF; a CR without LF
 * after it, or a byte order mark further in, is refused as "PATH:LINE: ...". */
char *file_read(const char *path, size_t max_bytes, size_t *len, char *err, size_t err_len);
/* The same for binary contents (a secret key): NUL bytes allowed, still NUL-terminated. */
char *file_read_bytes(const char *path, size_t max_bytes, size_t *len, char *err, size_t err_len);

/* 0 when only the file's owner and group may read it (or it cannot be examined: the read that
 * follows says why); -1 when every user may, with "'PATH' holds WHAT and is readable by every user
 * (mode 0644): run chmod o-rwx 'PATH'" in err. */
int file_check_private(const char *path, const char *what, char *err, size_t err_len);
/* Room for file_check_private's message: it names a path of up to 200 bytes twice. */
#define FILE_ERROR_TEXT 640

#endif
