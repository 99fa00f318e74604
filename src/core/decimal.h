/* SPDX-License-Identifier: Apache-2.0 */
/* Strict decimal numbers from configuration, connection strings and the command line. */
#ifndef NGD_DECIMAL_H
#define NGD_DECIMAL_H

/* Digits only (no sign, no spaces, at most 9), within [min, max]: 0, or -1. */
int decimal_parse(const char *s, unsigned min, unsigned max, unsigned *out);

#endif
