/* SPDX-License-Identifier: Apache-2.0 */
/* The service's rules for hub names, group names, user ids and roles
 * (shared/reference/token-contract.md, "Names" and "Roles"). */
#ifndef NGD_NAMES_H
#define NGD_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The hub rule in words, for error messages. */
#define HUB_NAME_RULE "a letter, then up to 127 of A-Z a-z 0-9 _ ` , . [ ]"

bool hub_name_valid(const char *s);
bool group_name_valid(const char *s);
bool user_id_valid(const char *s);
/* Non-empty, bounded, UTF-8, no control characters: safe to log and to put in a token. */
bool text_valid(const char *s, unsigned max_bytes);
/* Known role forms only: a typo must not pass as a role that grants nothing. */
bool role_valid(const char *s);
/* 1 for webpubsub.joinLeaveGroups.PATTERN, 2 for webpubsub.sendToGroups.PATTERN, else 0. */
int role_pattern_kind(const char *s);
/* The pattern-role prefix of which the list holds more than NGD_MAX_PATTERN_ROLES, or NULL. */
const char *roles_over_pattern_cap(const char *const *roles, size_t n);
/* How many single-byte edits (insert, delete, replace, swap of neighbours) turn A into B, counted
 * up to 3 (3 means "3 or more"); for "did you mean" hints, never on the request path. */
unsigned name_distance(const char *a, const char *b);
/* The nearest of N CANDIDATES to NAME when close enough to be a typo of it (1 edit, 2 for names of
 * 6 bytes or more), else NULL. */
const char *name_nearest(const char *name, const char *const *candidates, size_t n);

/* FNV-1a, for tables of configured names and of a grant's names (what a client chooses is looked
 * up, never inserted, except into a table bounded by its caps). */
uint64_t name_hash(const char *s);

#endif
