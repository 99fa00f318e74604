/* SPDX-License-Identifier: Apache-2.0 */
/* Strict base64 and base64url decoding: input that is not the canonical encoding is refused,
 * never guessed at. */
#include "core/base64.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

/* The value of each character in the alphabet whose 62nd and 63rd are C62 and C63, or -1: built
 * once per alphabet, so that decoding a JWT signature is one load per character. */
struct alphabet {
	signed char value[256];
};

static void alphabet_fill(struct alphabet *a, char c62, char c63)
{
	memset(a->value, -1, sizeof a->value);
	for (int i = 0; i < 26; i++) {
		a->value['A' + i] = (signed char)i;
		a->value['a' + i] = (signed char)(26 + i);
	}
	for (int i = 0; i < 10; i++)
		a->value['0' + i] = (signed char)(52 + i);
	a->value[(unsigned char)c62] = 62;
	a->value[(unsigned char)c63] = 63;
}

static struct alphabet standard, url_safe;
static pthread_once_t alphabets_once = PTHREAD_ONCE_INIT;

static void alphabets_init(void)
{
	alphabet_fill(&standard, '+', '/');
	alphabet_fill(&url_safe, '-', '_');
}

/* Unpadded decoding in alphabet A. */
static long decode(const char *in, size_t len, const struct alphabet *a, unsigned char *out,
		   size_t out_len)
{
	unsigned long acc = 0;
	unsigned bits = 0;
	size_t n = 0;
	if (len % 4 == 1)
		return -1; /* one leftover character cannot encode a byte */
	if (len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0) > out_len)
		return -1; /* the exact decoded size, checked before the first byte is written */
	for (size_t i = 0; i < len; i++) {
		int v = a->value[(unsigned char)in[i]];
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
	pthread_once(&alphabets_once, alphabets_init);
	return decode(in, len - pad, &standard, out, out_len);
}

long base64url_decode(const char *in, size_t len, unsigned char *out, size_t out_len)
{
	pthread_once(&alphabets_once, alphabets_init);
	return decode(in, len, &url_safe, out, out_len);
}
