/* SPDX-License-Identifier: Apache-2.0 */
/* libmicrohttpd glue: checks the request head (sizes, counts, framing), fills one request struct,
 * routes it, and sends the reply. Per-request state lives in the per-connection state, which the
 * connection's close notification frees: the completion callback does not come on every path. */
#include "http/http.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "edge/allowed_hosts.h"
#include "edge/reply.h"
#include "edge/request.h"
#include "http/http_conn.h"
#include "http/http_guard.h"
#include "http/http_offload.h"
#include "http/observe.h"
#include "http/query_table.h"
#include "http/route.h"
#include "runtime/runtime.h"
#include "runtime/snapshot.h"

#include <microhttpd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The size caps libmicrohttpd was started with: fixed until restart, copied so that they
 * outlive the snapshot they came from. */
struct http_limits {
	unsigned max_url_bytes, max_header_bytes, max_body_bytes, auth_failure_delay;
};

struct http_server {
	struct MHD_Daemon *mhd;
	struct http_limits limits;
	struct offload *offload;   /* chains that may block, and delayed failures */
	struct conn_watch *watch;  /* every connection, and the deadline of its request head */
	_Atomic unsigned requests; /* from the request line until its answer is sent (or dropped) */
};

/* How long a stop waits for the answers of the requests it found in flight (SIGTERM drains). */
#define DRAIN_MS 5000

/* One request in flight, from the URI callback to the completion callback (or the close). */
struct pending {
	size_t target_len; /* the raw request-target, query included */
	uint64_t start_ns; /* when the request line arrived */
	bool started;
	bool body_too_large;
	bool too_many_args; /* the query was not parsed: answered 414 */
	const char
		*target_end; /* the URI callback's string ended here, in libmicrohttpd's buffer */
	bool nul_in_path;    /* "%00" in the raw path */
	bool counted;	     /* in http_server.requests until its completion or close */
	bool head_refused;   /* answered on the second call, which keeps the connection */
	struct buf body;
	struct deferred *deferred; /* suspended: answered off the HTTP thread */
	struct ngd_request req; /* kept across a suspension: the access log and metrics need it */
};

/* One connection; libmicrohttpd serves its requests one at a time, so one pending is enough. */
struct connection {
	struct conn_entry entry;
	bool on_unix; /* a unix socket: only the local proxy reaches it */
	char local_host[INET6_ADDRSTRLEN +
			3]; /* the address the client connected to, as a Host names it */
	struct pending req;
	struct query_table
		query; /* outside pending: 2.5 KB that clearing the request leaves alone */
};

static struct connection *connection_of(struct pending *p)
{
	return (struct connection *)((char *)p - offsetof(struct connection, req));
}

/* The request left the server: answered, or its connection closed. */
static void request_done(struct http_server *srv, struct pending *p)
{
	if (!p->counted)
		return;
	p->counted = false;
	atomic_fetch_sub_explicit(&srv->requests, 1, memory_order_release);
}

static void pending_clear(struct pending *p)
{
	buf_free_secret(&p->body);
	deferred_free(p->deferred);
	*p = (struct pending){0};
}

/* Once per connection: what the default Host check admits besides the loopback names. */
static void local_host_of(int fd, struct connection *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char text[INET6_ADDRSTRLEN];
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return; /* nothing besides the loopback names */
	c->on_unix = ss.ss_family == AF_UNIX;
	if (ss.ss_family == AF_INET &&
	    inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, text, sizeof text))
		snprintf(c->local_host, sizeof c->local_host, "%s", text);
	else if (ss.ss_family == AF_INET6 &&
		 inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, text, sizeof text))
		snprintf(c->local_host, sizeof c->local_host, "[%s]", text);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode what)
{
	struct http_server *srv = cls;
	struct connection *c = *socket_context;
	if (what == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!fd || !(c = calloc(1, sizeof *c)))
			return; /* the URI callback then has no state: the connection is dropped */
		conn_watch_add(srv->watch, &c->entry, fd->connect_fd);
		local_host_of(fd->connect_fd, c);
		*socket_context = c;
	} else if (c) {
		conn_watch_remove(srv->watch, &c->entry);
		request_done(srv, &c->req);
		pending_clear(&c->req);
		free(c);
		*socket_context = NULL;
	}
}

/* Called on the request line, before libmicrohttpd parses the query into its pool. An argument
 * record costs more pool than its bytes in the target, so a flood of them would fill the pool and
 * leave the request unanswered: past the cap, the query is cut off here (the buffer is the one
 * 0.9.75 is about to parse from the '?' on) and the request is answered 414. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *srv = cls;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct connection *c = ci ? ci->socket_context : NULL;
	if (!c)
		return NULL;
	struct pending *p = &c->req;
	request_done(srv, p);
	pending_clear(p); /* what an earlier request left, if its completion never came */
	p->counted = true;
	atomic_fetch_add_explicit(&srv->requests, 1, memory_order_relaxed);
	p->target_len = strlen(uri), p->start_ns = monotonic_ns();
	p->target_end = uri + p->target_len;
	p->nul_in_path = path_has_nul(uri);
	if (query_arg_count(uri) > HTTP_MAX_QUERY_ARGS) {
		p->too_many_args = true;
		strchr((char *)uri, '?')[1] = '\0';
	}
	return p;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
			 enum MHD_RequestTerminationCode why)
{
	struct http_server *srv = cls;
	struct pending *p = *state;
	(void)conn, (void)why;
	if (p) {
		request_done(srv, p);
		pending_clear(p);
		conn_watch_next_head(srv->watch, &connection_of(p)->entry);
	}
	*state = NULL;
}

/* What the request accessors read: headers from libmicrohttpd, the query from the table. */
static const char *header_of(void *table, const char *name)
{
	return MHD_lookup_connection_value(((struct query_table *)table)->conn, MHD_HEADER_KIND,
					   name);
}

static const char *query_of(void *table, const char *name, unsigned *count)
{
	return query_table_first(table, name, count);
}

static const char *query_at(void *table, const char *name, unsigned index)
{
	return query_table_at(table, name, index);
}

static const char *query_name_at(void *table, unsigned index)
{
	return query_table_name_at(table, index);
}

/* libmicrohttpd has the sizes already: no strlen per header. */
static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind, const char *key,
				  size_t key_size, const char *value, size_t value_size)
{
	(void)kind, (void)key;
	*(size_t *)cls += key_size + (value ? value_size : 0) + 4; /* ": " and CRLF */
	return MHD_YES;
}

static size_t header_bytes(struct MHD_Connection *conn)
{
	size_t total = 0;
	MHD_get_connection_values_n(conn, MHD_HEADER_KIND, sum_header, &total);
	return total;
}

static void wipe_and_free(void *body)
{
	explicit_bzero(body, strlen(body)); /* it may carry a token; JSON has no NUL inside */
	free(body);
}

/* Method, path and message may hold the client's bytes: JSON-quoted, as the audit line quotes. */
static void log_refusal(const struct ngd_request *req, const struct reply *r)
{
	char method[33], path[129];
	struct buf line = {0};
	snprintf(method, sizeof method, "%s", req->method);
	snprintf(path, sizeof path, "%s", req->path);
	buf_json_string(&line, method);
	buf_puts(&line, " ");
	buf_json_string(&line, path);
	/* cut short: longer than the copy (read no further than its NUL: a copied path ends there)
	 */
	bool cut = strnlen(req->path, sizeof path) == sizeof path;
	buf_printf(&line, "%s: %u %s: ", cut ? "..." : "", r->status, r->code);
	buf_json_chars(&line, r->message);
	if (!line.failed)
		log_text(LOG_LEVEL_INFO, line.data, line.len);
	buf_free(&line);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct reply *r);

/* req is NULL when only the reply was kept across a suspension (it was logged already); p->req is
 * the request as it arrived, for what is recorded about every answer. */
static enum MHD_Result answer(const struct runtime *rt, struct MHD_Connection *conn,
			      struct pending *p, const struct ngd_request *req, struct reply *r)
{
	log_set_request_id(p->req.request_id);
	if (r->status >= 400 && !r->logged && req && log_wants(LOG_LEVEL_INFO))
		log_refusal(req, r);
	observe_end(rt, req ? req : &p->req, r, p->start_ns);
	return send_reply(conn, r);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct reply *r)
{
	static const char fallback[] =
		"{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
	size_t len = r->body.len;
	char *body = buf_steal(&r->body);
	struct MHD_Response *resp =
		body ? MHD_create_response_from_buffer_with_free_callback(len, body, wipe_and_free)
		     : MHD_create_response_from_buffer(sizeof fallback - 1, (void *)fallback,
						       MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		if (body)
			wipe_and_free(body);
		return MHD_NO;
	}
	bool untyped = body && r->content_type && !r->content_type[0]; /* "": no Content-Type */
	if ((len || !body) && !untyped)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					r->content_type && body ? r->content_type
								: "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	for (unsigned i = 0; i < r->n_headers; i++)
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->www_authenticate[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					r->www_authenticate);
	if (r->close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
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
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	req->peer = ci ? ci->client_addr : NULL;
	req->peer_len = 0;
	if (req->peer && req->peer->sa_family == AF_INET6)
		req->peer_len = sizeof(struct sockaddr_in6);
	else if (req->peer && req->peer->sa_family == AF_INET)
		req->peer_len = sizeof(struct sockaddr_in);
	else if (req->peer)
		req->peer_len = sizeof(sa_family_t);
}

/* Every X-Forwarded-For line, joined in order as one list would be: a proxy that appends its own
 * line (HAProxy) puts the address it saw last, where the walk from the right starts. Past the cap
 * only the rightmost whole entries are kept; the walk reads at most NGD_MAX_FORWARDED_HOPS anyway.
 */
struct forwarded {
	const char *line[HTTP_MAX_HEADERS];
	size_t line_len[HTTP_MAX_HEADERS], lines;
	char joined[1024];
};

static enum MHD_Result collect_forwarded(void *cls, enum MHD_ValueKind kind, const char *key,
					 size_t key_size, const char *value, size_t value_size)
{
	struct forwarded *f = cls;
	(void)kind;
	if (key_size == 15 && strncasecmp(key, "X-Forwarded-For", 15) == 0 &&
	    f->lines < HTTP_MAX_HEADERS) {
		f->line[f->lines] = value ? value : "";
		f->line_len[f->lines++] = value ? value_size : 0;
	}
	return MHD_YES;
}

/* How much of the end of a line fits in room bytes, cut at an entry boundary; *from: where. */
static size_t tail_entries(const char *line, size_t len, size_t room, const char **from)
{
	if (len <= room) {
		*from = line;
		return len;
	}
	const char *tail = line + len - room;
	const char *comma = memchr(tail, ',', room);
	*from = comma ? comma + 1 : tail;
	return comma ? room - (size_t)(comma + 1 - tail) : 0;
}

/* The lines joined right to left into the end of f->joined, as many whole entries as fit. */
static const char *forwarded_join(struct forwarded *f)
{
	char *start = f->joined + sizeof f->joined - 1;
	*start = '\0';
	for (size_t i = f->lines; i-- > 0;) {
		size_t room = (size_t)(start - f->joined), need = f->line_len[i] + (i ? 2 : 0);
		if (need > room) { /* the last that fits: no separator, nothing further left */
			const char *from;
			size_t keep = tail_entries(f->line[i], f->line_len[i], room, &from);
			start -= keep;
			memcpy(start, from, keep);
			break;
		}
		start -= f->line_len[i];
		memcpy(start, f->line[i], f->line_len[i]);
		if (i)
			start -= 2, memcpy(start, ", ", 2);
	}
	return start;
}

static void client_of(const struct runtime *rt, struct MHD_Connection *conn,
		      struct ngd_request *req)
{
	struct forwarded f;
	const char *forwarded = NULL;
	f.lines = 0;
	MHD_get_connection_values_n(conn, MHD_HEADER_KIND, collect_forwarded, &f);
	if (f.lines == 1)
		forwarded = f.line[0];
	else if (f.lines > 1)
		forwarded = forwarded_join(&f);
	req->peer_trusted = client_address(&rt->proxies, req->peer, forwarded, req->client_addr,
					   sizeof req->client_addr);
}

/* DNS rebinding: a page whose name now resolves to this listener sends its own name as Host. With
 * [server] allowed_hosts only those; else a unix socket (the proxy chose the site) admits any, and
 * a TCP listener the loopback names and the address connected to. HTTP/1.0 may omit Host. */
static bool host_refused(const struct runtime *rt, const struct connection *c,
			 struct MHD_Connection *conn, struct reply *r)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	size_t len = host ? strlen(host) : 0;
	bool admitted;
	if (!host || !host[0])
		return false; /* no browser omits Host or sends it empty */
	if (rt->hosts_listed)
		admitted = allowed_hosts_match(&rt->allowed_hosts, host, len);
	else
		admitted = c->on_unix || allowed_hosts_default_match(host, len, c->local_host);
	if (admitted)
		return false;
	reply_error(r, 421, "misdirected_request",
		    "this server does not answer for the host in the Host header; [server] "
		    "allowed_hosts lists those "
		    "it does");
	return true;
}

/* Called once the head is checked, so Content-Length is digits and Transfer-Encoding is chunked. */
static bool declares_body(struct MHD_Connection *conn)
{
	const char *length =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_TRANSFER_ENCODING) ||
	       (length && strtoull(length, NULL, 10) > 0);
}

static bool declared_body_too_large(struct MHD_Connection *conn, unsigned max)
{
	const char *length =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	return length && strtoull(length, NULL, 10) > max;
}

/* The head, once it is all in: caps in the order the bytes arrived, then its framing. True when
 * refused (the answer in r); a body it declared is then not read, so the connection closes. */
static bool head_refused(const struct http_server *srv, struct MHD_Connection *conn,
			 const char *method, const char *version, struct pending *p,
			 struct reply *r)
{
	const struct http_limits *lim = &srv->limits;
	if (p->target_len > lim->max_url_bytes)
		reply_error(r, 414, "uri_too_long", "the request target is longer than %u bytes",
			    lim->max_url_bytes);
	else if (p->too_many_args)
		reply_error(r, 414, "too_many_arguments", "more than %d query arguments",
			    HTTP_MAX_QUERY_ARGS);
	else if (header_bytes(conn) > lim->max_header_bytes)
		reply_error(r, 431, "headers_too_large", "the headers are larger than %u bytes",
			    lim->max_header_bytes);
	else if (guard_target(p->target_end, p->nul_in_path, version, r) == 0 &&
		 guard_head(conn, method, version, r) == 0 &&
		 !declared_body_too_large(conn, lim->max_body_bytes))
		return false;
	else if (!r->status)
		p->body_too_large = true;
	r->close |= declares_body(conn);
	return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	const struct http_server *srv = cls;
	struct pending *p = *state;
	struct reply r = {0};
	struct resumable *wait = NULL;
	if (!p)
		return MHD_NO; /* no per-connection state (out of memory at accept): drop the
				  connection */
	if (p->deferred)       /* resumed: the answer was made off this thread */
		return answer(snapshot_thread_current(), conn, p, deferred_request(p->deferred),
			      deferred_reply(p->deferred));
	if (!p->started) {
		p->started =
			true; /* answer only once the whole request is in, or keep-alive breaks */
		conn_watch_head_in(srv->watch, &connection_of(p)->entry);
		if (!head_refused(srv, conn, method, version, p, &r))
			return MHD_YES;
		if (!r.close) { /* an answer queued on this first call would end the connection
				   (0.9.75) */
			p->head_refused = true;
			buf_free(&r.body);
			return MHD_YES;
		} /* else answered now, before any body is read */
	} else if (p->head_refused) {
		head_refused(srv, conn, method, version, p,
			     &r); /* the same answer again, now that it keeps */
	} else if (*upload_size) {
		/* past the cap the rest is read and dropped: 0.9.75 cannot answer mid-upload */
		p->body_too_large |= p->body.len + *upload_size > srv->limits.max_body_bytes;
		if (!p->body_too_large)
			buf_append(&p->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	struct ngd_request *req = &p->req;
	query_table_reset(&connection_of(p)->query, conn);
	*req = (struct ngd_request){
		.method = method,
		.path = url,
		.src = {header_of, query_of, query_at, &connection_of(p)->query, query_name_at},
		.body = p->body.data ? p->body.data : "",
		.body_len = p->body.len,
	};
	route_find(req);
	/* this request runs to its reply on the snapshot current now, even if a reload swaps it */
	const struct runtime *rt = snapshot_thread_current();
	peer_of(conn, req);
	client_of(rt, conn, req);
	if (!r.status) /* before anything reads the request */
		host_refused(rt, connection_of(p), conn, &r);
	/* only a trusted proxy's id is believed: others' are not even looked up */
	observe_begin(req, req->peer_trusted ? MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
									   "X-Request-Id")
					     : NULL);
	if (!r.status && p->body_too_large)
		reply_error(&r, 413, "body_too_large", "the body is larger than %u bytes",
			    srv->limits.max_body_bytes);
	else if (!r.status) /* not refused on its head */
		route(rt, req, &r, &wait);
	if (offload_wanted(&r, wait, srv->limits.auth_failure_delay) &&
	    offload(srv->offload, rt, conn, req, &r, wait, &p->deferred) == 0) {
		log_set_request_id(NULL);
		return MHD_YES;
	}
	return answer(rt, conn, p, req, &r);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
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
	srv->limits = (struct http_limits){lim->max_url_bytes, lim->max_header_bytes,
					   lim->max_body_bytes, lim->auth_failure_delay};
	route_set_event_handler_path(lim->event_handler_path); /* restart-only: set once */
	if (!(srv->watch = conn_watch_start(lim->header_timeout))) {
		log_error("cannot start the connection watchdog");
		free(srv);
		return NULL;
	}
	if (!(srv->offload = offload_start(lim))) {
		conn_watch_free(srv->watch);
		free(srv);
		return NULL;
	}
	/* room for the request line, the headers, their records and the reply's header block, so
	 * our caps answer first; no more, because libmicrohttpd zeroes the whole pool between
	 * requests */
	size_t memory = (size_t)lim->max_url_bytes + lim->max_header_bytes + 2048 +
			(size_t)(HTTP_MAX_QUERY_ARGS + HTTP_MAX_HEADERS) * HTTP_POOL_RECORD_BYTES;
	srv->mhd = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
			MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC,
		0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION,
		on_connection, srv, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)lim->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)lim->max_connections_per_address,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)lim->connection_timeout, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned int)(lim->threads > 1 ? lim->threads : 0), MHD_OPTION_END);
	if (!srv->mhd) {
		log_error("cannot start the HTTP server on the listening socket");
		offload_free(srv->offload);
		conn_watch_free(srv->watch);
		free(srv);
		return NULL;
	}
	return srv;
}

/* Lets libmicrohttpd send the answers of the requests in flight (those offload_stop resumed
 * included) before the stop closes their connections; bounded by DRAIN_MS. */
static void wait_for_answers(struct http_server *srv)
{
	const struct timespec tick = {0, 10 * 1000 * 1000};
	for (int waited = 0; waited < DRAIN_MS; waited += 10) {
		if (!atomic_load_explicit(&srv->requests, memory_order_acquire))
			return;
		nanosleep(&tick, NULL);
	}
	log_warning("stopping with %u requests unanswered after %d ms", atomic_load(&srv->requests),
		    DRAIN_MS);
}

int http_stop(struct http_server *srv)
{
	if (!srv)
		return -1;
	offload_stop(srv->offload); /* MHD must not be stopped with suspended connections */
	/* take the listening socket back first (needs MHD_USE_ITC): MHD_stop_daemon would shut it
	 * down, and a socket systemd passed in must keep its queue for the next process */
	MHD_socket fd = MHD_quiesce_daemon(srv->mhd);
	wait_for_answers(srv);
	MHD_stop_daemon(srv->mhd);
	offload_free(srv->offload);
	conn_watch_free(srv->watch); /* every connection closed with the daemon */
	free(srv);
	return fd == MHD_INVALID_SOCKET ? -1 : (int)fd;
}
