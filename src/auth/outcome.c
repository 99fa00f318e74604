/* SPDX-License-Identifier: Apache-2.0 */
/* What an authenticator says about a caller: the ngd_outcome_* calls of the plugin ABI, every value
 * copied and checked. */
#include "auth/outcome.h"

#include "core/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ngd_outcome_set_user(struct ngd_outcome *out, const char *user_id)
{
	if (!user_id || !user_id_valid(user_id))
		return -1;
	snprintf(out->principal.user_id, sizeof out->principal.user_id, "%s", user_id);
	return 0;
}

int ngd_outcome_add_attribute(struct ngd_outcome *out, const char *name, const char *value)
{
	struct principal *p = &out->principal;
	if (p->n_attrs == NGD_MAX_ATTRIBUTES || !name || !value ||
	    !text_valid(name, NGD_MAX_ATTRIBUTE) || !text_valid(value, NGD_MAX_ATTRIBUTE))
		return -1;
	struct attribute a = {strdup(name), strdup(value)};
	if (!a.name || !a.value) {
		free(a.name);
		free(a.value);
		return -1;
	}
	p->attrs[p->n_attrs++] = a;
	return 0;
}

/* A stable error code: what a client and the audit line may be shown of a plugin's refusal. */
static bool deny_code_valid(const char *code)
{
	size_t len = code ? strnlen(code, NGD_MAX_DENY_CODE + 1) : 0;
	return len > 0 && len <= NGD_MAX_DENY_CODE &&
	       strspn(code, "abcdefghijklmnopqrstuvwxyz_") == len;
}

/* Everything is copied and checked: a plugin may pass stack buffers, NULL or garbage. */
void ngd_outcome_deny(struct ngd_outcome *out, int status, const char *code, const char *message)
{
	bool code_ok = deny_code_valid(code);
	out->deny_status = status == 403 ? 403 : 401;
	snprintf(out->deny_code, sizeof out->deny_code, "%s",
		 code_ok ? code : "invalid_credentials");
	if (code_ok && message && text_valid(message, sizeof out->deny_message - 1))
		snprintf(out->deny_message, sizeof out->deny_message, "%s", message);
	else
		snprintf(out->deny_message, sizeof out->deny_message,
			 "the credentials were not accepted");
}

void outcome_clear(struct ngd_outcome *out)
{
	for (size_t i = 0; i < out->principal.n_attrs; i++) {
		free(out->principal.attrs[i].name);
		free(out->principal.attrs[i].value);
	}
	/* reset what is read, not the whole 2 KiB: it runs on every request */
	out->principal.n_attrs = 0;
	out->principal.user_id[0] = '\0';
	out->principal.authenticator = NULL;
	out->deny_status = 0;
	out->deny_code[0] = '\0';
	out->deny_message[0] = '\0';
}
