/* SPDX-License-Identifier: Apache-2.0 */
/* The buffer's JSON escaping and base64url (RFC 4648 test vectors, URL alphabet). */
#include "core/buf.h"
#include "tap.h"

#include <stdlib.h>

static void base64url(void)
{
	static const char *const vectors[][2] = {
		{"f", "Zg"},	     {"fo", "Zm8"},	   {"foo", "Zm9v"},
		{"foob", "Zm9vYg"},  {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
		{"\xfb\xff", "-_8"},
	};
	for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		struct buf b = {0};
		buf_base64url(&b, (const unsigned char *)vectors[i][0], strlen(vectors[i][0]));
		is_str(b.data ? b.data : "", vectors[i][1], "base64url(\"%s\")", vectors[i][1]);
		buf_free(&b);
	}
}

static void json(void)
{
	static const char *const cases[][2] = {
		{"plain", "\"plain\""},
		{"q\"b\\", "\"q\\\"b\\\\\""},
		{"\n\t\x01", "\"\\u000a\\u0009\\u0001\""},
		{"\xc3\xa9", "\"\xc3\xa9\""},
		{"", "\"\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b = {0};
		buf_json_string(&b, cases[i][0]);
		is_str(b.data, cases[i][1], "JSON string %zu", i);
		buf_free(&b);
	}
	struct buf b = {0};
	buf_printf(&b, "%d-%s", 42, "x");
	char *s = buf_steal(&b);
	is_str(s, "42-x", "printf and steal");
	ok(b.data == NULL && b.len == 0, "steal resets the buffer");
	free(s);
}

int main(void)
{
	base64url();
	json();
	return tap_done();
}
