/* SPDX-License-Identifier: Apache-2.0 */
/* The client's ask as the pipeline reads it: a query string and a JSON body (the input is
 * QUERY, then optionally "\n\n" and BODY) through ask_read() and ask_check(). */
#include "core/names.h"
#include "fake_request.h"
#include "fuzz.h"
#include "negotiate/ask_read.h"

#include <stdlib.h>
#include <string.h>

/* What ask_check() accepted holds to every cap and name rule; what it refused says why. */
static void check_outcome(int rc, const struct policy_ask *ask, const struct ask_refusal *why)
{
	if (rc < 0) {
		if ((strcmp(why->code, "invalid_parameter") != 0 &&
		     strcmp(why->code, "invalid_body") != 0) ||
		    !why->message[0])
			abort();
		return;
	}
	if (ask->n_roles > NGD_MAX_ROLES || ask->n_groups > NGD_MAX_GROUPS ||
	    ask->minutes > NGD_MAX_ASKED_MINUTES || (!ask->roles_asked && ask->n_roles) ||
	    (!ask->groups_asked && ask->n_groups))
		abort();
	for (size_t i = 0; i < ask->n_roles; i++)
		if (!role_valid(ask->roles[i]))
			abort();
	for (size_t i = 0; i < ask->n_groups; i++)
		if (!group_name_valid(ask->groups[i]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *sep = strstr(text, "\n\n");
	json_t *body = sep ? json_loads(sep + 2, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (sep)
		*sep = '\0';
	if (body && !json_is_object(body)) /* the pipeline refuses those before the ask is read */
		json_decref(body), body = NULL;
	struct fake_request *f = fake_request_headers((const uint8_t *)"", 0);
	if (!f)
		return json_decref(body), free(text), 0;
	fake_request_split_query(f, text);
	f->req.method = "POST";
	struct ask_text ask_text;
	struct policy_ask ask;
	struct ask_refusal why = {0};
	ask_read(&f->req, body, &ask_text);
	check_outcome(ask_check(&ask_text, &ask, &why), &ask, &why);
	json_decref(body);
	fake_request_free(f);
	free(text);
	return 0;
}
