/* SPDX-License-Identifier: Apache-2.0 */
/* Reading hiredis's reply objects into our types; nothing here trusts a length or a kind. */
#include "store/store_reply.h"

#include "core/decimal.h"

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

bool store_reply_is_readonly(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_ERROR && r->len >= 8 &&
	       memcmp(r->str, "READONLY", 8) == 0;
}

static bool is_string(const redisReply *r)
{
	return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

/* A host a sentinel announces: a name or an IPv4/IPv6 address, without brackets. */
static bool host_ok(const char *s, size_t len)
{
	static const char allowed[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:";
	for (size_t i = 0; i < len; i++)
		if (!s[i] || !strchr(allowed, s[i]))
			return false;
	return len > 0 && s[0] != '-';
}

int store_reply_master_addr(const redisReply *r, char *host, size_t host_cap, unsigned *port)
{
	char digits[6];
	if (r && r->type == REDIS_REPLY_NIL)
		return 0;
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
		return -1;
	const redisReply *h = r->element[0], *p = r->element[1];
	if (!is_string(h) || !is_string(p) || h->len >= host_cap || !host_ok(h->str, h->len) ||
	    p->len == 0 || p->len >= sizeof digits)
		return -1;
	memcpy(digits, p->str, p->len);
	digits[p->len] = '\0';
	if (decimal_parse(digits, 1, 65535, port) < 0)
		return -1;
	memcpy(host, h->str, h->len);
	host[h->len] = '\0';
	return 1;
}

enum store_role store_reply_role(const redisReply *r)
{
	static const struct {
		const char *name;
		enum store_role role;
	} roles[] = {{"master", STORE_ROLE_MASTER},
		     {"slave", STORE_ROLE_REPLICA},
		     {"replica", STORE_ROLE_REPLICA},
		     {"sentinel", STORE_ROLE_SENTINEL}};
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1 || !is_string(r->element[0]))
		return STORE_ROLE_UNKNOWN;
	const redisReply *name = r->element[0];
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (name->len == strlen(roles[i].name) &&
		    memcmp(name->str, roles[i].name, name->len) == 0)
			return roles[i].role;
	return STORE_ROLE_UNKNOWN;
}
