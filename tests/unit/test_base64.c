/* SPDX-License-Identifier: Apache-2.0 */
/* Strict base64 decoding (HTTP Basic credentials), as a table. */
#include "core/base64.h"
#include "tap.h"

struct b64_case {
	const char *in;
	const char *out; /* NULL: refused */
};

static const struct b64_case cases[] = {
	{"", ""},
	{"YQ==", "a"},
	{"YWI=", "ab"},
	{"YWJj", "abc"},
	{"YWxpY2U6c2VjcmV0", "alice:secret"},
	{"Pz8/Pz4+", "\x3f\x3f\x3f\x3f>>"},
	{"Pz8/", "\x3f\x3f\x3f"},
	{"Pj4+", ">>>"},
	{"YQ", NULL},		    /* padding missing */
	{"YQ=", NULL},		    /* length not a multiple of 4 */
	{"YR==", NULL},		    /* bits under the padding */
	{"YWJ=", NULL},		    /* bits under the padding */
	{"Y===", NULL},		    /* three pad characters */
	{"=YQ=", NULL},		    /* padding first */
	{"YQ==YQ==", NULL},	    /* padding in the middle */
	{"YW Jj", NULL},	    /* whitespace */
	{"YW-j", NULL},		    /* URL-safe alphabet */
	{"YW_j", NULL},		    /* URL-safe alphabet */
	{"YWJj\n", NULL},	    /* newline */
	{"\xc3\xa9\xc3\xa9", NULL}, /* not ASCII */
};

int main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned char out[64];
		long n = base64_decode(cases[i].in, strlen(cases[i].in), out, sizeof out);
		if (!cases[i].out) {
			ok(n == -1, "'%s' is refused", cases[i].in);
			continue;
		}
		ok(n == (long)strlen(cases[i].out) && memcmp(out, cases[i].out, (size_t)n) == 0,
		   "'%s' decodes", cases[i].in);
	}
	unsigned char small[2];
	ok(base64_decode("YWJj", 4, small, sizeof small) == -1,
	   "an output buffer too small is refused");
	ok(base64_decode("YWI=", 4, small, sizeof small) == 2,
	   "an output buffer just large enough is used");
	return tap_done();
}
