/* SPDX-License-Identifier: Apache-2.0 */
/* What the client asked for: roles, groups, a lifetime and a client protocol. The pipeline reads
 * them from the request (negotiate/ask_read.c) into a struct ask_text; ask_check() validates that
 * text, knowing nothing of HTTP, and yields the policy's struct policy_ask or a refusal. */
#ifndef NGD_ASK_H
#define NGD_ASK_H

#include "core/caps.h"
#include "policy/policy.h"

#include <stdbool.h>
#include <stddef.h>

#define NGD_MAX_ASKED_MINUTES 999999999u /* more is a typo, not a request to cap */
#define NGD_MAX_ASK_LIST (NGD_MAX_ROLES > NGD_MAX_GROUPS ? NGD_MAX_ROLES : NGD_MAX_GROUPS)

/* Where the client wrote an item: in the query (role=, group=, ...) or in a JSON body. */
enum ask_place { ASK_NOWHERE, ASK_IN_QUERY, ASK_IN_BODY };

/* A repeatable item as written; strings are borrowed from the request or the body. */
struct ask_list_text {
	enum ask_place place;
	bool in_both;	/* given in the query and in the body */
	bool not_array; /* the body's value is not an array */
	size_t count;	/* values given; items holds them only when count <= NGD_MAX_ASK_LIST */
	const char *items[NGD_MAX_ASK_LIST]; /* NULL: an empty query value, or a body value that is
						no string */
};

/* A single item as written. */
struct ask_value_text {
	enum ask_place place;
	bool repeated;	  /* given twice, under both of its names, or in both places */
	const char *text; /* the query's value or the body's string; NULL for a body value of
			     another type */
	bool is_integer;  /* the body's value is a JSON integer, in number */
	long long number;
};

struct ask_text {
	bool user_id_in_body;
	struct ask_list_text roles, groups;
	struct ask_value_text minutes;	/* expirationTimeInMinutes or minutesToExpire */
	struct ask_value_text protocol; /* clientProtocol */
};

/* Why an ask was refused: always a 400 with this stable code (invalid_parameter for the query,
 * invalid_body for the body) and a message that never echoes the client's text. */
struct ask_refusal {
	const char *code;
	char message[200];
};

/* Whether NAME is a query argument (IN_BODY false: hub, role, group, ...) or a body member (roles,
 * groups, ...) that negotiate reads; with the nearest known name of that place in *near when not.
 */
bool ask_parameter_known(const char *name, bool in_body, const char **near);
/* Whether NAME may be shown in a message: 1 to 40 of A-Z a-z 0-9 _ . - [ ]. */
bool ask_parameter_name_ok(const char *name);

/* Validates every name and caps every list. 0: out points into text (which must outlive it).
 * -1: why says what was wrong. */
int ask_check(const struct ask_text *text, struct policy_ask *out, struct ask_refusal *why);

#endif
