/* SPDX-License-Identifier: Apache-2.0 */
/* Role and group templates: "webpubsub.sendToGroup.user-{user}", "team-{attr:team}".
 * Compiled once at start; rendered per request without parsing. */
#ifndef NGD_TEMPLATE_H
#define NGD_TEMPLATE_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>

enum template_kind { TEMPLATE_ROLE, TEMPLATE_GROUP };

struct template_part {
	enum { PART_TEXT, PART_USER, PART_ATTR } kind;
	char *text; /* PART_TEXT: the literal; PART_ATTR: the attribute's name */
	size_t len;
};

struct template
{
	char *source; /* as written, for messages and explain */
	enum template_kind kind;
	struct template_part *parts;
	size_t n_parts;
	const char *attr; /* the one {attr:NAME} it uses (borrowed from parts), or NULL */
	bool literal;	  /* no placeholder: source is the rendered name */
	bool pattern;	  /* a pattern role: substituted values are escaped, so '*' stays literal */
};

/* Compiles and validates text ("{{" and "}}" are literal braces). 0, or -1 with a reason. */
int template_compile(const char *text, enum template_kind kind, struct template *out, char *why,
		     size_t why_len);
void template_clear(struct template *t);
/* Appends the name for this user and attribute value (NULL when the template uses none) to out.
 * 0, or -1 with a reason (no secret in it) when the result is not a valid role or group name. */
int template_render(const struct template *t, const char *user, const char *attr_value,
		    struct buf *out, const char **why);
/* The name rule for a rendered role or group. */
bool template_name_valid(enum template_kind kind, const char *name);

#endif
