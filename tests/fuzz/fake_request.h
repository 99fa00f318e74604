/* SPDX-License-Identifier: Apache-2.0 */
/* A request the harnesses build from fuzz bytes, with no socket and no libmicrohttpd: the text
 * "METHOD TARGET\nName: value\n...\n\nBODY", split the way the HTTP edge would hand it over. */
#ifndef NGD_FUZZ_FAKE_REQUEST_H
#define NGD_FUZZ_FAKE_REQUEST_H

#include "edge/request.h"

#include <stddef.h>
#include <stdint.h>

#define FAKE_MAX_HEADERS 64
#define FAKE_MAX_ARGS 300 /* more than any list may hold, so that the caps are reached */

struct fake_request {
	struct ngd_request req;
	char *text; /* the input's copy, cut in place */
	unsigned n_headers, n_args;
	const char *header_name[FAKE_MAX_HEADERS], *header_value[FAKE_MAX_HEADERS];
	const char *arg_name[FAKE_MAX_ARGS],
		*arg_value[FAKE_MAX_ARGS]; /* value NULL: "name" without '=' */
};

/* The whole request: a request line, headers, an empty line and the body. NULL when out of memory.
 */
struct fake_request *fake_request_parse(const uint8_t *data, size_t size);
/* Headers only ("Name: value" lines), for GET /negotiate. */
struct fake_request *fake_request_headers(const uint8_t *data, size_t size);
/* QUERY alone, as "a=1&b&c=2" (the text is cut in place: it must outlive the request). */
void fake_request_split_query(struct fake_request *f, char *query);
void fake_request_free(struct fake_request *f);

#endif
