/* SPDX-License-Identifier: Apache-2.0 */
/* SipHash-2-4 (Aumasson and Bernstein): a keyed hash, so clients cannot aim at one bucket. */
#ifndef NGD_SIPHASH_H
#define NGD_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const unsigned char key[16], const void *data, size_t len);

#endif
