/* Strict standard base64 (RFC 4648 section 4) decoding, for HTTP Basic credentials. */
#ifndef NGD_BASE64_H
#define NGD_BASE64_H

#include <stddef.h>

/* The largest decoded size of LEN base64 characters. */
#define BASE64_DECODED_MAX(len) ((len) / 4 * 3)

/* Decodes IN (LEN characters: a multiple of 4, '=' only as the last one or two) into OUT, which
 * holds out_len bytes. Returns the decoded length, or -1 when IN is not strict base64 or OUT is
 * too small. Nothing else is accepted: no whitespace, no URL-safe alphabet, no missing padding. */
long base64_decode(const char *in, size_t len, unsigned char *out, size_t out_len);

#endif
