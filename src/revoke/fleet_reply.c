/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the revocation list's replies; nothing here trusts a length, a kind or a count. */
#include "revoke/fleet_reply.h"

#include "revoke/state_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fleet_field(const char *user, const char *hub, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s\n%s", user, hub);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static bool is_text(const redisReply *r, const char *text)
{
	size_t len = strlen(text);
	return r && r->type == REDIS_REPLY_STRING && r->len == len &&
	       memcmp(r->str, text, len) == 0;
}

static int read_version(const redisReply *r, long long *version)
{
	char text[24], *end = NULL;
	if (r->type == REDIS_REPLY_NIL) {
		*version = -1;
		return 0;
	}
	if (r->type == REDIS_REPLY_INTEGER && r->integer >= 0) {
		*version = r->integer;
		return 0;
	}
	if (r->type != REDIS_REPLY_STRING || r->len == 0 || r->len >= sizeof text)
		return -1;
	memcpy(text, r->str, r->len);
	text[r->len] = '\0';
	*version = strtoll(text, &end, 10);
	return *end || *version < 0 ? -1 : 0;
}

bool fleet_prune_due(time_t expires_at, time_t now)
{
	return expires_at > 0 && now - FLEET_PRUNE_MARGIN_S >= expires_at;
}

static void note_due(struct fleet_prune *prune, size_t field, time_t expires_at)
{
	if (prune->n == FLEET_PRUNE_BATCH) {
		prune->more++;
		return;
	}
	prune->due[prune->n].field = field;
	prune->due[prune->n++].expires_at = expires_at;
}

/* One field and value into STAGED (*e: the entry): 0, or -1 with what is wrong in why. */
static int read_pair(const redisReply *field, const redisReply *value, struct revocations *staged,
		     time_t now, struct revocation *e, char *why, size_t why_len)
{
	char expected[NGD_MAX_USER_ID + NGD_MAX_HUB_NAME + 2];
	if (field->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING ||
	    value->len > STATE_FILE_MAX_LINE) {
		snprintf(why, why_len, "not a field and a value of at most %d bytes",
			 STATE_FILE_MAX_LINE);
		return -1;
	}
	if (state_file_parse_line(value->str, value->len, e, why, why_len) < 0)
		return -1;
	if (fleet_field(e->user, e->hub, expected, sizeof expected) < 0 ||
	    !is_text(field, expected)) {
		snprintf(why, why_len, "the field does not name the entry's user and hub");
		return -1;
	}
	return revocations_load_one(staged, e, now, why, why_len);
}

int fleet_reply_snapshot(const redisReply *r, struct revocations *staged, time_t now,
			 long long *version, struct fleet_prune *prune, char *err, size_t err_len)
{
	char why[256];
	struct revocation e;
	if (prune) /* a refused read removes nothing */
		prune->n = prune->more = 0;
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    read_version(r->element[0], version) < 0 || r->element[1]->type != REDIS_REPLY_ARRAY ||
	    r->element[1]->elements % 2) {
		snprintf(err, err_len,
			 "the full read's reply is not {version, {field, value, ...}}");
		return -1;
	}
	const redisReply *pairs = r->element[1];
	for (size_t i = 0; i + 1 < pairs->elements; i += 2) {
		if (read_pair(pairs->element[i], pairs->element[i + 1], staged, now, &e, why,
			      sizeof why) < 0) {
			snprintf(err, err_len, "entry %zu of the store's list: %s", i / 2 + 1, why);
			if (prune)
				prune->n = prune->more = 0;
			return -1;
		}
		if (prune && fleet_prune_due(e.expires_at, now))
			note_due(prune, i, e.expires_at);
	}
	revocations_loaded(staged);
	return 0;
}

enum fleet_push fleet_reply_push(const redisReply *r, const char *channel)
{
	if (r && r->type == REDIS_REPLY_STATUS && r->len == 4 && memcmp(r->str, "PONG", 4) == 0)
		return FLEET_PUSH_PONG;
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 2)
		return FLEET_PUSH_OTHER;
	if (r->elements == 2 && is_text(r->element[0], "pong"))
		return FLEET_PUSH_PONG;
	if (r->elements != 3 || !is_text(r->element[1], channel))
		return FLEET_PUSH_OTHER;
	if (is_text(r->element[0], "message") && r->element[2]->type == REDIS_REPLY_STRING)
		return FLEET_PUSH_MESSAGE;
	if (is_text(r->element[0], "subscribe") && r->element[2]->type == REDIS_REPLY_INTEGER)
		return FLEET_PUSH_SUBSCRIBED;
	return FLEET_PUSH_OTHER;
}
