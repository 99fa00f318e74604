/* Strict base64 and base64url decoding: input that is not the canonical encoding is refused,
 * never guessed at. */
#include "core/base64.h"

#include <stdbool.h>
#include <string.h>

static int sextet(char c, char c62, char c63)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == c62 ? 62 : c == c63 ? 63 : -1;
}

/* Unpadded decoding in the alphabet whose last two characters are c62 and c63. */
static long decode(const char *in, size_t len, char c62, char c63, unsigned char *out, size_t out_len)
{
	unsigned long acc = 0;
	unsigned bits = 0;
	size_t n = 0;
	if (len % 4 == 1)
		return -1; /* one leftover character cannot encode a byte */
	if (len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > out_len)
		return -1; /* the exact decoded size, checked before the first byte is written */
	for (size_t i = 0; i < len; i++) {
		int v = sextet(in[i], c62, c63);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	bool canonical = !(acc & ((1ul << bits) - 1)); /* the spare bits must be zero */
	explicit_bzero(&acc, sizeof acc);	       /* it may hold part of a password */
	return canonical ? (long)n : -1;
}

long base64_decode(const char *in, size_t len, unsigned char *out, size_t out_len)
{
	size_t pad = 0;
	if (len % 4 != 0)
		return -1;
	while (pad < 2 && pad < len && in[len - 1 - pad] == '=')
		pad++;
	return decode(in, len - pad, '+', '/', out, out_len);
}

long base64url_decode(const char *in, size_t len, unsigned char *out, size_t out_len)
{
	return decode(in, len, '-', '_', out, out_len);
}
