/* SPDX-License-Identifier: Apache-2.0 */
/* The admin HTTP API: a small libmicrohttpd daemon, a bearer token (only its SHA-256 is kept,
 * compared in constant time), three routes onto revoke/admin_ops.c. */
#include "http/admin_http.h"

#include "core/buf.h"
#include "core/file.h"
#include "core/log.h"
#include "core/secret.h"
#include "edge/listen.h"
#include "revoke/admin_ops.h"

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PREFIX "/admin/revocations"
#define MAX_TOKEN_FILE 4096

struct admin_http {
	struct MHD_Daemon *mhd;
	struct revocations *list;
	unsigned char digest[SHA256_DIGEST_LENGTH]; /* of the token */
	char unix_path[108];
};

struct upload {
	struct buf body;
	bool too_big;
};

/* The token file's SHA-256 into a->digest: 0, or -1 with why in err. The token itself is wiped. */
static int load_token(struct admin_http *a, const char *path, char *err, size_t err_len)
{
	size_t len = 0;
	char why[512];
	if (file_check_private(path, "the admin API token", why, sizeof why) < 0) {
		snprintf(err, err_len, "admin_token_file: %s", why);
		return -1;
	}
	char *text = file_read(path, MAX_TOKEN_FILE, &len, why, sizeof why);
	if (!text) {
		snprintf(err, err_len, "admin_token_file: %s", why);
		return -1;
	}
	while (len && (text[len - 1] == '\n' || text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	int rc = len >= ADMIN_TOKEN_MIN && !memchr(text, '\n', len) ? 0 : -1;
	if (rc < 0)
		snprintf(err, err_len,
			 "admin_token_file: %s must hold one token of at least %d bytes", path,
			 ADMIN_TOKEN_MIN);
	else
		SHA256((const unsigned char *)text, len, a->digest);
	explicit_bzero(text, len);
	free(text);
	return rc;
}

static bool authorized(const struct admin_http *a, struct MHD_Connection *conn)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	SHA256((const unsigned char *)h + 7, strlen(h + 7), digest);
	return secret_equal(digest, a->digest, sizeof digest);
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, const char *text,
				 size_t len, bool challenge)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (challenge)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
	enum MHD_Result rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *message)
{
	struct buf b = {0};
	buf_puts(&b, "{\"ok\":false,\"error\":");
	buf_json_string(&b, message);
	buf_puts(&b, "}");
	enum MHD_Result rc =
		b.failed ? MHD_NO : send_json(conn, status, b.data, b.len, status == 401);
	buf_free(&b);
	return rc;
}

/* The admin_ops request for METHOD on USER (NULL: the collection), or NULL with *why set. */
static char *request_for(struct MHD_Connection *conn, const char *method, const char *user,
			 const struct buf *body, const char **why)
{
	json_t *req = NULL;
	if (strcmp(method, "GET") == 0 && !user)
		req = json_pack("{s:s}", "op", "list");
	else if (strcmp(method, "DELETE") == 0 && user) {
		const char *hub = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "hub");
		req = json_pack("{s:s, s:s, s:s?}", "op", "lift", "user", user, "hub", hub);
	} else if (strcmp(method, "PUT") == 0 && user) {
		req = body->len ? json_loadb(body->data, body->len, JSON_REJECT_DUPLICATES, NULL)
				: json_object();
		if (!json_is_object(req) || json_object_get(req, "op") ||
		    json_object_get(req, "user")) {
			json_decref(req);
			*why = "the body must be a JSON object (hub, for, reason, close, "
			       "issued_before); the user is the path's";
			return NULL;
		}
		json_object_set_new(req, "op", json_string("revoke"));
		json_object_set_new(req, "user", json_string(user));
	} else {
		*why = "GET " PREFIX ", PUT or DELETE " PREFIX "/USER";
		return NULL;
	}
	char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	*why = text ? NULL : "out of memory";
	return text;
}

static enum MHD_Result route(struct admin_http *a, struct MHD_Connection *conn, const char *url,
			     const char *method, const struct upload *up)
{
	const char *user = NULL, *why = NULL;
	if (strncmp(url, PREFIX, strlen(PREFIX)) != 0 ||
	    (url[strlen(PREFIX)] && url[strlen(PREFIX)] != '/'))
		return send_error(conn, 404, "no such admin path: " PREFIX " is the one");
	if (!authorized(a, conn)) {
		log_warning("admin API: refused a %s %s without the admin token", method, PREFIX);
		return send_error(conn, 401, "the admin API's bearer token is required");
	}
	if (up->too_big)
		return send_error(conn, 413, "the body is too large");
	if (url[strlen(PREFIX)] == '/' && url[strlen(PREFIX) + 1])
		user = url + strlen(PREFIX) + 1;
	char *request = request_for(conn, method, user, &up->body, &why);
	if (!request)
		return send_error(conn, strcmp(why, "out of memory") == 0 ? 500 : 400, why);
	struct buf answer = {0};
	unsigned status = admin_handle(a->list, "admin-api", request, strlen(request), &answer);
	enum MHD_Result rc =
		answer.failed ? MHD_NO : send_json(conn, status, answer.data, answer.len, false);
	buf_free(&answer);
	free(request);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **state)
{
	(void)version;
	struct upload *up = *state;
	if (!up) {
		*state = calloc(1, sizeof *up);
		return *state ? MHD_YES : MHD_NO;
	}
	if (*size) {
		if (up->body.len + *size > ADMIN_MAX_REQUEST)
			up->too_big = true;
		else
			buf_append(&up->body, data, *size);
		*size = 0;
		return MHD_YES;
	}
	return route(cls, conn, url, method, up);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
			 enum MHD_RequestTerminationCode code)
{
	(void)cls, (void)conn, (void)code;
	struct upload *up = *state;
	if (up)
		buf_free(&up->body);
	free(up);
	*state = NULL;
}

static int open_listener(struct admin_http *a, const char *addr, char *err, size_t err_len)
{
	struct listen_addr la;
	char why[256];
	int fd = -1;
	if (listen_parse(addr, &la, why, sizeof why) == 0)
		fd = listen_open(&la, 16, why, sizeof why);
	if (fd < 0)
		snprintf(err, err_len, "admin_listen: %s: %s", addr, why);
	else
		memcpy(a->unix_path, la.unix_path, sizeof a->unix_path);
	return fd;
}

struct admin_http *admin_http_start(const char *addr, const char *token_file,
				    struct revocations *list, char *err, size_t err_len)
{
	struct admin_http *a = calloc(1, sizeof *a);
	int fd = -1;
	if (!a || !token_file) {
		snprintf(err, err_len,
			 a ? "admin_listen needs [server] admin_token_file"
			   : "admin_listen: out of memory");
		free(a);
		return NULL;
	}
	a->list = list;
	if (load_token(a, token_file, err, err_len) == 0 &&
	    (fd = open_listener(a, addr, err, err_len)) >= 0)
		a->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
					  NULL, NULL, on_request, a, MHD_OPTION_LISTEN_SOCKET, fd,
					  MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
					  MHD_OPTION_CONNECTION_LIMIT, 16u,
					  MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (a->mhd)
		return a;
	if (fd >= 0) {
		snprintf(err, err_len, "admin_listen: %s: the HTTP server did not start", addr);
		close(fd);
	}
	free(a);
	return NULL;
}

void admin_http_stop(struct admin_http *a)
{
	if (!a)
		return;
	MHD_stop_daemon(a->mhd);
	if (a->unix_path[0])
		unlink(a->unix_path);
	explicit_bzero(a->digest, sizeof a->digest);
	free(a);
}
