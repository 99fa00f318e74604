/* SPDX-License-Identifier: Apache-2.0 */
/* Strict base64 decoding: standard (RFC 4648 section 4, padded) for HTTP Basic credentials, and
 * base64url (RFC 7515 section 2, unpadded) for JWTs and JWKs. */
#ifndef NGD_BASE64_H
#define NGD_BASE64_H

#include <stddef.h>

/* The largest decoded size of LEN base64 characters. */
#define BASE64_DECODED_MAX(len) ((len) / 4 * 3)

/* Decodes IN (LEN characters: a multiple of 4, '=' only as the last one or two) into OUT, which
 * holds out_len bytes. Returns the decoded length, or -1 when IN is not strict base64 or OUT is
 * too small. Nothing else is accepted: no whitespace, no URL-safe alphabet, no missing padding. */
long base64_decode(const char *in, size_t len, unsigned char *out, size_t out_len);

/* The decoded size of LEN base64url characters, an upper bound to allocate for. */
static inline size_t base64url_decoded_max(size_t len)
{
	return len / 4 * 3 + 3;
}

/* Decodes LEN characters of IN into OUT, which holds out_len bytes; returns the decoded length, or
 * -1 on a character outside the alphabet, an impossible length, non-zero spare bits, or more bytes
 * than out_len (refused before anything is written past it). */
long base64url_decode(const char *in, size_t len, unsigned char *out, size_t out_len);

#endif
