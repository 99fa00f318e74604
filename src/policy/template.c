/* SPDX-License-Identifier: Apache-2.0 */
/* Templates: parsed into text and placeholder parts at load, rendered by concatenation. */
#include "policy/template.h"

#include "core/caps.h"
#include "core/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longer than any valid role or group: stop rendering there. */
#define RENDER_MAX NGD_MAX_ROLE_NAME

static const char *const role_prefixes[] = {"webpubsub.joinLeaveGroup.", "webpubsub.sendToGroup.",
					    "webpubsub.joinLeaveGroups.",
					    "webpubsub.sendToGroups."};

bool template_name_valid(enum template_kind kind, const char *name)
{
	return kind == TEMPLATE_ROLE ? role_valid(name) : group_name_valid(name);
}

static int add_part(struct template *t, int kind, const char *text, size_t len)
{
	struct template_part *grown = realloc(t->parts, (t->n_parts + 1) * sizeof *grown);
	if (!grown)
		return -1;
	t->parts = grown;
	char *copy = strndup(text, len);
	if (!copy)
		return -1;
	grown[t->n_parts++] = (struct template_part){kind, copy, len};
	return 0;
}

/* Appends literal text to the last text part (or a new one), unescaping "{{" and "}}". */
static int add_text(struct template *t, const char *text, size_t len)
{
	struct template_part *last = t->n_parts ? &t->parts[t->n_parts - 1] : NULL;
	if (!last || last->kind != PART_TEXT)
		return add_part(t, PART_TEXT, text, len);
	char *grown = realloc(last->text, last->len + len + 1);
	if (!grown)
		return -1;
	memcpy(grown + last->len, text, len);
	last->len += len;
	grown[last->len] = '\0';
	last->text = grown;
	return 0;
}

/* One "{...}" at s; returns its length, or 0 with a reason. */
static size_t placeholder(struct template *t, const char *s, char *why, size_t why_len)
{
	const char *close = strchr(s, '}');
	size_t len = close ? (size_t)(close - s) + 1 : 0;
	if (!close) {
		snprintf(why, why_len, "'{' opens no placeholder (write {{ for a literal brace)");
		return 0;
	}
	if (len == 6 && memcmp(s, "{user}", 6) == 0)
		return add_part(t, PART_USER, "", 0) == 0 ? len : 0;
	if (len > 7 && memcmp(s, "{attr:", 6) == 0 && !memchr(s + 6, '{', len - 7)) {
		if (t->attr &&
		    (strlen(t->attr) != len - 7 || memcmp(t->attr, s + 6, len - 7) != 0)) {
			snprintf(why, why_len,
				 "one {attr:NAME} per template (each value makes one name)");
			return 0;
		}
		if (add_part(t, PART_ATTR, s + 6, len - 7) < 0)
			return 0;
		t->attr = t->parts[t->n_parts - 1].text;
		return len;
	}
	snprintf(why, why_len,
		 "'%.*s' is not a placeholder ({user}, {attr:NAME}; {{ for a literal brace)",
		 (int)(len < 60 ? len : 60), s);
	return 0;
}

static int parse(struct template *t, const char *text, char *why, size_t why_len)
{
	for (const char *s = text; *s;) {
		size_t n = strcspn(s, "{}");
		if (n && add_text(t, s, n) < 0) {
			snprintf(why, why_len, "out of memory");
			return -1;
		}
		s += n;
		if (!*s)
			break;
		if (s[0] == s[1]) { /* "{{" or "}}" */
			if (add_text(t, s, 1) < 0) {
				snprintf(why, why_len, "out of memory");
				return -1;
			}
			s += 2;
		} else if (*s == '}') {
			snprintf(why, why_len,
				 "'}' closes no placeholder (write }} for a literal brace)");
			return -1;
		} else if ((n = placeholder(t, s, why, why_len)) == 0) {
			return -1;
		} else {
			s += n;
		}
	}
	return 0;
}

/* The role's kind (and so its power) must not depend on a caller's value. */
static int check_role_prefix(struct template *t, char *why, size_t why_len)
{
	const struct template_part *first = t->n_parts ? &t->parts[0] : NULL;
	for (size_t i = 0; i < 4; i++) {
		size_t n = strlen(role_prefixes[i]);
		if (first && first->kind == PART_TEXT && first->len >= n &&
		    memcmp(first->text, role_prefixes[i], n) == 0) {
			t->pattern = i >= 2;
			return 0;
		}
	}
	snprintf(why, why_len,
		 "placeholders may only follow a role's fixed part (webpubsub.joinLeaveGroup., "
		 "webpubsub.sendToGroup., webpubsub.joinLeaveGroups., webpubsub.sendToGroups.)");
	return -1;
}

static void invalid_name(enum template_kind kind, char *why, size_t why_len)
{
	snprintf(why, why_len, "%s",
		 kind == TEMPLATE_ROLE
			 ? "is not a Web PubSub role (webpubsub.joinLeaveGroup[.GROUP], "
			   "webpubsub.sendToGroup[.GROUP], webpubsub.joinLeaveGroups.PATTERN, "
			   "webpubsub.sendToGroups.PATTERN)"
			 : "is not a valid group name");
}

/* Renders with sample values: a template that cannot make a valid name for them is a typo. */
static int check_sample(const struct template *t, char *why, size_t why_len)
{
	struct buf b = {0};
	const char *reason = NULL;
	int rc = template_render(t, "u", "v", &b, &reason);
	if (rc < 0)
		invalid_name(t->kind, why, why_len);
	buf_free(&b);
	return rc;
}

/* No brace at all: the text is the name, with no parts to build and no sample to render (a
 * configuration of thousands of hubs compiles mostly these). */
static int compile_literal(struct template *out, char *why, size_t why_len)
{
	const char *name = out->source;
	out->literal = true;
	if (!*name)
		snprintf(why, why_len, "empty");
	else if (strlen(name) > RENDER_MAX || !template_name_valid(out->kind, name))
		invalid_name(out->kind, why, why_len);
	else
		return 0;
	template_clear(out);
	return -1;
}

int template_compile(const char *text, enum template_kind kind, struct template *out, char *why,
		     size_t why_len)
{
	*out = (struct template){.kind = kind, .source = strdup(text)};
	if (!out->source) {
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	if (text[strcspn(text, "{}")] == '\0')
		return compile_literal(out, why, why_len);
	if (parse(out, text, why, why_len) < 0)
		goto fail;
	out->literal = out->n_parts == 1 && out->parts[0].kind == PART_TEXT;
	if (out->literal &&
	    strcmp(out->parts[0].text, text) != 0) { /* "{{" unescaped: render it once */
		free(out->source);
		out->source = strdup(out->parts[0].text);
		out->literal = out->source != NULL;
	}
	if (!out->literal && kind == TEMPLATE_ROLE && check_role_prefix(out, why, why_len) < 0)
		goto fail;
	if (out->n_parts == 0 || check_sample(out, why, why_len) < 0) {
		if (out->n_parts == 0)
			snprintf(why, why_len, "empty");
		goto fail;
	}
	return 0;
fail:
	template_clear(out);
	return -1;
}

void template_clear(struct template *t)
{
	for (size_t i = 0; i < t->n_parts; i++)
		free(t->parts[i].text);
	free(t->parts);
	free(t->source);
	*t = (struct template){0};
}

/* A caller's value in a pattern role is matched literally: escape what patterns interpret. */
static void append_value(struct buf *out, const char *value, bool pattern)
{
	if (!pattern)
		return buf_puts(out, value);
	for (const char *s = value; *s; s++) {
		if (*s == '*' || *s == '?' || *s == '\\')
			buf_append(out, "\\", 1);
		buf_append(out, s, 1);
	}
}

int template_render(const struct template *t, const char *user, const char *attr_value,
		    struct buf *out, const char **why)
{
	size_t start = out->len;
	if (t->literal) /* compile_literal() makes no parts */
		buf_puts(out, t->source);
	for (size_t i = 0; !t->literal && i < t->n_parts && out->len - start <= RENDER_MAX; i++) {
		const struct template_part *p = &t->parts[i];
		if (p->kind == PART_TEXT)
			buf_append(out, p->text, p->len);
		else
			append_value(out, p->kind == PART_USER ? user : attr_value, t->pattern);
	}
	if (out->failed) {
		*why = "out of memory";
		return -1;
	}
	if (out->len - start > RENDER_MAX || !template_name_valid(t->kind, out->data + start)) {
		out->len = start;
		out->data[start] = '\0';
		*why = t->kind == TEMPLATE_ROLE ? "the result is not a valid role"
						: "the result is not a valid group name";
		return -1;
	}
	return 0;
}
