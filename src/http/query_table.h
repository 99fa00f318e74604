/* SPDX-License-Identifier: Apache-2.0 */
/* A request's query arguments, read from libmicrohttpd once: each of its lookups walks every header
 * and argument of the request, and a negotiate request looks up eight names, most of them twice. */
#ifndef NGD_QUERY_TABLE_H
#define NGD_QUERY_TABLE_H

#include "http/http_guard.h"

#include <microhttpd.h>
#include <stdbool.h>

struct query_table {
	struct MHD_Connection *conn;
	bool read;     /* args holds the query of the request now on conn */
	bool overflow; /* more than HTTP_MAX_QUERY_ARGS: lookups ask libmicrohttpd instead */
	unsigned n;
	struct query_arg {
		const char *name, *value; /* in libmicrohttpd's pool; value NULL for "?name" */
	} args[HTTP_MAX_QUERY_ARGS];
};

/* A new request on conn: the table is read again at its first lookup (nothing is zeroed). */
void query_table_reset(struct query_table *t, struct MHD_Connection *conn);
/* The first value of name, and (count not NULL) how many times it is given. */
const char *query_table_first(struct query_table *t, const char *name, unsigned *count);
/* The index-th (from 0) value of name, "" when it has none, or NULL past the last. */
const char *query_table_at(struct query_table *t, const char *name, unsigned index);
/* The name of the index-th argument, or NULL past the last (or past the table's size). */
const char *query_table_name_at(struct query_table *t, unsigned index);

#endif
