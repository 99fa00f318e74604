/* SPDX-License-Identifier: Apache-2.0 */
/* Handling of secrets: constant-time comparison, wiping, digests, randomness. */
#ifndef NGD_SECRET_H
#define NGD_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#define SHA256_LEN 32

bool secret_equal(const void *a, const void *b, size_t len); /* constant time in len */
void secret_free(char *s); /* wipes a NUL-terminated secret, frees it */
int sha256(const void *data, size_t len, unsigned char out[SHA256_LEN]); /* 0, or -1 */
int random_bytes(void *out, size_t len);				 /* 0, or -1 */
void hex_encode(const unsigned char *in, size_t len, char *out);	 /* out: 2*len+1 bytes */
int hex_decode(const char *in, unsigned char *out, size_t len); /* exactly 2*len digits: 0, or -1 */
/* The first 2*len digits of in (more text may follow; a NUL before them is -1): 0, or -1. */
int hex_decode_prefix(const char *in, unsigned char *out, size_t len);

/* The value of environment variable NAME, a secret, as a copy the caller frees with secret_free();
 * NULL when unset or empty. The first call wipes the value's bytes where the kernel shows them
 * (/proc/PID/environ) and unsets it, keeping a private copy for later calls (a reload). Start-up
 * and reload only: not thread-safe. */
char *secret_from_env(const char *name);

#endif
