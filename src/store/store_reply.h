/* SPDX-License-Identifier: Apache-2.0 */
/* The Redis replies the daemon reads, turned into its own types: every one checked for shape and
 * bounds (a server is outside input: tests/fuzz/fuzz_store_reply.c). */
#ifndef NGD_STORE_REPLY_H
#define NGD_STORE_REPLY_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

/* A reply reader (free with redisReaderFree) that refuses an array header of more than
 * STORE_REPLY_MAX_ELEMENTS: hiredis allocates the element vector as soon as it reads "*N", so a
 * hostile server's "*4000000000" would cost gigabytes before a byte of it arrives. NULL when out
 * of memory. */
#define STORE_REPLY_MAX_ELEMENTS 16
redisReader *store_reader_new(void);
/* The same with arrays of up to MAX_ELEMENTS (the revocation list's HGETALL). */
redisReader *store_reader_new_max(int max_elements);

/* +OK */
bool store_reply_is_ok(const redisReply *r);
/* -NOSCRIPT ...: EVALSHA of a script the server does not hold (after a restart or FLUSH). */
bool store_reply_is_noscript(const redisReply *r);
/* "WHAT refused: TEXT" with the server's error text (printable bytes only, bounded); "WHAT:
 * unexpected reply" for another kind. Server errors never echo a password. */
void store_reply_error_text(const redisReply *r, const char *what, char *err, size_t err_len);
/* The text names a refused login (WRONGPASS, NOAUTH, invalid password, NOPERM). */
bool store_reply_is_auth_error_text(const char *text);

/* The rate script's answer {passed 0|1, wait seconds}: 0 passes; a positive number is the whole
 * seconds (1 to max_wait) to wait (Retry-After); -1: not that shape. */
long store_reply_rate(const redisReply *r, unsigned max_wait);

/* The connection count script's answer {admitted 0|1, places held}: 1 admitted (or recorded), 0
 * refused, with *held; -1: not that shape. */
int store_reply_conns(const redisReply *r, unsigned *held);

/* SET ... NX: 1 when set (+OK), 0 when not (nil), -1 for anything else. */
int store_reply_set(const redisReply *r);

/* -READONLY ...: a write sent to a replica (a primary the sentinels have demoted). */
bool store_reply_is_readonly(const redisReply *r);

/* A sentinel's answer to SENTINEL get-master-addr-by-name: 1 with the primary's address (host
 * NUL-terminated, a name or an IP address, *port 1 to 65535), 0 when the sentinel does not know
 * the name (nil), -1 for another shape or an address that is not one. */
int store_reply_master_addr(const redisReply *r, char *host, size_t host_cap, unsigned *port);

/* ROLE's first element: what the server says it is. */
enum store_role { STORE_ROLE_MASTER, STORE_ROLE_REPLICA, STORE_ROLE_SENTINEL, STORE_ROLE_UNKNOWN };
enum store_role store_reply_role(const redisReply *r);

/* A GET: 1 with the value copied into out (NUL-terminated, at most cap - 1 bytes), 0 when the key
 * is absent (nil), -1 when it is another kind or too long for out. */
int store_reply_value(const redisReply *r, char *out, size_t cap, size_t *len);

#endif
