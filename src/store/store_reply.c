/* SPDX-License-Identifier: Apache-2.0 */
/* Reading hiredis's reply objects into our types; nothing here trusts a length or a kind. */
#include "store/store_reply.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static redisReplyObjectFunctions bounded; /* hiredis's own, but createArray */
static void *(*hiredis_create_array)(const redisReadTask *, int);
static pthread_once_t bounded_once = PTHREAD_ONCE_INIT;

static void *create_bounded_array(const redisReadTask *task, int elements)
{
	intptr_t max = task->privdata ? (intptr_t)task->privdata : STORE_REPLY_MAX_ELEMENTS;
	if (elements < 0 || elements > max)
		return NULL; /* hiredis then fails the stream ("Out of memory") */
	return hiredis_create_array(task, elements);
}

static void bounded_init(void)
{
	redisReader *r = redisReaderCreate();
	if (!r)
		return;
	bounded = *r->fn;
	hiredis_create_array = bounded.createArray;
	bounded.createArray = create_bounded_array;
	redisReaderFree(r);
}

redisReader *store_reader_new(void)
{
	pthread_once(&bounded_once, bounded_init);
	if (!hiredis_create_array)
		return NULL;
	return redisReaderCreateWithFunctions(&bounded);
}

redisReader *store_reader_new_max(int max_elements)
{
	redisReader *r = store_reader_new();
	if (r && max_elements > 0)
		r->privdata = (void *)(intptr_t)max_elements; /* hiredis hands it to every task */
	return r;
}

bool store_reply_is_ok(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_STATUS && r->len == 2 && memcmp(r->str, "OK", 2) == 0;
}

bool store_reply_is_noscript(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_ERROR && r->len >= 8 &&
	       memcmp(r->str, "NOSCRIPT", 8) == 0;
}

void store_reply_error_text(const redisReply *r, const char *what, char *err, size_t err_len)
{
	char text[201];
	size_t n = 0;
	if (!r || r->type != REDIS_REPLY_ERROR) {
		snprintf(err, err_len, "%s: unexpected reply", what);
		return;
	}
	for (size_t i = 0; i < r->len && n < sizeof text - 1; i++)
		text[n++] = r->str[i] >= 0x20 && r->str[i] < 0x7f ? r->str[i] : '?';
	text[n] = '\0';
	snprintf(err, err_len, "%s refused: %s", what, text);
}

bool store_reply_is_auth_error_text(const char *text)
{
	static const char *const words[] = {"WRONGPASS", "NOAUTH", "invalid password", "NOPERM",
					    "invalid username"};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strstr(text, words[i]))
			return true;
	return false;
}

long store_reply_rate(const redisReply *r, unsigned max_wait)
{
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
		return -1;
	const redisReply *passed = r->element[0], *wait = r->element[1];
	if (!passed || !wait || passed->type != REDIS_REPLY_INTEGER ||
	    wait->type != REDIS_REPLY_INTEGER)
		return -1;
	if (passed->integer == 0)
		return 0;
	if (passed->integer != 1 || wait->integer < 1 || wait->integer > (long long)max_wait)
		return -1;
	return (long)wait->integer;
}

int store_reply_conns(const redisReply *r, unsigned *held)
{
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
		return -1;
	const redisReply *admitted = r->element[0], *count = r->element[1];
	if (!admitted || !count || admitted->type != REDIS_REPLY_INTEGER ||
	    count->type != REDIS_REPLY_INTEGER ||
	    (admitted->integer != 0 && admitted->integer != 1) || count->integer < 0 ||
	    count->integer > UINT32_MAX)
		return -1;
	*held = (unsigned)count->integer;
	return (int)admitted->integer;
}

int store_reply_set(const redisReply *r)
{
	if (store_reply_is_ok(r))
		return 1;
	return r && r->type == REDIS_REPLY_NIL ? 0 : -1;
}

int store_reply_value(const redisReply *r, char *out, size_t cap, size_t *len)
{
	if (r && r->type == REDIS_REPLY_NIL)
		return 0;
	if (!r || r->type != REDIS_REPLY_STRING || !cap || r->len >= cap)
		return -1;
	memcpy(out, r->str, r->len);
	out[r->len] = '\0';
	*len = r->len;
	return 1;
}
