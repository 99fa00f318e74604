/* SPDX-License-Identifier: Apache-2.0 */
/* Audit lines: machine-readable (key=value, JSON-quoted values), bounded, never a secret. */
#include "policy/audit.h"

#include "core/buf.h"
#include "core/log.h"
#include "core/thread_crypto.h"

#include <string.h>
#include <time.h>

#define AUDIT_LIST_BUDGET                                                                          \
	1600 /* log.c's lines hold 2 KiB: lists stop here and say how many were left */

/* key_eq is " key=": one append per field. */
static void field(struct buf *b, const char *key_eq, const char *value)
{
	buf_puts(b, key_eq);
	buf_json_string(b, value ? value : "");
}

static void list(struct buf *b, const char *key, const char *const *items, size_t n)
{
	size_t i = 0;
	buf_puts(b, " ");
	buf_puts(b, key);
	buf_puts(b, "=[");
	/* names hold no control characters, so escaping at most doubles them */
	for (; i < n && b->len + 2 * strlen(items[i]) + 4 < AUDIT_LIST_BUDGET; i++) {
		if (i)
			buf_puts(b, ",");
		buf_json_string(b, items[i]);
	}
	buf_puts(b, "]");
	if (i < n)
		buf_printf(b, " %s_omitted=%zu", key, n - i);
}

static void start(struct buf *b, const char *event)
{
	buf_puts(b, "audit event=");
	buf_puts(b, event);
	buf_puts(b, " time=");
	buf_puts(b, log_utc_second(time(NULL)));
	buf_puts(b, "Z");
}

/* The line to the log, then its bytes freed. */
static void finish(struct buf *b)
{
	if (!b->failed)
		log_text(LOG_LEVEL_INFO, b->data, b->len);
	buf_free(b);
}

void audit_fingerprint(const char *token, char out[13])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char digest[32];
	EVP_MD_CTX *ctx = thread_sha256();
	out[0] = '\0';
	if (!ctx || !EVP_DigestUpdate(ctx, token, strlen(token)) ||
	    !EVP_DigestFinal_ex(ctx, digest, NULL))
		return;
	for (int i = 0; i < 6; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[12] = '\0';
}

void audit_issued(const char *hub, const struct principal *who, const char *client,
		  const struct grant *g, long long exp, const char *token)
{
	struct buf b = {0};
	char fingerprint[13];
	if (!log_wants(LOG_LEVEL_INFO))
		return; /* not even the fingerprint: its SHA-256 is most of a line's cost */
	audit_fingerprint(token, fingerprint);
	start(&b, "issued");
	field(&b, " hub=", hub);
	field(&b, " user=", who->user_id);
	field(&b, " auth=", who->authenticator);
	field(&b, " client=", client);
	buf_puts(&b, " exp=");
	buf_int(&b, exp);
	field(&b, " token_sha256=", fingerprint);
	list(&b, "roles", g->roles, g->n_roles);
	list(&b, "groups", g->groups, g->n_groups);
	finish(&b);
}

void audit_refused(const char *hub, const struct principal *who, const char *client,
		   unsigned status, const char *code, const char *message)
{
	struct buf b = {0};
	if (!log_wants(LOG_LEVEL_INFO))
		return;
	start(&b, "refused");
	if (hub)
		field(&b, " hub=", hub);
	if (who && who->user_id[0])
		field(&b, " user=", who->user_id);
	if (who && who->authenticator)
		field(&b, " auth=", who->authenticator);
	field(&b, " client=", client);
	buf_puts(&b, " status=");
	buf_int(&b, status);
	field(&b, " reason=", code);
	field(&b, " message=", message);
	finish(&b);
}
