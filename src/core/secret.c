/* SPDX-License-Identifier: Apache-2.0 */
/* Secrets: compared in constant time, wiped before their memory is given back. */
#include "core/secret.h"

#include "core/thread_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

bool secret_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

int sha256(const void *data, size_t len, unsigned char out[SHA256_LEN])
{
	unsigned int out_len = 0;
	EVP_MD_CTX *ctx = thread_sha256();
	if (!ctx || !EVP_DigestUpdate(ctx, data, len) || !EVP_DigestFinal_ex(ctx, out, &out_len) ||
	    out_len != SHA256_LEN)
		return -1;
	return 0;
}

int random_bytes(void *out, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = getrandom((char *)out + done, len - done, 0);
		if (n < 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

void hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode_prefix(const char *in, unsigned char *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = hex_value(in[2 * i]);
		int lo = hi < 0 ? -1 : hex_value(in[2 * i + 1]); /* never past a NUL */
		if (lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int hex_decode(const char *in, unsigned char *out, size_t len)
{
	if (strlen(in) != 2 * len)
		return -1;
	return hex_decode_prefix(in, out, len);
}

#define SECRET_ENV_MAX 8 /* names read at once: a service's two keys, a few services */

static struct {
	char *name, *value;
} kept_env[SECRET_ENV_MAX];

char *secret_from_env(const char *name)
{
	size_t i = 0;
	for (; i < SECRET_ENV_MAX && kept_env[i].name; i++)
		if (strcmp(kept_env[i].name, name) == 0)
			return strdup(kept_env[i].value);
	char *value = getenv(name);
	if (!value || !*value)
		return NULL;
	char *copy = strdup(value);
	if (copy && i < SECRET_ENV_MAX && (kept_env[i].name = strdup(name)) &&
	    (kept_env[i].value = strdup(copy))) {
		explicit_bzero(
			value,
			strlen(value)); /* the initial environment block is what /proc shows */
		unsetenv(name);
	} else if (i < SECRET_ENV_MAX) {
		free(kept_env[i].name);
		kept_env[i].name = NULL; /* not kept: left in the environment for the next read */
	}
	return copy;
}
