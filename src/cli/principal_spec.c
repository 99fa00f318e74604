/* SPDX-License-Identifier: Apache-2.0 */
/* The --as syntax, checked with the same builders authenticators use. */
#include "cli/principal_spec.h"

#include <stdio.h>
#include <string.h>

static int item(char *text, struct ngd_outcome *out, char *why, size_t why_len)
{
	char *eq = strchr(text, '=');
	if (strncmp(text, "user=", 5) == 0)
		return ngd_outcome_set_user(out, text + 5) == 0
			       ? 0
			       : (snprintf(why, why_len, "'%.80s': not a valid user id", text), -1);
	if (strncmp(text, "auth=", 5) == 0 && text[5]) {
		out->principal.authenticator = text + 5;
		return 0;
	}
	if (strncmp(text, "attr:", 5) == 0 && eq && eq > text + 5) {
		*eq = '\0';
		if (ngd_outcome_add_attribute(out, text + 5, eq + 1) == 0)
			return 0;
		*eq = '=';
		snprintf(why, why_len, "'%.80s': invalid attribute, or more than 32", text);
		return -1;
	}
	snprintf(why, why_len, "'%.80s' is not user=ID, auth=NAME or attr:NAME=VALUE", text);
	return -1;
}

int principal_spec_parse(char *spec, struct ngd_outcome *out, char *why, size_t why_len)
{
	char *save = NULL;
	for (char *t = strtok_r(spec, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (item(t, out, why, why_len) < 0)
			return -1;
	if (!out->principal.user_id[0]) {
		snprintf(why, why_len, "user=ID is required: every admitted caller has a user id");
		return -1;
	}
	return 0;
}
