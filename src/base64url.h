/* Strict base64url decoding (RFC 7515 section 2: no padding, no whitespace). */
#ifndef NGD_BASE64URL_H
#define NGD_BASE64URL_H

#include <stddef.h>

/* The decoded size of LEN characters, an upper bound to allocate for. */
static inline size_t base64url_decoded_max(size_t len)
{
	return len / 4 * 3 + 3;
}

/* Decodes LEN characters of IN into OUT (base64url_decoded_max(len) bytes); returns the decoded
 * length, or -1 on a character outside the alphabet, an impossible length or non-zero spare bits. */
long base64url_decode(const char *in, size_t len, unsigned char *out);

#endif
