/* SPDX-License-Identifier: Apache-2.0 */
/* The JWS protected header of a token: its alg and kid, parsed once per distinct header text (a
 * provider's tokens share a handful of headers) and remembered in a few fixed slots. */
#ifndef NGD_JWS_HEADER_H
#define NGD_JWS_HEADER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define JWS_MAX_KID 256
#define JWS_HEADER_SLOTS 8
#define JWS_HEADER_MEMO_TEXT 512 /* base64url characters of a header worth remembering */

struct jws_header {
	int alg; /* enum jws_alg, or -1 for a name we never accept */
	bool has_kid;
	char kid[JWS_MAX_KID + 1];
};

struct jws_header_memo;

struct jws_header_memo *jws_header_memo_new(void); /* NULL: out of memory */
void jws_header_memo_free(struct jws_header_memo *m);

/* Decodes one base64url segment of a token into a JSON object (json_decref it); NULL when it is
 * not one (duplicate members refused). */
json_t *jws_segment_json(const char *text, size_t len);

/* Reads the header from its LEN base64url characters at TEXT: 0 with *h filled, or -1 when it is
 * not a JSON object with a string alg, a string kid (if any) of at most JWS_MAX_KID bytes without
 * NUL, and no crit. Safe from several threads. */
int jws_header_read(struct jws_header_memo *m, const char *text, size_t len, struct jws_header *h);

#endif
