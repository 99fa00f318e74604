/* SPDX-License-Identifier: Apache-2.0 */
/* base64 (HTTP Basic) and base64url (JWTs, JWKs): decoding any bytes into a buffer of a size the
 * input chooses, and the round trip encode -> decode, which must give the same bytes back. */
#include "core/base64.h"
#include "core/buf.h"
#include "fuzz.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* The first byte chooses the output capacity, so that "too small" is reached and must be refused.
 */
static void decode_both(const char *in, size_t len, size_t cap)
{
	unsigned char *out =
		malloc(cap ? cap : 1); /* exactly cap bytes: ASan sees a write past it */
	if (!out)
		return;
	long n = base64_decode(in, len, out, cap);
	if (n > (long)cap || n > (long)BASE64_DECODED_MAX(len))
		abort();
	n = base64url_decode(in, len, out, cap);
	if (n > (long)cap || (n >= 0 && (size_t)n > base64url_decoded_max(len)))
		abort();
	free(out);
}

static void round_trip(const unsigned char *data, size_t len)
{
	struct buf b = {0};
	buf_base64url(&b, data, len);
	if (b.failed)
		return buf_free(&b);
	unsigned char *back = malloc(len + 1);
	long n = back ? base64url_decode(b.data, b.len, back, len) : -1;
	if (back && (n != (long)len || memcmp(back, data, len) != 0))
		abort(); /* base64url of any bytes decodes to those bytes, into exactly their size
			  */
	buf_free(&b);
	char *std = malloc(4 * ((len + 2) / 3) + 1);
	if (std && back) {
		int m = EVP_EncodeBlock((unsigned char *)std, data, (int)len);
		if (base64_decode(std, (size_t)m, back, len) != (long)len ||
		    memcmp(back, data, len) != 0)
			abort(); /* and so does OpenSSL's padded base64 through the strict decoder
				  */
	}
	free(std);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t cap = data[0];
	char *text =
		malloc(size - 1 ? size - 1 : 1); /* no terminator: a decoder must stop at len */
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	decode_both(text, size - 1, cap);
	decode_both(text, size - 1, BASE64_DECODED_MAX(size - 1) + 3);
	round_trip(data + 1, size - 1);
	free(text);
	return 0;
}
