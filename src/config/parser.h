/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the configuration reader: the key table, the parser's state and the three stages
 * (reader.c reads lines and sections, keys.c stores values, check.c checks the whole file).
 * Nothing outside src/config/ includes this. */
#ifndef NGD_CONFIG_PARSER_H
#define NGD_CONFIG_PARSER_H

#include "config/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum section_kind {
	KIND_SERVER,
	KIND_SERVICE,
	KIND_HUB,
	KIND_AUTH,
	KIND_RULE,
	KIND_STORE,
	N_KINDS
};
enum key_type {
	KEY_STRING,
	KEY_SECRET,
	KEY_UINT,
	KEY_LIST,
	KEY_PROTOCOL,
	KEY_LOG_LEVEL,
	KEY_CHOICE,
	KEY_BOOL,
	KEY_RATE,
	KEY_MS /* "250ms", "1s": unsigned milliseconds */
};

struct key_spec {
	enum section_kind kind;
	const char *name;
	enum key_type type;
	size_t offset;
	unsigned min, max; /* KEY_CHOICE: max indexes choices[] */
	bool restart;	   /* applied only at start: a reload keeps the running value and says so */
};

#define PARSER_MAX_ERRORS 20
#define PARSER_MAX_ERROR_TEXT 4096 /* less than PARSER_ERRORS_TEXT */

extern const char *const kind_names[N_KINDS]; /* "server", "service", ... */

struct parser {
	struct config *cfg;
	const char *source; /* the text left to read */
	int line;
	enum section_kind kind;
	struct section_head *section; /* NULL before the first section */
	bool continuation;	      /* the current line is indented under a key */
	const struct key_spec *last_key;
	bool skipping; /* the section header was refused: its keys are not read */
	bool stop;     /* nothing more can be read (a line too long, out of memory) */
	unsigned n_errors;
	char err[PARSER_MAX_ERROR_TEXT];
};

/* Adds an error as a line "FILE:LINE: KEY: message" (KEY may be NULL) to p->err: every error of the
 * file is reported in one run, up to PARSER_MAX_ERRORS of them. */
void parser_error(struct parser *p, int line, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The key NAME of a section kind, with its position (its bit in section_head.seen) in *idx. */
const struct key_spec *key_find(enum section_kind kind, const char *name, int *idx);
/* The known key of that section kind NAME is likely a typo of, or NULL. */
const char *key_nearest(enum section_kind kind, const char *name);
/* A key's position among its section kind's keys, or -1. */
int key_index(enum section_kind kind, const char *key);
/* Stores value into the current section's field for k. 0, or -1 after parser_error(). */
int key_set_value(struct parser *p, const struct key_spec *k, const char *value);
/* Appends value's blank-separated words, at most max in all. 0, or -1 (memory or too many). */
int strlist_append(struct strlist *list, const char *value, unsigned max);

/* A hash of a name within a kind, for the tables of sections and keys. */
uint64_t config_name_hash(unsigned kind, const char *name);
/* Indexes a named section (its name set) at pos in its kind's array. 0, or -1 when out of memory.
 */
int config_index_add(struct config *cfg, struct section_head *head, enum section_kind kind,
		     size_t pos);
/* The index's slot for the section of that kind and name, or NULL. */
const struct config_index_slot *config_index_find(const struct config *cfg, enum section_kind kind,
						  const char *name);

/* Reads the whole text into p->cfg (stage 1 and 2); a line in error is left out and reading goes
 * on. */
void parser_read(struct parser *p);
/* Checks what no single line can (stage 3): references, templates, matchers, origins. */
void parser_check(struct parser *p);

#endif
