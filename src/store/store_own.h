/* SPDX-License-Identifier: Apache-2.0 */
/* What the revocation list's fleet sync (revoke/fleet.c) and the connection counts
 * (store/store_conns.c) need of the store beyond store.h: own connections (a subscriber holds one
 * for good), any command or script through the store's slots. */
#ifndef NGD_STORE_OWN_H
#define NGD_STORE_OWN_H

#include "store/store.h"
#include "store/store_conn.h"

#include <hiredis/hiredis.h>

/* Opens C (the caller's, closed with store_conn_close) with the store's settings within
 * TIMEOUT_MS: 0, or -1 with why in err (never the password). */
int store_open_own(struct store *st, struct store_conn *c, unsigned timeout_ms, char *err,
		   size_t err_len);
/* C logged in with a password that has been replaced or has expired since (an Entra ID token):
 * the caller closes and reopens it (a subscriber cannot AUTH again). The same token fetched
 * again only moves C's expiry. */
bool store_own_stale(struct store *st, struct store_conn *c);
/* One command through the store's connections within [store] timeout (counted in its metrics):
 * 0 with *reply (freeReplyObject), or -1 with why in err. Blocks: not on an HTTP thread. */
int store_command(struct store *st, int argc, const char **argv, const size_t *lens,
		  redisReply **reply, char *err, size_t err_len);
/* A server-side script, run by its SHA-1 (EVALSHA) and sent whole only when the server lost it. */
#define STORE_SCRIPT_MAX_ARGS 8
struct store_script {
	const char *text; /* static */
	char sha[41];
};
void store_script_init(struct store_script *script, const char *text);
/* The script on KEY with ARGS (NUL-terminated, at most STORE_SCRIPT_MAX_ARGS) within the timeout:
 * the reply (freeReplyObject), or NULL when the store did not answer. Blocks. */
redisReply *store_eval(struct store *st, const struct store_script *script, const char *key,
		       int n_args, const char *const *args);
const char *store_prefix(const struct store *st);
unsigned store_timeout_ms(const struct store *st);
enum store_on_failure store_revocations_on_failure(const struct store *st);

#endif
