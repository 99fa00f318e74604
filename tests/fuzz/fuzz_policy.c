/* SPDX-License-Identifier: Apache-2.0 */
/* Role and group templates and rule matchers as the policy sections write them. The input is
 * lines: TEMPLATE, MATCHER, USER, ATTRIBUTE VALUE, then "name=value" attributes of the principal.
 */
#include "fuzz.h"
#include "policy/matcher.h"
#include "policy/template.h"

#include <stdlib.h>
#include <string.h>

static void render(const char *source, enum template_kind kind, const char *user, const char *value)
{
	struct template t = {0};
	char why[256] = "";
	if (template_compile(source, kind, &t, why, sizeof why) < 0) {
		if (!why[0])
			abort();
		return;
	}
	struct buf out = {0};
	const char *reason = NULL;
	if (template_render(&t, user, t.attr ? value : NULL, &out, &reason) == 0) {
		if (!out.data || !template_name_valid(kind, out.data))
			abort(); /* what renders is a valid name */
	} else if (!reason) {
		abort();
	}
	buf_free(&out);
	template_clear(&t);
}

static void match(const char *source, const struct principal *who)
{
	struct matcher m = {0};
	char why[256] = "";
	if (matcher_parse(source, &m, why, sizeof why) < 0) {
		if (!why[0])
			abort();
		return;
	}
	bool holds = matcher_holds(&m, who);
	if ((m.kind == MATCH_ANYONE && !holds) ||
	    (m.kind == MATCH_USER && holds != (strcmp(m.name, who->user_id) == 0)))
		abort();
	matcher_clear(&m);
}

static const char *next_line(char **rest)
{
	const char *line = strsep(rest, "\n");
	return line ? line : "";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *rest = text;
	const char *tpl = next_line(&rest), *matcher = next_line(&rest), *user = next_line(&rest);
	const char *value = next_line(&rest);
	static struct principal who;
	memset(&who, 0, sizeof who);
	if (strlen(user) <= NGD_MAX_USER_ID)
		strcpy(who.user_id, user);
	for (char *line; (line = strsep(&rest, "\n")) && who.n_attrs < NGD_MAX_ATTRIBUTES;) {
		char *eq = strchr(line, '=');
		if (eq)
			*eq = '\0', who.attrs[who.n_attrs++] = (struct attribute){line, eq + 1};
	}
	render(tpl, TEMPLATE_ROLE, who.user_id, value);
	render(tpl, TEMPLATE_GROUP, who.user_id, value);
	match(matcher, &who);
	free(text);
	return 0;
}
