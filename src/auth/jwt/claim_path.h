/* SPDX-License-Identifier: Apache-2.0 */
/* Claim paths of the jwt authenticator: `user_claim = PATH` and `attribute_claims = ENTRY ...`.
 * PATH is member names separated by '.', walking nested JSON objects (realm_access.roles); a
 * member name holding '.', '/', '=' or a space is written in double quotes ("https://x/roles").
 * ENTRY is PATH (the attribute is named after its last segment) or NAME=PATH. */
#ifndef NGD_AUTH_JWT_CLAIM_PATH_H
#define NGD_AUTH_JWT_CLAIM_PATH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CLAIM_PATH_MAX_SEGMENTS 8
#define CLAIM_PATH_MAX_TEXT 512

struct claim_path {
	char *text; /* owned: the segments, each NUL-terminated, one after the other */
	const char *segments[CLAIM_PATH_MAX_SEGMENTS];
	size_t n;
	char *source; /* owned: the path as configured, for messages */
};

struct claim_attr {
	const char *name; /* points into path.text (the last segment) or into name_text */
	char *name_text;  /* owned when the entry said NAME= */
	struct claim_path path;
};

/* Parses the PATH in TEXT[0..len) into P. 0, or -1 with why filled (P then holds nothing). */
int claim_path_parse(const char *text, size_t len, struct claim_path *p, char *why, size_t why_len);
/* Parses one ENTRY of attribute_claims. 0, or -1 with why filled. */
int claim_attr_parse(const char *text, size_t len, struct claim_attr *a, char *why, size_t why_len);
/* Splits LIST into entries at spaces, tabs and commas outside double quotes: calls ON_ENTRY for
 * each (stopping at its first non-zero return, which is returned); -1 with why for an unclosed
 * quote. */
int claim_list_split(const char *list, int (*on_entry)(const char *text, size_t len, void *arg),
		     void *arg, char *why, size_t why_len);
void claim_path_free(struct claim_path *p);
void claim_attr_free(struct claim_attr *a);

/* The JSON value at P in CLAIMS (borrowed), or NULL when a member is missing or a step crosses a
 * non-object; *found_type names the JSON type found there ("missing" when absent), or V's type. */
const json_t *claim_path_get(const struct claim_path *p, const json_t *claims,
			     const char **found_type);

/* The name of V's JSON type for messages: "string", "array", "object", "null", ... */
const char *claim_json_type(const json_t *v);

/* One value of an attribute as text: a string as is, true/false, an integer in decimal. Returns
 * the text (in BUF when converted), or NULL when V is of any other type. */
const char *claim_scalar_text(const json_t *v, char *buf, size_t buf_len);

#endif
