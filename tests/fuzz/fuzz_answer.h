/* SPDX-License-Identifier: Apache-2.0 */
/* A service's answer built from a fuzz input, for the harnesses of the keyless signer and Entra:
 * the first byte chooses the status among the harness's own, the rest is the NUL-terminated body.
 */
#ifndef NGD_FUZZ_ANSWER_H
#define NGD_FUZZ_ANSWER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/rest_http.h"

/* 0 with *a filled (free with rest_answer_clear), or -1 for an empty input or no memory. */
static inline int fuzz_answer(const uint8_t *data, size_t size, const long *statuses,
			      size_t n_statuses, struct rest_answer *a)
{
	if (size == 0 || n_statuses == 0)
		return -1;
	*a = (struct rest_answer){.status = statuses[data[0] % n_statuses], .len = size - 1};
	if (!(a->body = malloc(a->len + 1)))
		return -1;
	memcpy(a->body, data + 1, a->len);
	a->body[a->len] = '\0';
	return 0;
}

#endif
