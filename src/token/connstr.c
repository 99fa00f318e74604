/* SPDX-License-Identifier: Apache-2.0 */
/* Connection string parsing and endpoint normalisation, as the official SDKs do it. */
#include "token/connstr.h"

#include "core/buf.h"
#include "core/caps.h"
#include "core/decimal.h"
#include "core/names.h"
#include "core/secret.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct parts {
	char *endpoint, *access_key, *version, *port; /* point into the working copy */
	const char *unknown;			      /* the first unknown field's name, if shown */
	bool unknown_withheld;			      /* an unknown field whose name is not shown */
};

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t err_len, const char *fmt,
						      ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -1;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

static const char *const field_names[] = {"Endpoint", "AccessKey", "Version", "Port"};

/* A field's name may be shown when it looks like one (up to 16 letters, then a value): a key pasted
 * without its "AccessKey=" is split at its padding '=' (the "value" is "" or "=") and must not be.
 */
static bool field_name_shown(const char *key, const char *value)
{
	size_t len = strlen(key);
	return len > 0 && len <= 16 &&
	       strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") == len &&
	       value[strspn(value, "=")] != '\0';
}

/* An unknown field is ignored, as the SDKs do (AuthType, ClientId, ...), unless it is a typo of a
 * known one: then the known one would silently be missing or default. */
static int unknown_part(struct parts *p, const char *key, const char *value, char *err,
			size_t err_len)
{
	if (!field_name_shown(key, value)) {
		p->unknown_withheld = true;
		return 0;
	}
	const char *near = name_nearest(key, field_names, 4);
	if (near)
		return fail(err, err_len, "unknown field '%s' (did you mean %s?)", key, near);
	if (!p->unknown)
		p->unknown = key;
	return 0;
}

static int assign_part(struct parts *p, const char *key, char *value, char *err, size_t err_len)
{
	static const char *const names[] = {"endpoint", "accesskey", "version", "port"};
	char **slots[] = {&p->endpoint, &p->access_key, &p->version, &p->port};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(key, names[i]) != 0)
			continue;
		if (*slots[i])
			return fail(err, err_len, "duplicate key '%s'", names[i]);
		*slots[i] = value;
		return 0;
	}
	return unknown_part(p, key, value, err, err_len);
}

/* " (it has an unknown field 'X')" for a message about a missing field, or "". */
static const char *unknown_note(const struct parts *p, char *out, size_t len)
{
	if (p->unknown)
		snprintf(out, len, " (it has an unknown field '%s')", p->unknown);
	else if (p->unknown_withheld)
		snprintf(out, len, " (it has a field whose name is withheld: it may be a secret)");
	else
		out[0] = '\0';
	return out;
}

static int split_parts(char *work, struct parts *p, char *err, size_t err_len)
{
	for (char *save = NULL, *seg = strtok_r(work, ";", &save); seg;
	     seg = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(seg, '=');
		if (!eq) {
			if (*trim(seg) == '\0')
				continue;
			return fail(err, err_len, "segment without '=' (expected Key=Value)");
		}
		*eq = '\0'; /* split on the FIRST '=': the key may contain '=' */
		char *key = trim(seg);
		if (!*key)
			return fail(err, err_len, "segment with an empty key");
		if (assign_part(p, key, trim(eq + 1), err, err_len) < 0)
			return -1;
	}
	char note[120];
	if (!p->endpoint || !*p->endpoint)
		return fail(err, err_len, "missing Endpoint%s", unknown_note(p, note, sizeof note));
	if (!p->access_key || !*p->access_key)
		return fail(err, err_len, "missing AccessKey (needed to sign tokens locally)%s",
			    unknown_note(p, note, sizeof note));
	return 0;
}

static bool host_valid(const char *h, size_t len)
{
	if (len == 0)
		return false;
	if (h[0] == '[') /* IPv6 literal */
		return len > 2 && h[len - 1] == ']' &&
		       strspn(h + 1, "0123456789abcdefABCDEF:.") == len - 2;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.' && h[i] != '_')
			return false;
	return true;
}

struct url {
	bool https;
	const char *host;
	size_t host_len;
	unsigned port; /* 0: the scheme's default */
	const char *path;
};

static int parse_endpoint(const char *e, struct url *u, char *err, size_t err_len)
{
	const char *rest = e, *sep = strstr(e, "://");
	*u = (struct url){.https = true};
	if (sep) {
		size_t n = (size_t)(sep - e);
		if (n == 5 && strncasecmp(e, "https", 5) == 0)
			u->https = true;
		else if (n == 4 && strncasecmp(e, "http", 4) == 0)
			u->https = false;
		else
			return fail(err, err_len, "Endpoint scheme must be http or https");
		rest = sep + 3;
	}
	if (strpbrk(rest, "?#@ \t"))
		return fail(err, err_len,
			    "Endpoint must not carry user info, a query or a fragment");
	const char *slash = strchr(rest, '/');
	size_t auth_len = slash ? (size_t)(slash - rest) : strlen(rest);
	const char *colon = memrchr(rest, ':', auth_len);
	if (colon && (rest[0] != '[' || colon > (const char *)memchr(rest, ']', auth_len))) {
		char port[8] = "";
		size_t n = auth_len - (size_t)(colon + 1 - rest);
		if (n < sizeof port)
			memcpy(port, colon + 1, n), port[n] = '\0';
		if (decimal_parse(port, 1, 65535, &u->port) < 0)
			return fail(err, err_len, "Endpoint port must be 1..65535");
		auth_len = (size_t)(colon - rest);
	}
	if (!host_valid(rest, auth_len))
		return fail(err, err_len, "Endpoint has no valid host");
	u->host = rest;
	u->host_len = auth_len;
	u->path = slash ? slash : "/";
	return 0;
}

static void build_base(struct buf *b, const char *scheme, const struct url *u)
{
	buf_puts(b, scheme);
	buf_puts(b, "://");
	for (size_t i = 0; i < u->host_len; i++) {
		char c = (char)tolower((unsigned char)u->host[i]);
		buf_append(b, &c, 1);
	}
	if (u->port && u->port != (u->https ? 443u : 80u))
		buf_printf(b, ":%u", u->port);
	buf_puts(b, u->path);
	if (b->len && b->data[b->len - 1] != '/')
		buf_puts(b, "/");
}

static int build_endpoint(const struct parts *p, struct endpoint *ep, char *err, size_t err_len)
{
	struct url u;
	struct buf http = {0}, ws = {0};
	if (parse_endpoint(p->endpoint, &u, err, err_len) < 0)
		return -1;
	if (p->port && *p->port && decimal_parse(p->port, 1, 65535, &u.port) < 0)
		return fail(err, err_len, "Port must be 1..65535");
	build_base(&http, u.https ? "https" : "http", &u);
	build_base(&ws, u.https ? "wss" : "ws", &u);
	ep->http_base = buf_steal(&http);
	ep->ws_base = buf_steal(&ws);
	if (!ep->http_base || !ep->ws_base) {
		endpoint_clear(ep);
		return fail(err, err_len, "out of memory");
	}
	return 0;
}

int connstr_parse(const char *cs, struct connstr *out, char *err, size_t err_len)
{
	struct parts p = {0};
	int rc = -1;
	*out = (struct connstr){0};
	if (strnlen(cs, NGD_MAX_CONNSTR + 1) > NGD_MAX_CONNSTR)
		return fail(err, err_len, "longer than %d bytes", NGD_MAX_CONNSTR);
	size_t work_len = strlen(cs);
	char *work = strdup(cs);
	if (!work)
		return fail(err, err_len, "out of memory");
	if (split_parts(work, &p, err, err_len) == 0 &&
	    build_endpoint(&p, &out->endpoint, err, err_len) == 0) {
		out->access_key = strdup(p.access_key);
		rc = out->access_key ? 0 : fail(err, err_len, "out of memory");
	}
	explicit_bzero(work, work_len); /* strtok_r left NULs inside: wipe by length */
	free(work);
	if (rc < 0)
		connstr_clear(out);
	return rc;
}

int endpoint_parse(const char *url, struct endpoint *out, char *err, size_t err_len)
{
	struct parts p = {.endpoint = (char *)url};
	*out = (struct endpoint){0};
	if (strnlen(url, NGD_MAX_CONNSTR + 1) > NGD_MAX_CONNSTR)
		return fail(err, err_len, "longer than %d bytes", NGD_MAX_CONNSTR);
	return build_endpoint(&p, out, err, err_len);
}

void endpoint_clear(struct endpoint *ep)
{
	free(ep->http_base);
	free(ep->ws_base);
	*ep = (struct endpoint){0};
}

void connstr_clear(struct connstr *cs)
{
	endpoint_clear(&cs->endpoint);
	secret_free(cs->access_key);
	cs->access_key = NULL;
}
