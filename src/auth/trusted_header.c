/* SPDX-License-Identifier: Apache-2.0 */
/* trusted_header: the identity a trusted front proxy already established (nginx auth_request with
 * oauth2-proxy, or nginx's verified client certificate), read from request headers. The headers
 * are believed only from a trusted peer: from anyone else they are ignored (DECLINED) and logged.
 */
#include "auth/registry.h"
#include "core/names.h"
#include "edge/trusted_proxies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADER_NAME 64
#define MAX_EMAIL 320
#define MAX_GROUPS_HEADER 8192
#define MAX_DN 1024

enum header_role { H_USER, H_EMAIL, H_GROUPS, H_DN, H_VERIFY, N_HEADERS };

static const struct {
	const char *key;
	const char *fallback; /* NULL: off unless configured */
} header_keys[N_HEADERS] = {
	/* identity is read only from headers the section names: a proxy that sets only the user
	 * header would pass a client's own X-Auth-Request-Groups through */
	[H_USER] = {"user_header", "X-Auth-Request-User"},
	[H_EMAIL] = {"email_header", NULL},
	[H_GROUPS] = {"groups_header", NULL},
	[H_DN] = {"client_dn_header", NULL},
	[H_VERIFY] = {"client_verify_header", "X-SSL-Client-Verify"},
};

struct trusted_header {
	const char *name;			     /* the section's name, for logs */
	char header[N_HEADERS][MAX_HEADER_NAME + 1]; /* "" when off */
	bool own_peers; /* trusted_peers set: it replaces [server] trusted_proxies */
	struct trusted_proxies peers;
};

static bool header_name_valid(const char *s)
{
	size_t len = strlen(s);
	return len > 0 && len <= MAX_HEADER_NAME &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == len;
}

static int read_header_names(struct trusted_header *t, struct ngd_section *sec)
{
	for (int i = 0; i < N_HEADERS; i++) {
		const char *v = ngd_section_get(sec, header_keys[i].key);
		v = v ? v : header_keys[i].fallback;
		if (!v || strcmp(v, "none") == 0)
			continue;
		if (!header_name_valid(v)) {
			ngd_section_error(sec, header_keys[i].key,
					  "'%.64s' is not a header name (1 to 64 of A-Z a-z 0-9 - "
					  "_), or 'none'",
					  v);
			return -1;
		}
		snprintf(t->header[i], sizeof t->header[i], "%s", v);
	}
	if (!t->header[H_USER][0] && !t->header[H_DN][0]) {
		ngd_section_error(sec, "user_header",
				  "user_header and client_dn_header cannot both be off");
		return -1;
	}
	return 0;
}

static int read_peers(struct trusted_header *t, struct ngd_section *sec)
{
	const char *list = ngd_section_get(sec, "trusted_peers");
	char err[160];
	if (!list)
		return 0;
	char *copy = strdup(list);
	if (!copy) {
		ngd_section_error(sec, "trusted_peers", "out of memory");
		return -1;
	}
	int rc = 0;
	for (char *save = NULL, *item = strtok_r(copy, " \t,", &save); item && rc == 0;
	     item = strtok_r(NULL, " \t,", &save))
		if (trusted_proxies_add(&t->peers, item, err, sizeof err) < 0) {
			ngd_section_error(sec, "trusted_peers", "%s", err);
			rc = -1;
		}
	free(copy);
	t->own_peers = true;
	return rc;
}

static void *trusted_header_create(struct ngd_section *sec)
{
	struct trusted_header *t = calloc(1, sizeof *t);
	if (!t) {
		ngd_section_error(sec, NULL, "out of memory");
		return NULL;
	}
	t->name = ngd_section_name(sec);
	if (read_header_names(t, sec) < 0 || read_peers(t, sec) < 0) {
		free(t);
		return NULL;
	}
	return t;
}

static void trusted_header_destroy(void *instance)
{
	free(instance);
}

static const char *header(const struct trusted_header *t, const struct ngd_request *req,
			  enum header_role role)
{
	return t->header[role][0] ? ngd_request_header(req, t->header[role]) : NULL;
}

static bool peer_trusted(const struct trusted_header *t, const struct ngd_request *req)
{
	if (!t->own_peers)
		return ngd_request_peer_trusted(req);
	return trusted_proxies_match(&t->peers, ngd_request_peer(req, NULL));
}

static enum ngd_auth_result refuse(struct ngd_outcome *out, const char *message)
{
	ngd_outcome_deny(out, 401, "invalid_identity", message);
	return NGD_AUTH_DENY;
}

/* "a, b,c" -> one groups attribute per non-empty, trimmed item. */
static enum ngd_auth_result add_groups(const char *list, struct ngd_outcome *out)
{
	if (strnlen(list, MAX_GROUPS_HEADER + 1) > MAX_GROUPS_HEADER)
		return refuse(out, "the groups header is too long");
	char *copy = strdup(list);
	if (!copy)
		return NGD_AUTH_ERROR;
	enum ngd_auth_result r = NGD_AUTH_OK;
	for (char *save = NULL, *item = strtok_r(copy, ",", &save); item && r == NGD_AUTH_OK;
	     item = strtok_r(NULL, ",", &save)) {
		item += strspn(item, " \t");
		size_t len = strlen(item);
		while (len && (item[len - 1] == ' ' || item[len - 1] == '\t'))
			item[--len] = '\0';
		if (len && ngd_outcome_add_attribute(out, "groups", item) < 0)
			r = refuse(
				out,
				"the groups header holds an invalid group name or too many groups");
	}
	free(copy);
	return r;
}

/* The certificate's subject as the client_dn attribute, when nginx says it verified the
 * certificate. */
static enum ngd_auth_result certificate(const struct trusted_header *t,
					const struct ngd_request *req, const char *dn,
					struct ngd_outcome *out)
{
	const char *verify = header(t, req, H_VERIFY);
	if (t->header[H_VERIFY][0] && (!verify || strcmp(verify, "SUCCESS") != 0)) {
		ngd_outcome_deny(out, 401, "certificate_not_verified",
				 "the client certificate was not verified by the front proxy");
		return NGD_AUTH_DENY;
	}
	if (!text_valid(dn, MAX_DN) || ngd_outcome_add_attribute(out, "client_dn", dn) < 0)
		return refuse(out, "the client certificate's subject is not valid text");
	return NGD_AUTH_OK;
}

static enum ngd_auth_result
trusted_header_authenticate(void *instance, const struct ngd_request *req, struct ngd_outcome *out)
{
	const struct trusted_header *t = instance;
	const char *user = header(t, req, H_USER), *dn = header(t, req, H_DN);
	if (!user && !dn)
		return NGD_AUTH_DECLINED;
	if (!peer_trusted(t, req)) {
		ngd_log_warning("[auth:%s] %s from untrusted peer %s ignored", t->name,
				t->header[user ? H_USER : H_DN], ngd_request_client_address(req));
		return NGD_AUTH_DECLINED;
	}
	enum ngd_auth_result r = dn ? certificate(t, req, dn, out) : NGD_AUTH_OK;
	if (r != NGD_AUTH_OK)
		return r;
	if (ngd_outcome_set_user(out, user ? user : dn) < 0)
		return refuse(out,
			      user ? "the user header is not a valid user id"
				   : "the client certificate's subject is not a valid user id");
	const char *email = header(t, req, H_EMAIL), *groups = header(t, req, H_GROUPS);
	if (email &&
	    (!text_valid(email, MAX_EMAIL) || ngd_outcome_add_attribute(out, "email", email) < 0))
		return refuse(out, "the email header is not valid");
	return groups ? add_groups(groups, out) : NGD_AUTH_OK;
}

size_t trusted_header_attribute_names(const void *state, const char **names, size_t cap)
{
	static const struct {
		enum header_role role;
		const char *attribute;
	} set[] = {{H_GROUPS, "groups"}, {H_DN, "client_dn"}, {H_EMAIL, "email"}};
	const struct trusted_header *t = state;
	size_t n = 0;
	for (size_t i = 0; i < sizeof set / sizeof set[0] && n < cap; i++)
		if (t->header[set[i].role][0])
			names[n++] = set[i].attribute;
	return n;
}

const struct ngd_authenticator auth_trusted_header = {
	.abi_version = NGD_AUTH_ABI_VERSION,
	.type = "trusted_header",
	.challenge = NULL,
	.create = trusted_header_create,
	.authenticate = trusted_header_authenticate,
	.destroy = trusted_header_destroy,
};
