/* SPDX-License-Identifier: Apache-2.0 */
/* The sections of a configuration by kind and name: one hash table, so reading, checking and
 * finding stay linear in the file however many sections it has. */
#include "config/parser.h"

#include "core/names.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

uint64_t config_name_hash(unsigned kind, const char *name)
{
	return name_hash(name) ^ ((uint64_t)kind * 0x9e3779b97f4a7c15u);
}

/* Names come from the operator's file; a name a client asks for only probes what the file clusters.
 */
static size_t slot_of(const struct config *cfg, enum section_kind kind, const char *name)
{
	return (size_t)config_name_hash(kind, name) & cfg->index_mask;
}

static void place(struct config *cfg, struct config_index_slot slot)
{
	size_t i = slot_of(cfg, slot.kind, slot.head->name);
	while (cfg->index[i].head)
		i = (i + 1) & cfg->index_mask;
	cfg->index[i] = slot;
}

/* Doubles the table once it is half full; every section is placed again. */
static int grow(struct config *cfg)
{
	size_t old_slots = cfg->index ? cfg->index_mask + 1 : 0,
	       slots = old_slots ? 2 * old_slots : 64;
	struct config_index_slot *old = cfg->index, *fresh = calloc(slots, sizeof *fresh);
	if (!fresh)
		return -1;
	cfg->index = fresh;
	cfg->index_mask = slots - 1;
	for (size_t i = 0; i < old_slots; i++)
		if (old[i].head)
			place(cfg, old[i]);
	free(old);
	return 0;
}

int config_index_add(struct config *cfg, struct section_head *head, enum section_kind kind,
		     size_t pos)
{
	if ((!cfg->index || 2 * (cfg->n_indexed + 1) > cfg->index_mask + 1) && grow(cfg) < 0)
		return -1;
	place(cfg, (struct config_index_slot){head, kind, pos});
	cfg->n_indexed++;
	return 0;
}

const struct config_index_slot *config_index_find(const struct config *cfg, enum section_kind kind,
						  const char *name)
{
	if (!cfg->index || !name)
		return NULL;
	for (size_t i = slot_of(cfg, kind, name); cfg->index[i].head; i = (i + 1) & cfg->index_mask)
		if (cfg->index[i].kind == kind && strcmp(cfg->index[i].head->name, name) == 0)
			return &cfg->index[i];
	return NULL;
}
