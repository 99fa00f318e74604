/* SPDX-License-Identifier: Apache-2.0 */
/* Bytes a Redis server may send: hiredis's reply reader (bounded as store_conn.c bounds it: at most
 * STORE_REPLY_MAX_BYTES, arrays of at most STORE_REPLY_MAX_ELEMENTS), then
 * every reader of store_reply.c on each reply it makes (the rate script's answer, the connection
 * count script's, a GET's value, a sentinel's primary address, ROLE, the status and error checks),
 * as the daemon reads a [store]'s and its sentinels' answers. */
#include "fuzz.h"
#include "store/store_conn.h"
#include "store/store_reply.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <string.h>

static void read_every_way(const redisReply *r)
{
	char value[64], err[256];
	size_t len = 0;
	long wait = store_reply_rate(r, 3600);
	if (wait < -1 || wait > 3600)
		abort();
	unsigned held = 0;
	int admitted = store_reply_conns(r, &held);
	if (admitted < -1 || admitted > 1)
		abort();
	int got = store_reply_value(r, value, sizeof value, &len);
	if (got == 1 && (len >= sizeof value || value[len] != '\0'))
		abort();
	store_reply_error_text(r, "fuzz", err, sizeof err);
	if (!memchr(err, '\0', sizeof err))
		abort();
	for (const char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			abort(); /* a server's bytes reach the log printable only */
	int set = store_reply_set(r);
	if (set < -1 || set > 1)
		abort();
	char host[STORE_HOST_MAX];
	unsigned port = 0;
	int addr = store_reply_master_addr(r, host, sizeof host, &port);
	if (addr < -1 || addr > 1 ||
	    (addr == 1 &&
	     (port < 1 || port > 65535 || !memchr(host, '\0', sizeof host) || !host[0] ||
	      strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789.-_:") != strlen(host))))
		abort(); /* an address we connect to is one: no byte a resolver would misread */
	enum store_role role = store_reply_role(r);
	if (role > STORE_ROLE_UNKNOWN)
		abort();
	(void)store_reply_is_readonly(r);
	(void)store_reply_is_ok(r);
	(void)store_reply_is_noscript(r);
	(void)store_reply_is_auth_error_text(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > STORE_REPLY_MAX_BYTES)
		return 0;
	redisReader *reader = store_reader_new();
	if (!reader)
		abort();
	if (redisReaderFeed(reader, (const char *)data, size) == REDIS_OK) {
		void *reply = NULL;
		for (int i = 0; i < 16 && redisReaderGetReply(reader, &reply) == REDIS_OK && reply;
		     i++) {
			read_every_way(reply);
			freeReplyObject(reply);
			reply = NULL;
		}
	}
	redisReaderFree(reader);
	return 0;
}
