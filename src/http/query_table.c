/* SPDX-License-Identifier: Apache-2.0 */
/* The query table: one pass over libmicrohttpd's arguments per request, then lookups in order. */
#include "http/query_table.h"

#include <string.h>

void query_table_reset(struct query_table *t, struct MHD_Connection *conn)
{
	t->conn = conn;
	t->read = t->overflow = false;
	t->n = 0;
}

static enum MHD_Result keep_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	struct query_table *t = cls;
	(void)kind;
	if (t->n ==
	    HTTP_MAX_QUERY_ARGS) { /* on_uri cuts such a query: never expected, still correct */
		t->overflow = true;
		return MHD_NO;
	}
	t->args[t->n++] = (struct query_arg){key, value};
	return MHD_YES;
}

static void table_read(struct query_table *t)
{
	if (!t->read)
		MHD_get_connection_values(t->conn, MHD_GET_ARGUMENT_KIND, keep_arg, t);
	t->read = true;
}

const char *query_table_name_at(struct query_table *t, unsigned index)
{
	table_read(t);
	return index < t->n ? t->args[index].name : NULL;
}

/* Past the table's size: libmicrohttpd's own list, walked for this one name. */
struct arg_walk {
	const char *name;
	unsigned index; /* counts down to the wanted occurrence */
	unsigned count;
	const char *value;
	bool found;
};

static enum MHD_Result walk_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	struct arg_walk *w = cls;
	(void)kind;
	if (strcmp(key, w->name) != 0)
		return MHD_YES;
	w->count++;
	if (!w->found && w->index-- == 0)
		w->value = value, w->found = true;
	return MHD_YES;
}

/* The index-th occurrence of name (found tells whether there is one), and how many there are. */
static const char *nth(struct query_table *t, const char *name, unsigned index, unsigned *count,
		       bool *found)
{
	table_read(t);
	struct arg_walk w = {name, index, 0, NULL, false};
	if (t->overflow)
		MHD_get_connection_values(t->conn, MHD_GET_ARGUMENT_KIND, walk_arg, &w);
	else
		for (unsigned i = 0; i < t->n; i++)
			if (strcmp(t->args[i].name, name) == 0 && w.count++ == index)
				w.value = t->args[i].value, w.found = true;
	if (count)
		*count = w.count;
	*found = w.found;
	return w.value;
}

const char *query_table_first(struct query_table *t, const char *name, unsigned *count)
{
	bool found;
	return nth(t, name, 0, count, &found);
}

const char *query_table_at(struct query_table *t, const char *name, unsigned index)
{
	bool found;
	const char *value = nth(t, name, index, NULL, &found);
	return found && !value ? "" : value;
}
