/* SPDX-License-Identifier: Apache-2.0 */
/* An [auth:NAME] section as an authenticator reads it (the ngd_section_* calls of the plugin ABI):
 * its keys, the ones it asked for, and its first error. */
#include "config/config.h"

#include "core/names.h"

#include <negotiated/authenticator.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ngd_section_name(const struct ngd_section *sec)
{
	return sec->head.name;
}

/* Remembers KEY as one the authenticator knows, for a hint at an unknown key. */
static void remember_asked(struct ngd_section *sec, const char *key)
{
	if (sec->n_asked == AUTH_MAX_ASKED || strlen(key) >= sizeof sec->asked[0])
		return;
	for (unsigned i = 0; i < sec->n_asked; i++)
		if (strcmp(sec->asked[i], key) == 0)
			return;
	strcpy(sec->asked[sec->n_asked++], key);
}

const char *ngd_section_get(struct ngd_section *sec, const char *key)
{
	remember_asked(sec, key);
	for (size_t i = 0; i < sec->n_entries; i++)
		if (strcmp(sec->entries[i].key, key) == 0) {
			sec->entries[i].used = true;
			return sec->entries[i].value;
		}
	return NULL;
}

/* The key the authenticator asked for that KEY is likely a typo of, or NULL. */
static const char *asked_nearest(const struct ngd_section *sec, const char *key)
{
	const char *names[AUTH_MAX_ASKED];
	for (unsigned i = 0; i < sec->n_asked; i++)
		names[i] = sec->asked[i];
	return name_nearest(key, names, sec->n_asked);
}

/* A key nobody asked for that is one typo away from one asked for: added to ERR as a line of its
 * own, since a missing required key (its correct spelling) is the error create() reported. */
void section_add_typo_hints(const struct ngd_section *sec, char *err, size_t err_len)
{
	for (size_t i = 0; i < sec->n_entries; i++) {
		const char *near =
			sec->entries[i].used ? NULL : asked_nearest(sec, sec->entries[i].key);
		size_t used = strnlen(err, err_len);
		if (near)
			snprintf(err + used, err_len - used,
				 "\n%s:%d: %s: unknown key; did you mean %s?", sec->file,
				 sec->entries[i].line, sec->entries[i].key, near);
	}
}

void ngd_section_error(struct ngd_section *sec, const char *key, const char *fmt, ...)
{
	char message[1024]; /* room for a path named twice (FILE_ERROR_TEXT) and a hint */
	int line = sec->head.line;
	va_list ap;
	if (sec->error)
		return;
	for (size_t i = 0; key && i < sec->n_entries; i++)
		if (strcmp(sec->entries[i].key, key) == 0)
			line = sec->entries[i].line;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	if (asprintf(&sec->error, "%s:%d: %s: %s", sec->file, line, key ? key : "type", message) <
	    0)
		sec->error = NULL;
}

int section_check_unused(struct ngd_section *sec, const char *type)
{
	for (size_t i = 0; i < sec->n_entries; i++)
		if (!sec->entries[i].used) {
			const char *near = asked_nearest(sec, sec->entries[i].key);
			ngd_section_error(sec, sec->entries[i].key, "unknown key for type %s%s%s%s",
					  type, near ? "; did you mean " : "", near ? near : "",
					  near ? "?" : "");
			return -1;
		}
	return 0;
}

/* "anonymous, apikey, ..., plugin" from the table, so that the message never falls behind it. */
