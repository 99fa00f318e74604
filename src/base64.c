/* Strict base64 decoding: a credential that is not canonical base64 is malformed, not guessed at. */
#include "base64.h"

#include <string.h>

static int sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes one 4-character group; returns the bytes it yields (1 to 3), or -1. */
static int decode_group(const char *in, int last, unsigned char *out)
{
	int pad = last ? (in[3] == '=') + (in[3] == '=' && in[2] == '=') : 0;
	int s[4] = {0};
	for (int i = 0; i < 4 - pad; i++)
		if ((s[i] = sextet(in[i])) < 0)
			return -1;
	unsigned v = (unsigned)s[0] << 18 | (unsigned)s[1] << 12 | (unsigned)s[2] << 6 | (unsigned)s[3];
	if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
		return -1; /* non-zero bits under the padding: not the canonical encoding */
	out[0] = (unsigned char)(v >> 16);
	out[1] = (unsigned char)(v >> 8);
	out[2] = (unsigned char)v;
	return 3 - pad;
}

long base64_decode(const char *in, size_t len, unsigned char *out, size_t out_len)
{
	size_t used = 0;
	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		unsigned char group[3];
		int n = decode_group(in + i, i + 4 == len, group);
		if (n < 0 || used + (size_t)n > out_len)
			return -1;
		for (int k = 0; k < n; k++)
			out[used++] = group[k];
		explicit_bzero(group, sizeof group); /* it may hold part of a password */
	}
	return (long)used;
}
