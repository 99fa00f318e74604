/* SPDX-License-Identifier: Apache-2.0 */
/* Growable buffer: the one place that formats JSON strings and base64url by hand. */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool buf_reserve(struct buf *b, size_t extra)
{
	if (b->failed)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 1024; /* a token, a reply: most never grow */
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *data = malloc(cap); /* not realloc: the old bytes may be a secret to wipe */
	if (!data) {
		b->failed = true;
		return false;
	}
	if (b->data) {
		memcpy(data, b->data, b->len + 1);
		explicit_bzero(b->data, b->len);
		free(b->data);
	}
	b->data = data;
	b->cap = cap;
	return true;
}

void buf_append(struct buf *b, const void *data, size_t len)
{
	if (!buf_reserve(b, len))
		return;
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void buf_int(struct buf *b, long long v)
{
	char digits[24], *p = digits + sizeof digits;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	buf_append(b, p, (size_t)(digits + sizeof digits - p));
}

void buf_json_chars(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	/* one load per byte: tokens and URLs are hundreds of bytes with nothing to escape */
	static const bool stops[256] = {[0 ... 0x1f] = true, ['"'] = true, ['\\'] = true};
	for (const char *run = s;; s++) {
		unsigned char c = (unsigned char)*s;
		if (!stops[c])
			continue;
		buf_append(b, run, (size_t)(s - run));
		if (c == '\0')
			break;
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			buf_append(b, esc, 2);
		} else {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			buf_append(b, esc, 6);
		}
		run = s + 1;
	}
}

void buf_json_string(struct buf *b, const char *s)
{
	buf_append(b, "\"", 1);
	buf_json_chars(b, s);
	buf_append(b, "\"", 1);
}

void buf_base64url(struct buf *b, const unsigned char *in, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	if (!buf_reserve(b, (len + 2) / 3 * 4))
		return;
	char *out = b->data + b->len;
	size_t i = 0;
	for (; i + 3 <= len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		*out++ = alphabet[v >> 18];
		*out++ = alphabet[(v >> 12) & 63];
		*out++ = alphabet[(v >> 6) & 63];
		*out++ = alphabet[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		*out++ = alphabet[v >> 18];
		*out++ = alphabet[(v >> 12) & 63];
	} else if (len - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		*out++ = alphabet[v >> 18];
		*out++ = alphabet[(v >> 12) & 63];
		*out++ = alphabet[(v >> 6) & 63];
	}
	b->len = (size_t)(out - b->data);
	b->data[b->len] = '\0';
}

char *buf_steal(struct buf *b)
{
	char *data = b->failed ? NULL : b->data;
	if (!data && !b->failed)
		data = strdup("");
	if (b->failed)
		free(b->data);
	*b = (struct buf){0};
	return data;
}

void buf_free(struct buf *b)
{
	free(b->data);
	*b = (struct buf){0};
}

void buf_free_secret(struct buf *b)
{
	if (b->data)
		explicit_bzero(b->data, b->len); /* past len nothing was written */
	buf_free(b);
}
