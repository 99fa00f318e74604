/* SPDX-License-Identifier: Apache-2.0 */
/* See fake_request.h. */
#include "fake_request.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *header_of(void *conn, const char *name)
{
	const struct fake_request *f = conn;
	for (unsigned i = 0; i < f->n_headers; i++)
		if (strcasecmp(f->header_name[i], name) == 0)
			return f->header_value[i];
	return NULL;
}

static const char *query_at(void *conn, const char *name, unsigned index)
{
	const struct fake_request *f = conn;
	for (unsigned i = 0, seen = 0; i < f->n_args; i++)
		if (strcmp(f->arg_name[i], name) == 0 && seen++ == index)
			return f->arg_value[i];
	return NULL;
}

static const char *query_name_at(void *conn, unsigned index)
{
	const struct fake_request *f = conn;
	return index < f->n_args ? f->arg_name[index] : NULL;
}

static const char *query_first(void *conn, const char *name, unsigned *count)
{
	const struct fake_request *f = conn;
	unsigned c = 0;
	for (unsigned i = 0; i < f->n_args; i++)
		c += strcmp(f->arg_name[i], name) == 0;
	if (count)
		*count = c;
	return query_at(conn, name, 0);
}

void fake_request_split_query(struct fake_request *f, char *query)
{
	char *save = NULL;
	for (char *arg = strtok_r(query, "&", &save); arg && f->n_args < FAKE_MAX_ARGS;
	     arg = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(arg, '=');
		if (eq)
			*eq = '\0';
		f->arg_name[f->n_args] = arg;
		f->arg_value[f->n_args++] = eq ? eq + 1 : NULL;
	}
}

/* "Name: value" lines up to an empty line or the end; returns what follows the empty line, or "".
 */
static char *split_headers(struct fake_request *f, char *text)
{
	char *rest = text, *line;
	while ((line = strsep(&rest, "\n")) && *line) {
		char *colon = strchr(line, ':');
		if (!colon || f->n_headers == FAKE_MAX_HEADERS)
			continue;
		*colon = '\0';
		f->header_name[f->n_headers] = line;
		f->header_value[f->n_headers++] = colon + 1 + strspn(colon + 1, " ");
	}
	return rest ? rest : "";
}

static struct fake_request *fake_new(const uint8_t *data, size_t size)
{
	struct fake_request *f = calloc(1, sizeof *f);
	if (f && !(f->text = malloc(size + 1)))
		free(f), f = NULL;
	if (!f)
		return NULL;
	memcpy(f->text, data, size);
	f->text[size] = '\0';
	f->req = (struct ngd_request){.method = "GET", .path = "/negotiate", .body = ""};
	f->req.src = (struct request_source){header_of, query_first, query_at, f, query_name_at};
	return f;
}

struct fake_request *fake_request_headers(const uint8_t *data, size_t size)
{
	struct fake_request *f = fake_new(data, size);
	if (f)
		split_headers(f, f->text);
	return f;
}

struct fake_request *fake_request_parse(const uint8_t *data, size_t size)
{
	struct fake_request *f = fake_new(data, size);
	if (!f)
		return NULL;
	char *rest = f->text, *line = strsep(&rest, "\n"), *target = strchr(line, ' ');
	if (target) {
		*target++ = '\0';
		char *query = strchr(target, '?');
		if (query)
			*query++ = '\0', fake_request_split_query(f, query);
		f->req.method = line, f->req.path = target;
	}
	const char *body = rest ? split_headers(f, rest) : "";
	f->req.body = body;
	/* NUL bytes in a body count, as on the wire */
	f->req.body_len =
		body >= f->text && body <= f->text + size ? (size_t)(f->text + size - body) : 0;
	return f;
}

void fake_request_free(struct fake_request *f)
{
	if (f)
		free(f->text);
	free(f);
}
