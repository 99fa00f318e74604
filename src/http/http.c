/* libmicrohttpd glue, the only file that talks to it: caps sizes, fills one request struct,
 * routes it, and sends the reply. Per-request state is freed in MHD's completion callback. */
#include "http/http.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "edge/reply.h"
#include "edge/request.h"
#include "http/http_offload.h"
#include "http/observe.h"
#include "http/route.h"
#include "runtime/runtime.h"
#include "runtime/snapshot.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The size caps libmicrohttpd was started with: fixed until restart, copied so that they
 * outlive the snapshot they came from. */
struct http_limits {
	unsigned max_url_bytes, max_header_bytes, max_body_bytes, auth_failure_delay;
};

struct http_server {
	struct MHD_Daemon *mhd;
	struct http_limits limits;
	struct offload *offload; /* chains that may block, and delayed failures */
};

/* One request in flight, from the URI callback to the completion callback. */
struct pending {
	size_t target_len; /* the raw request-target, query included */
	uint64_t start_ns; /* when the request line arrived */
	bool started;
	bool body_too_large;
	struct buf body;
	struct deferred *deferred; /* suspended: answered off the HTTP thread */
	struct ngd_request req;	   /* kept across a suspension: the access log and metrics need it */
};

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls, (void)conn;
	struct pending *p = calloc(1, sizeof *p);
	if (p)
		p->target_len = strlen(uri), p->start_ns = monotonic_ns();
	return p;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state, enum MHD_RequestTerminationCode why)
{
	(void)cls, (void)conn, (void)why;
	struct pending *p = *state;
	if (p) {
		buf_free_secret(&p->body);
		deferred_free(p->deferred);
	}
	free(p);
	*state = NULL;
}

static const char *header_of(void *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

struct arg_count {
	const char *name;
	unsigned count;
};

static enum MHD_Result count_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct arg_count *c = cls;
	(void)kind, (void)value;
	c->count += strcmp(key, c->name) == 0;
	return MHD_YES;
}

static const char *query_of(void *conn, const char *name, unsigned *count)
{
	if (count) {
		struct arg_count c = {name, 0};
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, count_arg, &c);
		*count = c.count;
	}
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

struct arg_at {
	const char *name;
	unsigned index; /* counts down to the wanted occurrence */
	const char *value;
};

static enum MHD_Result find_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct arg_at *a = cls;
	(void)kind;
	if (strcmp(key, a->name) != 0)
		return MHD_YES;
	if (a->index-- > 0)
		return MHD_YES;
	a->value = value ? value : "";
	return MHD_NO;
}

static const char *query_at(void *conn, const char *name, unsigned index)
{
	struct arg_at a = {name, index, NULL};
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, find_arg, &a);
	return a.value;
}

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	*(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
	return MHD_YES;
}

static size_t header_bytes(struct MHD_Connection *conn)
{
	size_t total = 0;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, sum_header, &total);
	return total;
}

static void wipe_and_free(void *body)
{
	explicit_bzero(body, strlen(body)); /* it may carry a token; JSON has no NUL inside */
	free(body);
}

static void log_refusal(const struct ngd_request *req, const struct reply *r)
{
	char path[130];
	size_t i = 0;
	for (; req->path[i] && i < sizeof path - 2; i++) /* the path is the client's: no control bytes in logs */
		path[i] = (unsigned char)req->path[i] < 0x20 || req->path[i] == 0x7f ? '?' : req->path[i];
	path[i] = '\0';
	log_info("%s %s%s: %u %s: %s", req->method, path, req->path[i] ? "..." : "", r->status, r->code, r->message);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct reply *r);

/* req is NULL when only the reply was kept across a suspension (it was logged already); p->req is
 * the request as it arrived, for what is recorded about every answer. */
static enum MHD_Result answer(const struct runtime *rt, struct MHD_Connection *conn, struct pending *p,
			      const struct ngd_request *req, struct reply *r)
{
	log_set_request_id(p->req.request_id);
	if (r->status >= 400 && !r->logged && req)
		log_refusal(req, r);
	observe_end(rt, req ? req : &p->req, r, p->start_ns);
	return send_reply(conn, r);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct reply *r)
{
	static const char fallback[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
	size_t len = r->body.len;
	char *body = buf_steal(&r->body);
	struct MHD_Response *resp =
		body ? MHD_create_response_from_buffer_with_free_callback(len, body, wipe_and_free)
		     : MHD_create_response_from_buffer(sizeof fallback - 1, (void *)fallback, MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		if (body)
			wipe_and_free(body);
		return MHD_NO;
	}
	if (len || !body)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					r->content_type && body ? r->content_type : "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	for (unsigned i = 0; i < r->n_headers; i++)
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->www_authenticate[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, r->www_authenticate);
	if (r->retry_after) {
		char seconds[16];
		snprintf(seconds, sizeof seconds, "%u", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
	}
	enum MHD_Result ret = MHD_queue_response(conn, body ? r->status : 500, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void peer_of(struct MHD_Connection *conn, struct ngd_request *req)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	req->peer = ci ? ci->client_addr : NULL;
	req->peer_len = !req->peer			   ? 0
			: req->peer->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
			: req->peer->sa_family == AF_INET  ? sizeof(struct sockaddr_in)
							   : sizeof(sa_family_t);
}

static void client_of(const struct runtime *rt, struct MHD_Connection *conn, struct ngd_request *req)
{
	const char *forwarded = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For");
	req->peer_trusted =
		client_address(&rt->proxies, req->peer, forwarded, req->client_addr, sizeof req->client_addr);
}

static bool declared_body_too_large(struct MHD_Connection *conn, unsigned max)
{
	const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	return length && strtoull(length, NULL, 10) > max;
}

/* Size caps first, in the order the bytes arrived; then the route. */
static void handle(const struct http_server *srv, const struct runtime *rt, struct MHD_Connection *conn,
		   struct pending *p, struct ngd_request *req, struct reply *r)
{
	const struct http_limits *lim = &srv->limits;
	if (p->target_len > lim->max_url_bytes)
		reply_error(r, 414, "uri_too_long", "the request target is longer than %u bytes", lim->max_url_bytes);
	else if (header_bytes(conn) > lim->max_header_bytes)
		reply_error(r, 431, "headers_too_large", "the headers are larger than %u bytes", lim->max_header_bytes);
	else if (p->body_too_large)
		reply_error(r, 413, "body_too_large", "the body is larger than %u bytes", lim->max_body_bytes);
	else
		route(rt, req, r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **state)
{
	const struct http_server *srv = cls;
	struct pending *p = *state;
	(void)version;
	if (!p)
		return MHD_NO; /* the URI callback could not allocate: drop the connection */
	if (p->deferred)       /* resumed: the answer was made off this thread */
		return answer(snapshot_thread_current(), conn, p, deferred_request(p->deferred),
			      deferred_reply(p->deferred));
	if (!p->started) {
		p->started = true; /* answer only once the whole request is in, or keep-alive breaks */
		if (!declared_body_too_large(conn, srv->limits.max_body_bytes))
			return MHD_YES;
		p->body_too_large = true; /* refuse before reading it; the connection then closes */
	} else if (*upload_size) {
		/* past the cap the rest is read and dropped: 0.9.75 cannot answer mid-upload */
		p->body_too_large |= p->body.len + *upload_size > srv->limits.max_body_bytes;
		if (!p->body_too_large)
			buf_append(&p->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	struct ngd_request *req = &p->req;
	*req = (struct ngd_request){
		.method = method,
		.path = url,
		.src = {header_of, query_of, query_at, conn},
		.body = p->body.data ? p->body.data : "",
		.body_len = p->body.len,
	};
	struct reply r = {0};
	/* this request runs to its reply on the snapshot current now, even if a reload swaps it */
	const struct runtime *rt = snapshot_thread_current();
	peer_of(conn, req);
	client_of(rt, conn, req);
	/* only a trusted proxy's id is believed: others' are not even looked up */
	observe_begin(req, req->peer_trusted ? header_of(conn, "X-Request-Id") : NULL);
	handle(srv, rt, conn, p, req, &r);
	if (offload_wanted(&r, srv->limits.auth_failure_delay) &&
	    offload(srv->offload, rt, conn, req, &r, &p->deferred) == 0)
		return log_set_request_id(NULL), MHD_YES;
	return answer(rt, conn, p, req, &r);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	(void)cls;
	vsnprintf(line, sizeof line, fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("libmicrohttpd: %s", line);
}

struct http_server *http_start(const struct config_server *lim, int listen_fd)
{
	struct http_server *srv = calloc(1, sizeof *srv);
	if (!srv)
		return NULL;
	srv->limits = (struct http_limits){lim->max_url_bytes, lim->max_header_bytes, lim->max_body_bytes,
					   lim->auth_failure_delay};
	if (!(srv->offload = offload_start(lim))) {
		free(srv);
		return NULL;
	}
	/* room for the request line, the headers and the reply's header block, so our caps answer
	 * first; no more, because libmicrohttpd zeroes the whole pool between keep-alive requests */
	size_t memory = (size_t)lim->max_url_bytes + lim->max_header_bytes + 2048;
	srv->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
					    MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC,
				    0, NULL, NULL, on_request, srv, MHD_OPTION_LISTEN_SOCKET, listen_fd,
				    MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_NOTIFY_COMPLETED,
				    on_completed, NULL, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
				    MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory, MHD_OPTION_CONNECTION_TIMEOUT,
				    (unsigned int)lim->connection_timeout, MHD_OPTION_THREAD_POOL_SIZE,
				    (unsigned int)(lim->threads > 1 ? lim->threads : 0), MHD_OPTION_END);
	if (!srv->mhd) {
		log_error("cannot start the HTTP server on the listening socket");
		offload_free(srv->offload);
		free(srv);
		return NULL;
	}
	return srv;
}

int http_stop(struct http_server *srv)
{
	if (!srv)
		return -1;
	offload_stop(srv->offload); /* MHD must not be stopped with suspended connections */
	/* take the listening socket back first (needs MHD_USE_ITC): MHD_stop_daemon would shut it
	 * down, and a socket systemd passed in must keep its queue for the next process */
	MHD_socket fd = MHD_quiesce_daemon(srv->mhd);
	MHD_stop_daemon(srv->mhd);
	offload_free(srv->offload);
	free(srv);
	return fd == MHD_INVALID_SOCKET ? -1 : (int)fd;
}
