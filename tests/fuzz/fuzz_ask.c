/* The client's ask as the pipeline reads it: a query string and a JSON body (the input is
 * QUERY, then optionally "\n\n" and BODY) through ask_read() and ask_check(). */
#include "core/names.h"
#include "fuzz.h"
#include "negotiate/ask_read.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 300 /* more than any list may hold, so that the caps are reached */

struct query {
	unsigned n;
	const char *name[MAX_ARGS], *value[MAX_ARGS]; /* value NULL: "name" without '=' */
};

static const char *query_at(void *conn, const char *name, unsigned index)
{
	const struct query *q = conn;
	for (unsigned i = 0, seen = 0; i < q->n; i++)
		if (strcmp(q->name[i], name) == 0 && seen++ == index)
			return q->value[i];
	return NULL;
}

static const char *query_first(void *conn, const char *name, unsigned *count)
{
	const struct query *q = conn;
	unsigned c = 0;
	for (unsigned i = 0; i < q->n; i++)
		c += strcmp(q->name[i], name) == 0;
	if (count)
		*count = c;
	return query_at(conn, name, 0);
}

static const char *no_header(void *conn, const char *name)
{
	(void)conn, (void)name;
	return NULL;
}

static void split_query(char *text, struct query *q)
{
	char *save = NULL;
	for (char *arg = strtok_r(text, "&", &save); arg && q->n < MAX_ARGS; arg = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(arg, '=');
		if (eq)
			*eq = '\0';
		q->name[q->n] = arg;
		q->value[q->n++] = eq ? eq + 1 : NULL;
	}
}

/* What ask_check() accepted holds to every cap and name rule; what it refused says why. */
static void check_outcome(int rc, const struct policy_ask *ask, const struct ask_refusal *why)
{
	if (rc < 0) {
		if ((strcmp(why->code, "invalid_parameter") != 0 && strcmp(why->code, "invalid_body") != 0) ||
		    !why->message[0])
			abort();
		return;
	}
	if (ask->n_roles > NGD_MAX_ROLES || ask->n_groups > NGD_MAX_GROUPS || ask->minutes > NGD_MAX_ASKED_MINUTES ||
	    (!ask->roles_asked && ask->n_roles) || (!ask->groups_asked && ask->n_groups))
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
	static struct query q; /* 4.8 KB: off the stack */
	q.n = 0;
	split_query(text, &q);
	struct ngd_request req = {.method = "POST", .path = "/negotiate"};
	req.src = (struct request_source){.header = no_header, .query = query_first, .query_at = query_at, .conn = &q};
	struct ask_text ask_text;
	struct policy_ask ask;
	struct ask_refusal why = {0};
	ask_read(&req, body, &ask_text);
	check_outcome(ask_check(&ask_text, &ask, &why), &ask, &why);
	json_decref(body);
	free(text);
	return 0;
}
