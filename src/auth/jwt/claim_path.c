/* SPDX-License-Identifier: Apache-2.0 */
/* Claim paths: parsed once at load into segments, walked per token with one lookup per segment. */
#include "auth/jwt/claim_path.h"

#include "core/caps.h"
#include "core/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool unquoted_char_ok(char c)
{
	return (unsigned char)c > ' ' && c != '/' && c != '"' && c != '=' && c != '.' && c != ',' &&
	       c != 0x7f;
}

/* Reads one segment at TEXT[*i]: copies it to *dst and NUL-terminates it. 0, or -1 with why. */
static int read_segment(const char *text, size_t len, size_t *i, char **dst, char *why,
			size_t why_len)
{
	size_t start = *i, end;
	if (text[start] == '"') {
		const char *close = memchr(text + start + 1, '"', len - start - 1);
		if (!close) {
			snprintf(why, why_len, "a quoted member name is not closed");
			return -1;
		}
		end = (size_t)(close - text);
		start++;
		*i = end + 1;
	} else {
		for (end = start; end < len && unquoted_char_ok(text[end]); end++)
			;
		if (end < len && text[end] != '.') {
			snprintf(why, why_len,
				 "'%c' in a member name: write that name in double quotes "
				 "(\"https://x/roles\")",
				 text[end]);
			return -1;
		}
		*i = end;
	}
	if (end == start) {
		snprintf(why, why_len, "an empty member name (two dots, or a dot at an end)");
		return -1;
	}
	memcpy(*dst, text + start, end - start);
	(*dst)[end - start] = '\0';
	*dst += end - start + 1;
	return 0;
}

int claim_path_parse(const char *text, size_t len, struct claim_path *p, char *why, size_t why_len)
{
	*p = (struct claim_path){0};
	if (len == 0 || len > CLAIM_PATH_MAX_TEXT) {
		snprintf(why, why_len, "a claim path is 1 to %d bytes", CLAIM_PATH_MAX_TEXT);
		return -1;
	}
	p->text = malloc(len + 1);
	p->source = strndup(text, len);
	if (!p->text || !p->source) {
		claim_path_free(p);
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	char *dst = p->text;
	for (size_t i = 0;;) {
		if (p->n == CLAIM_PATH_MAX_SEGMENTS) {
			claim_path_free(p);
			snprintf(why, why_len, "at most %d member names in a path",
				 CLAIM_PATH_MAX_SEGMENTS);
			return -1;
		}
		p->segments[p->n] = dst;
		if (read_segment(text, len, &i, &dst, why, why_len) < 0) {
			claim_path_free(p);
			return -1;
		}
		if (!text_valid(p->segments[p->n++], NGD_MAX_ATTRIBUTE)) {
			claim_path_free(p);
			snprintf(why, why_len, "a member name is not valid text");
			return -1;
		}
		if (i == len)
			return 0;
		if (text[i] != '.') {
			claim_path_free(p);
			snprintf(why, why_len,
				 "a quoted member name must be followed by '.' or the end");
			return -1;
		}
		if (++i == len) {
			claim_path_free(p);
			snprintf(why, why_len, "the path ends with a dot");
			return -1;
		}
	}
}

/* NAME of NAME=PATH: [a-z0-9_-], like rule names. */
static bool attr_name_ok(const char *s, size_t len)
{
	if (len == 0 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

int claim_attr_parse(const char *text, size_t len, struct claim_attr *a, char *why, size_t why_len)
{
	*a = (struct claim_attr){0};
	size_t head = 0; /* an '=' before any quote separates NAME from PATH */
	while (head < len && text[head] != '"' && text[head] != '=')
		head++;
	if (head < len && text[head] == '=') {
		if (!attr_name_ok(text, head)) {
			snprintf(why, why_len,
				 "'%.*s': the NAME of NAME=PATH is 1 to 64 of a-z 0-9 _ -",
				 (int)(head > 64 ? 64 : head), text);
			return -1;
		}
		if (!(a->name_text = strndup(text, head))) {
			snprintf(why, why_len, "out of memory");
			return -1;
		}
		if (claim_path_parse(text + head + 1, len - head - 1, &a->path, why, why_len) < 0) {
			claim_attr_free(a);
			return -1;
		}
		a->name = a->name_text;
		return 0;
	}
	if (claim_path_parse(text, len, &a->path, why, why_len) < 0)
		return -1;
	a->name = a->path.segments[a->path.n - 1];
	return 0;
}

int claim_list_split(const char *list, int (*on_entry)(const char *text, size_t len, void *arg),
		     void *arg, char *why, size_t why_len)
{
	for (const char *p = list; *p;) {
		p += strspn(p, " \t,");
		if (!*p)
			break;
		const char *start = p;
		bool quoted = false;
		for (; *p && (quoted || !strchr(" \t,", *p)); p++)
			if (*p == '"')
				quoted = !quoted;
		if (quoted) {
			snprintf(why, why_len, "a double quote is not closed");
			return -1;
		}
		int rc = on_entry(start, (size_t)(p - start), arg);
		if (rc)
			return rc;
	}
	return 0;
}

void claim_path_free(struct claim_path *p)
{
	free(p->text);
	free(p->source);
	*p = (struct claim_path){0};
}

void claim_attr_free(struct claim_attr *a)
{
	claim_path_free(&a->path);
	free(a->name_text);
	*a = (struct claim_attr){0};
}

const char *claim_json_type(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "unknown";
}

const json_t *claim_path_get(const struct claim_path *p, const json_t *claims,
			     const char **found_type)
{
	const json_t *v = claims;
	for (size_t i = 0; i < p->n; i++) {
		if (!json_is_object(v)) {
			*found_type = claim_json_type(v);
			return NULL;
		}
		if (!(v = json_object_get(v, p->segments[i]))) {
			*found_type = "missing";
			return NULL;
		}
	}
	*found_type = claim_json_type(v);
	return v;
}

const char *claim_scalar_text(const json_t *v, char *buf, size_t buf_len)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_true(v))
		return "true";
	if (json_is_false(v))
		return "false";
	if (json_is_integer(v)) {
		snprintf(buf, buf_len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	return NULL;
}
