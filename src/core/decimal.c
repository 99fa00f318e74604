/* SPDX-License-Identifier: Apache-2.0 */
/* One strict number parser: strtoul would accept " 8", "+8" and "-8". */
#include "core/decimal.h"

#include <string.h>

int decimal_parse(const char *s, unsigned min, unsigned max, unsigned *out)
{
	size_t len = strlen(s);
	unsigned long v = 0;
	if (len == 0 || len > 9 || strspn(s, "0123456789") != len)
		return -1;
	for (; *s; s++)
		v = v * 10 + (unsigned long)(*s - '0');
	if (v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}
