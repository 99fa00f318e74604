/* SPDX-License-Identifier: Apache-2.0 */
/* Revoke, lift and list, as the admin socket and the admin HTTP API ask for them. */
#include "revoke/admin_ops.h"

#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DURATION (10ll * 366 * 86400)

int admin_duration_parse(const char *text, long long *seconds)
{
	char *end = NULL;
	errno = 0;
	long long n = text && *text >= '0' && *text <= '9' ? strtoll(text, &end, 10) : -1;
	long long unit = 1;
	if (n < 0 || errno || !end)
		return -1;
	if (*end == 'm')
		unit = 60;
	else if (*end == 'h')
		unit = 3600;
	else if (*end == 'd')
		unit = 86400;
	else if (*end && *end != 's')
		return -1;
	if ((*end && end[1]) || n == 0 || n > MAX_DURATION / unit)
		return -1;
	*seconds = n * unit;
	return 0;
}

int admin_time_parse(const char *text, time_t now, time_t *out)
{
	struct tm tm = {0};
	char *end = NULL;
	if (strcmp(text, "now") == 0) {
		*out = now;
		return 0;
	}
	errno = 0;
	long long n = *text >= '0' && *text <= '9' ? strtoll(text, &end, 10) : -1;
	if (n > 0 && !errno && !*end) {
		*out = (time_t)n;
		return 0;
	}
	end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return -1;
	*out = timegm(&tm);
	return *out > 0 ? 0 : -1;
}

static unsigned fail(struct buf *answer, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static unsigned fail(struct buf *answer, unsigned status, const char *fmt, ...)
{
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	buf_puts(answer, "{\"ok\":false,\"error\":");
	buf_json_string(answer, message);
	buf_puts(answer, "}");
	return status;
}

/* The status of a change refused with ERR: 503 when the [store] could not record it (the operator
 * tries again), 409 at the list's limit, else OTHERWISE. */
static unsigned change_status(const char *err, unsigned otherwise)
{
	if (strstr(err, "[store]"))
		return 503;
	if (strstr(err, "limit"))
		return 409;
	return otherwise;
}

static json_t *entry_json(const struct revocation *e)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "user", e->user, "hub", e->hub,
			 "reason", e->reason, "by", e->by, "set_at", (json_int_t)e->set_at,
			 "expires_at", (json_int_t)e->expires_at, "issued_before",
			 (json_int_t)e->issued_before);
}

/* The answer's JSON (consumed) after {"ok":true, */
static unsigned succeed(struct buf *answer, json_t *obj)
{
	char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(obj);
	if (!text)
		return fail(answer, 500, "out of memory");
	buf_puts(answer, text);
	free(text);
	return 200;
}

/* The audit line of a change: who, what, why; JSON-quoted values, at info. */
static void audit_change(const char *event, const struct revocation *e, const char *who, bool close,
			 int lifted)
{
	struct buf b = {0};
	buf_printf(&b, "audit event=%s time=%sZ user=", event, log_utc_second(time(NULL)));
	buf_json_string(&b, e->user);
	buf_puts(&b, " hub=");
	buf_json_string(&b, e->hub[0] ? e->hub : "*");
	buf_puts(&b, " by=");
	buf_json_string(&b, who);
	if (lifted >= 0) {
		buf_printf(&b, " lifted=%d", lifted);
	} else {
		buf_puts(&b, " reason=");
		buf_json_string(&b, e->reason);
		buf_printf(&b, " expires_at=%lld issued_before=%lld close=%s",
			   (long long)e->expires_at, (long long)e->issued_before,
			   close ? "true" : "false");
	}
	if (!b.failed)
		log_text(LOG_LEVEL_INFO, b.data, b.len);
	buf_free(&b);
}

/* A string member into out[size] ("" when absent): 0, or -1 (not a string, too long). */
static int member_string(json_t *req, const char *name, char *out, size_t size)
{
	json_t *v = json_object_get(req, name);
	out[0] = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= size)
		return -1;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return strlen(out) == json_string_length(v) ? 0 : -1;
}

/* "for" and "issued_before" of a revoke request into E. NULL, or what is wrong. */
static const char *read_times(json_t *req, struct revocation *e)
{
	char text[64];
	long long seconds = 0;
	json_t *f = json_object_get(req, "for"), *ib = json_object_get(req, "issued_before");
	if (json_is_integer(f) && json_integer_value(f) > 0 &&
	    json_integer_value(f) <= MAX_DURATION)
		seconds = json_integer_value(f);
	else if (f && !json_is_null(f) &&
		 (member_string(req, "for", text, sizeof text) < 0 ||
		  admin_duration_parse(text, &seconds) < 0))
		return "for: a duration (90s, 15m, 12h, 7d or seconds), at most 10 years";
	e->expires_at = seconds ? e->set_at + (time_t)seconds : 0;
	if (json_is_integer(ib) && json_integer_value(ib) > 0) {
		e->issued_before = (time_t)json_integer_value(ib);
		return NULL;
	}
	if (ib && !json_is_null(ib) &&
	    (member_string(req, "issued_before", text, sizeof text) < 0 ||
	     admin_time_parse(text, e->set_at, &e->issued_before) < 0))
		return "issued_before: now, seconds since 1970 or YYYY-MM-DDTHH:MM:SSZ";
	return NULL;
}

/* A member OP does not read (a typo of "reason" must not pass unnoticed): its name, or NULL. */
static const char *unknown_member(json_t *req, const char *const *known)
{
	const char *name;
	json_t *value;
	json_object_foreach(req, name, value)
	{
		bool found = strcmp(name, "op") == 0;
		for (size_t i = 0; known[i] && !found; i++)
			found = strcmp(name, known[i]) == 0;
		if (!found)
			return name;
	}
	return NULL;
}

static unsigned op_revoke(struct revocations *list, const char *who, json_t *req,
			  struct buf *answer)
{
	struct revocation e = {.set_at = time(NULL)};
	char err[256];
	json_t *close = json_object_get(req, "close");
	static const char *const known[] = {"user",  "hub",	      "for", "reason",
					    "close", "issued_before", NULL};
	const char *wrong = NULL;
	if (unknown_member(req, known))
		wrong = "unknown member: revoke reads user, hub, for, reason, close and "
			"issued_before";
	else if (close && !json_is_boolean(close))
		wrong = "close: true or false";
	else if (member_string(req, "user", e.user, sizeof e.user) < 0 || !e.user[0])
		wrong = "user: required, a user id of at most 512 bytes";
	else if (member_string(req, "hub", e.hub, sizeof e.hub) < 0)
		wrong = "hub: a hub name";
	else if (member_string(req, "reason", e.reason, sizeof e.reason) < 0)
		wrong = "reason: text of at most 256 bytes";
	else
		wrong = read_times(req, &e);
	if (wrong)
		return fail(answer, 400, "%s", wrong);
	if (json_is_true(close) && !revocations_can_close(list))
		return fail(answer, 501,
			    "closing connections is not available in this daemon (no REST close "
			    "is configured): revoke without --close");
	snprintf(e.by, sizeof e.by, "%s", who);
	if (revocations_set(list, &e, json_is_true(close), err, sizeof err) < 0)
		return fail(answer, change_status(err, 400), "%s", err);
	audit_change("revoked", &e, who, json_is_true(close), -1);
	return succeed(answer, json_pack("{s:b, s:o}", "ok", 1, "entry", entry_json(&e)));
}

static unsigned op_lift(struct revocations *list, const char *who, json_t *req, struct buf *answer)
{
	static const char *const known[] = {"user", "hub", NULL};
	struct revocation e = {0};
	char err[256];
	if (unknown_member(req, known))
		return fail(answer, 400, "unknown member: lift reads user and hub");
	if (member_string(req, "user", e.user, sizeof e.user) < 0 || !e.user[0])
		return fail(answer, 400, "user: required, a user id of at most 512 bytes");
	if (member_string(req, "hub", e.hub, sizeof e.hub) < 0)
		return fail(answer, 400, "hub: a hub name");
	int lifted = revocations_lift(list, e.user, e.hub[0] ? e.hub : NULL, err, sizeof err);
	if (lifted < 0)
		return fail(answer, change_status(err, 500), "%s", err);
	if (lifted == 0)
		return fail(answer, 404, "no revocation of this user%s is listed",
			    e.hub[0] ? " on this hub" : "");
	audit_change("revocation_lifted", &e, who, false, lifted);
	return succeed(answer, json_pack("{s:b, s:i}", "ok", 1, "lifted", lifted));
}

static void add_entry(void *ctx, const struct revocation *e)
{
	json_array_append_new(ctx, entry_json(e));
}

static unsigned op_list(struct revocations *list, struct buf *answer)
{
	json_t *entries = json_array();
	if (entries)
		revocations_each(list, time(NULL), add_entry, entries);
	return succeed(answer, json_pack("{s:b, s:o*}", "ok", 1, "entries", entries));
}

unsigned admin_handle(struct revocations *list, const char *who, const char *request, size_t len,
		      struct buf *answer)
{
	json_error_t error;
	if (len > ADMIN_MAX_REQUEST)
		return fail(answer, 413, "the request is larger than %d bytes", ADMIN_MAX_REQUEST);
	json_t *req = json_loadb(request, len, JSON_REJECT_DUPLICATES, &error);
	const char *op = json_string_value(json_object_get(req, "op"));
	unsigned status;
	if (!json_is_object(req) || !op)
		status = fail(answer, 400, "the request must be a JSON object with an op");
	else if (strcmp(op, "revoke") == 0)
		status = op_revoke(list, who, req, answer);
	else if (strcmp(op, "lift") == 0)
		status = op_lift(list, who, req, answer);
	else if (strcmp(op, "list") == 0)
		status = op_list(list, answer);
	else
		status = fail(answer, 400, "op: revoke, lift or list");
	json_decref(req);
	return status;
}
