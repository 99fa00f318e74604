/* SPDX-License-Identifier: Apache-2.0 */
/* Conditions: parsed at load, compared byte for byte per request (no regex on the hot path). */
#include "policy/matcher.h"

#include "core/caps.h"
#include "core/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_attr(const char *spec, struct matcher *out, char *why, size_t why_len)
{
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec || !eq[1]) {
		snprintf(why, why_len, "'attr:%.80s' must be attr:NAME=VALUE", spec);
		return -1;
	}
	out->name = strndup(spec, (size_t)(eq - spec));
	out->value = strdup(eq + 1);
	if (!out->name || !out->value) {
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	if (!text_valid(out->name, NGD_MAX_ATTRIBUTE) ||
	    !text_valid(out->value, NGD_MAX_ATTRIBUTE)) {
		snprintf(why, why_len, "'attr:%.80s': name or value is not valid text", spec);
		return -1;
	}
	return 0;
}

int matcher_parse(const char *text, struct matcher *out, char *why, size_t why_len)
{
	*out = (struct matcher){.source = text};
	int rc = -1;
	if (strcmp(text, "anyone") == 0) {
		out->kind = MATCH_ANYONE;
		rc = 0;
	} else if (strncmp(text, "user:", 5) == 0) {
		out->kind = MATCH_USER;
		out->name = strdup(text + 5);
		if (out->name && user_id_valid(out->name))
			rc = 0;
		else
			snprintf(why, why_len, "'%.80s': the user id is not valid", text);
	} else if (strncmp(text, "auth:", 5) == 0) {
		out->kind = MATCH_AUTH;
		out->name = strdup(text + 5);
		rc = out->name && *out->name
			     ? 0
			     : (snprintf(why, why_len, "'auth:' names no [auth:NAME]"), -1);
	} else if (strncmp(text, "attr:", 5) == 0) {
		out->kind = MATCH_ATTR;
		rc = parse_attr(text + 5, out, why, why_len);
	} else {
		snprintf(why, why_len,
			 "'%.80s' is not a condition (anyone, user:ID, attr:NAME=VALUE, auth:NAME)",
			 text);
	}
	if (rc < 0)
		matcher_clear(out);
	return rc;
}

static bool listed(char *const *names, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
			return true;
	return false;
}

/* 0 when the bind's copy was made, else -1 "out of memory". */
static int value_or_out_of_memory(const struct matcher *m, char *why, size_t why_len)
{
	if (m->value)
		return 0;
	snprintf(why, why_len, "out of memory");
	return -1;
}

int matcher_bind_user(struct matcher *m, const char *hub, char *const *auths, size_t n, char *why,
		      size_t why_len)
{
	if (m->kind != MATCH_USER || m->value)
		return 0;
	const char *slash = strchr(m->name, '/');
	size_t len = slash ? (size_t)(slash - m->name) : 0;
	if (slash && listed(auths, n, m->name, len) && slash[1]) {
		m->value = strndup(m->name, len);
		memmove(m->name, slash + 1, strlen(slash + 1) + 1);
		return value_or_out_of_memory(m, why, why_len);
	}
	if (n != 1) {
		snprintf(why, why_len,
			 "'%.80s' on hub %s, which has %zu authenticators that could each admit "
			 "that id: say "
			 "which, as user:%s/%.80s",
			 m->source, hub, n, n ? auths[0] : "AUTH", m->name);
		return -1;
	}
	m->value = strdup(auths[0]);
	return value_or_out_of_memory(m, why, why_len);
}

void matcher_clear(struct matcher *m)
{
	free(m->name);
	free(m->value);
	m->name = m->value = NULL;
}

int matcher_copy(const struct matcher *from, struct matcher *out)
{
	*out = (struct matcher){.kind = from->kind, .source = from->source};
	out->name = from->name ? strdup(from->name) : NULL;
	out->value = from->value ? strdup(from->value) : NULL;
	if ((from->name && !out->name) || (from->value && !out->value)) {
		matcher_clear(out);
		return -1;
	}
	return 0;
}

bool matcher_holds(const struct matcher *m, const struct principal *who)
{
	switch (m->kind) {
	case MATCH_ANYONE: return true;
	case MATCH_USER: /* ids are per authenticator: an IdP's "admin" is not the API key user
			    "admin" */
		return strcmp(who->user_id, m->name) == 0 &&
		       (!m->value ||
			(who->authenticator && strcmp(who->authenticator, m->value) == 0));
	case MATCH_AUTH: return who->authenticator && strcmp(who->authenticator, m->name) == 0;
	case MATCH_ATTR:
		for (size_t i = 0; i < who->n_attrs;
		     i++) /* "*": any value, so templates over it never come up empty */
			if (strcmp(who->attrs[i].name, m->name) == 0 &&
			    (strcmp(m->value, "*") == 0 ||
			     strcmp(who->attrs[i].value, m->value) == 0))
				return true;
		return false;
	}
	return false;
}
