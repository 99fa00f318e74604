/* SPDX-License-Identifier: Apache-2.0 */
/* A growable byte buffer that is always NUL-terminated, with JSON and base64url writers. */
#ifndef NGD_BUF_H
#define NGD_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data; /* owned; NULL until the first append */
	size_t len;
	size_t cap;
	bool failed; /* an allocation failed: every later append is a no-op */
};

void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_int(struct buf *b, long long v); /* decimal, without printf's cost on the hot path */
/* Appends s as a quoted JSON string (buf_json_chars: without the quotes); s must be UTF-8. */
void buf_json_string(struct buf *b, const char *s);
void buf_json_chars(struct buf *b, const char *s);
void buf_base64url(struct buf *b, const unsigned char *data, size_t len);
/* Hands the bytes to the caller (free() them), or NULL if any append failed; resets b. */
char *buf_steal(struct buf *b);
/* Frees the bytes; wipes them first when they held a secret. */
void buf_free(struct buf *b);
void buf_free_secret(struct buf *b);

#endif
