/* SPDX-License-Identifier: Apache-2.0 */
/* The one entry point every harness in tests/fuzz defines: libFuzzer calls it with each input
 * (./configure --enable-fuzzing), replay.c with each committed corpus file (make check). */
#ifndef NGD_FUZZ_H
#define NGD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
