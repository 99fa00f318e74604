/* Strict base64url decoding: a token either decodes exactly or is refused. */
#include "base64url.h"

static int sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '-' ? 62 : c == '_' ? 63 : -1;
}

long base64url_decode(const char *in, size_t len, unsigned char *out)
{
	unsigned long acc = 0;
	unsigned bits = 0;
	long n = 0;
	if (len % 4 == 1)
		return -1; /* one leftover character cannot encode a byte */
	for (size_t i = 0; i < len; i++) {
		int v = sextet(in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	if (acc & ((1ul << bits) - 1))
		return -1; /* non-canonical: the spare bits must be zero */
	return n;
}
