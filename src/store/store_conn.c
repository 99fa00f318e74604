/* SPDX-License-Identifier: Apache-2.0 */
/* A blocking-looking connection built on a non-blocking socket and poll(): every step waits at
 * most until the call's deadline, so a dead or silent server costs at most [store] timeout. */
#include "store/store_conn.h"

#include "core/clock.h"
#include "store/store_reply.h"
#include "store/store_sentinel.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int remaining_ms(uint64_t deadline_ns)
{
	uint64_t now = monotonic_ns();
	if (now >= deadline_ns)
		return 0;
	return (int)((deadline_ns - now + 999999) / 1000000);
}

/* 0 when fd is ready for events before the deadline, -1 on timeout or error. */
static int wait_fd(int fd, short events, uint64_t deadline_ns)
{
	struct pollfd p = {.fd = fd, .events = events};
	for (;;) {
		int ms = remaining_ms(deadline_ns);
		if (ms == 0)
			return -1;
		int n = poll(&p, 1, ms);
		if (n > 0)
			return 0;
		if (n == 0 || errno != EINTR)
			return -1;
	}
}

static int nonblocking_socket(int family)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && family != AF_UNIX) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	return fd;
}

/* connect() that waits for the handshake until the deadline. */
static int connect_until(int fd, const struct sockaddr *addr, socklen_t len, uint64_t deadline_ns)
{
	int soerr = 0;
	socklen_t soerr_len = sizeof soerr;
	if (connect(fd, addr, len) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN)
		return -1;
	if (wait_fd(fd, POLLOUT, deadline_ns) < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) < 0 || soerr) {
		errno = soerr ? soerr : errno;
		return -1;
	}
	return 0;
}

static int connect_unix(const struct store_url *url, uint64_t deadline_ns, char *err,
			size_t err_len)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = nonblocking_socket(AF_UNIX);
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", url->path);
	if (fd >= 0 && connect_until(fd, (struct sockaddr *)&sun, sizeof sun, deadline_ns) == 0)
		return fd;
	snprintf(err, err_len, "cannot connect to unix:%s: %s", url->path,
		 errno ? strerror(errno) : "timed out");
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Resolves the host (a name is resolved by the system's resolver, which the deadline does not
 * bound: name the server by address or /etc/hosts for a strict bound) and connects to the first
 * address that answers. */
static int connect_tcp(const struct store_url *url, uint64_t deadline_ns, char *err, size_t err_len)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *list = NULL;
	char port[8];
	snprintf(port, sizeof port, "%u", url->port);
	int rc = getaddrinfo(url->host, port, &hints, &list);
	if (rc != 0) {
		snprintf(err, err_len, "cannot resolve %s: %s", url->host, gai_strerror(rc));
		return -1;
	}
	int fd = -1;
	errno = 0;
	for (struct addrinfo *a = list; a && fd < 0; a = a->ai_next) {
		fd = nonblocking_socket(a->ai_family);
		if (fd >= 0 && connect_until(fd, a->ai_addr, a->ai_addrlen, deadline_ns) < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(list);
	if (fd < 0)
		snprintf(err, err_len, "cannot connect to %s:%u: %s", url->host, url->port,
			 errno ? strerror(errno) : "timed out");
	return fd;
}

/* Waits as OpenSSL asks after a call returned rc; 0 to retry, -1 on failure or deadline. */
static int tls_wait(struct store_conn *c, int rc, uint64_t deadline_ns)
{
	int e = SSL_get_error(c->ssl, rc);
	if (e == SSL_ERROR_WANT_READ)
		return wait_fd(c->fd, POLLIN, deadline_ns);
	if (e == SSL_ERROR_WANT_WRITE)
		return wait_fd(c->fd, POLLOUT, deadline_ns);
	return -1;
}

static int tls_start(struct store_conn *c, SSL_CTX *tls, const char *host, uint64_t deadline_ns,
		     char *err, size_t err_len)
{
	if (!(c->ssl = SSL_new(tls)) || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_set1_host(c->ssl, host) != 1 || SSL_set_tlsext_host_name(c->ssl, host) != 1) {
		snprintf(err, err_len, "cannot set up TLS for %s", host);
		return -1;
	}
	SSL_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
	for (;;) {
		int rc = SSL_connect(c->ssl);
		if (rc == 1)
			return 0;
		if (tls_wait(c, rc, deadline_ns) < 0)
			break;
	}
	long verify = SSL_get_verify_result(c->ssl);
	if (verify != X509_V_OK)
		snprintf(err, err_len, "TLS with %s: the server's certificate is refused: %s", host,
			 X509_verify_cert_error_string(verify));
	else
		snprintf(err, err_len, "TLS handshake with %s failed or timed out", host);
	ERR_clear_error();
	return -1;
}

static int write_all(struct store_conn *c, const char *data, size_t len, uint64_t deadline_ns)
{
	while (len) {
		ssize_t n;
		if (c->ssl) {
			size_t written = 0;
			int rc = SSL_write_ex(c->ssl, data, len, &written);
			if (rc != 1) {
				if (tls_wait(c, rc, deadline_ns) < 0)
					return -1;
				continue;
			}
			n = (ssize_t)written;
		} else {
			n = send(c->fd, data, len, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				if (wait_fd(c->fd, POLLOUT, deadline_ns) < 0)
					return -1;
				continue;
			}
			if (n <= 0)
				return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Some bytes into buf: their count, or -1 (closed, error, deadline). */
static ssize_t read_some(struct store_conn *c, char *buf, size_t len, uint64_t deadline_ns)
{
	for (;;) {
		if (c->ssl) {
			size_t got = 0;
			int rc = SSL_read_ex(c->ssl, buf, len, &got);
			if (rc == 1)
				return (ssize_t)got;
			if (tls_wait(c, rc, deadline_ns) < 0)
				return -1;
			continue;
		}
		ssize_t n = recv(c->fd, buf, len, 0);
		if (n > 0)
			return n;
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			return -1;
		if (wait_fd(c->fd, POLLIN, deadline_ns) < 0)
			return -1;
	}
}

static int read_reply(struct store_conn *c, uint64_t deadline_ns, redisReply **reply)
{
	char buf[4096];
	size_t total = 0;
	void *r = NULL;
	for (;;) {
		if (redisReaderGetReply(c->reader, &r) != REDIS_OK)
			return -1; /* a protocol error: the stream cannot be trusted any more */
		if (r) {
			*reply = r;
			return 0;
		}
		ssize_t n = read_some(c, buf, sizeof buf, deadline_ns);
		if (n <= 0 ||
		    (total += (size_t)n) > (c->max_bytes ? c->max_bytes : STORE_REPLY_MAX_BYTES))
			return -1;
		if (redisReaderFeed(c->reader, buf, (size_t)n) != REDIS_OK)
			return -1;
	}
}

static int call_until(struct store_conn *c, int argc, const char **argv, const size_t *lens,
		      uint64_t deadline_ns, redisReply **reply)
{
	char *cmd = NULL;
	int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
	if (len < 0)
		return -1;
	int rc = write_all(c, cmd, (size_t)len, deadline_ns);
	explicit_bzero(cmd, (size_t)len); /* an AUTH holds a password, a SET may carry a token */
	redisFreeCommand(cmd);
	return rc < 0 ? -1 : read_reply(c, deadline_ns, reply);
}

int store_conn_call(struct store_conn *c, int argc, const char **argv, const size_t *lens,
		    unsigned timeout_ms, redisReply **reply, char *err, size_t err_len)
{
	uint64_t deadline = monotonic_ns() + (uint64_t)timeout_ms * 1000000u;
	*reply = NULL;
	if (c->fd < 0) {
		snprintf(err, err_len, "not connected");
		return -1;
	}
	if (call_until(c, argc, argv, lens, deadline, reply) < 0) {
		snprintf(err, err_len, "no answer within %u ms (or the connection broke)",
			 timeout_ms);
		store_conn_close(c);
		return -1;
	}
	if (!store_reply_is_readonly(*reply))
		return 0;
	/* a primary demoted to a replica: the next open asks the sentinels again */
	freeReplyObject(*reply);
	*reply = NULL;
	snprintf(err, err_len, "the server is a read-only replica now (READONLY)");
	store_conn_close(c);
	return -1;
}

/* AUTH [user] password (call_until wipes the formatted command, which holds the password). */
static enum store_open_result authenticate(struct store_conn *c, const char *user,
					   const char *password, uint64_t deadline_ns, char *err,
					   size_t err_len)
{
	redisReply *r = NULL;
	const char *argv[3] = {"AUTH", user ? user : password, password};
	size_t lens[3] = {4, strlen(argv[1]), strlen(password)};
	if (call_until(c, user ? 3 : 2, argv, lens, deadline_ns, &r) < 0) {
		snprintf(err, err_len, "no answer to AUTH within the timeout");
		return STORE_OPEN_IO;
	}
	bool ok = store_reply_is_ok(r);
	if (!ok)
		store_reply_error_text(r, "AUTH", err, err_len);
	freeReplyObject(r);
	return ok ? STORE_OPEN_OK : STORE_OPEN_AUTH;
}

static enum store_open_result select_db(struct store_conn *c, unsigned db_number,
					uint64_t deadline_ns, char *err, size_t err_len)
{
	redisReply *r = NULL;
	char db[12];
	const char *argv[2] = {"SELECT", db};
	size_t lens[2] = {6, (size_t)snprintf(db, sizeof db, "%u", db_number)};
	if (call_until(c, 2, argv, lens, deadline_ns, &r) < 0) {
		snprintf(err, err_len, "no answer to SELECT within the timeout");
		return STORE_OPEN_IO;
	}
	bool ok = store_reply_is_ok(r);
	if (!ok)
		store_reply_error_text(r, "SELECT", err, err_len);
	freeReplyObject(r);
	if (ok)
		return STORE_OPEN_OK;
	return store_reply_is_auth_error_text(err) ? STORE_OPEN_AUTH : STORE_OPEN_IO;
}

enum store_open_result store_conn_open_at(struct store_conn *c, const struct store_url *addr,
					  const struct store_login *login, SSL_CTX *tls,
					  uint64_t deadline_ns, char *err, size_t err_len)
{
	*c = (struct store_conn){.fd = -1};
	if (addr->transport == STORE_UNIX)
		c->fd = connect_unix(addr, deadline_ns, err, err_len);
	else
		c->fd = connect_tcp(addr, deadline_ns, err, err_len);
	if (c->fd < 0)
		return STORE_OPEN_IO;
	if (addr->transport == STORE_TLS &&
	    tls_start(c, tls, addr->host, deadline_ns, err, err_len) < 0) {
		store_conn_close(c);
		return STORE_OPEN_IO;
	}
	if (!(c->reader = store_reader_new())) {
		snprintf(err, err_len, "out of memory");
		store_conn_close(c);
		return STORE_OPEN_IO;
	}
	enum store_open_result r = STORE_OPEN_OK;
	if (login->password)
		r = authenticate(c, login->user, login->password, deadline_ns, err, err_len);
	if (r == STORE_OPEN_OK && login->select_db)
		r = select_db(c, addr->db, deadline_ns, err, err_len);
	if (r != STORE_OPEN_OK)
		store_conn_close(c);
	return r;
}

enum store_open_result store_conn_open(struct store_conn *c, const struct store_conn_opts *o,
				       char *err, size_t err_len)
{
	uint64_t deadline = monotonic_ns() + (uint64_t)o->timeout_ms * 1000000u;
	struct store_login login = {.user = o->user, .password = o->password, .select_db = true};
	enum store_open_result r =
		o->url->n_sentinels
			? store_sentinel_open(c, o, deadline, err, err_len)
			: store_conn_open_at(c, o->url, &login, o->tls, deadline, err, err_len);
	if (r == STORE_OPEN_OK) /* logged in with this password: kept to see when it is replaced */
		c->generation = o->generation, c->expires_at = o->expires_at;
	return r;
}

enum store_open_result store_conn_auth(struct store_conn *c, const struct store_conn_opts *o,
				       char *err, size_t err_len)
{
	enum store_open_result r = STORE_OPEN_IO;
	if (c->fd < 0 || !o->password)
		snprintf(err, err_len, "not connected, or no password");
	else
		r = authenticate(c, o->user, o->password,
				 monotonic_ns() + (uint64_t)o->timeout_ms * 1000000u, err, err_len);
	if (r == STORE_OPEN_OK)
		c->generation = o->generation, c->expires_at = o->expires_at;
	else
		store_conn_close(c);
	return r;
}

void store_conn_close(struct store_conn *c)
{
	if (c->ssl)
		SSL_free(c->ssl); /* no close_notify: the socket may be dead; Redis does not need it
				   */
	if (c->fd >= 0)
		close(c->fd);
	if (c->reader)
		redisReaderFree(c->reader);
	*c = (struct store_conn){.fd = -1};
}

int store_conn_widen(struct store_conn *c, int max_elements, size_t max_bytes)
{
	redisReader *wide = store_reader_new_max(max_elements);
	if (!wide) {
		store_conn_close(c);
		return -1;
	}
	redisReaderFree(c->reader);
	c->reader = wide;
	c->max_bytes = max_bytes;
	return 0;
}

int store_conn_send(struct store_conn *c, int argc, const char **argv, const size_t *lens,
		    unsigned timeout_ms)
{
	uint64_t deadline = monotonic_ns() + (uint64_t)timeout_ms * 1000000u;
	char *cmd = NULL;
	int len = c->fd < 0 ? -1 : redisFormatCommandArgv(&cmd, argc, argv, lens);
	int rc = len < 0 ? -1 : write_all(c, cmd, (size_t)len, deadline);
	redisFreeCommand(cmd);
	if (rc < 0)
		store_conn_close(c);
	return rc;
}

int store_conn_wait(struct store_conn *c, unsigned ms)
{
	if (c->fd < 0)
		return -1;
	if (c->ssl && SSL_pending(c->ssl) > 0)
		return 1;
	struct pollfd p = {.fd = c->fd, .events = POLLIN};
	int n = poll(&p, 1, (int)ms);
	if (n < 0 && errno == EINTR)
		return 0;
	return n < 0 ? -1 : n > 0;
}

int store_conn_read(struct store_conn *c, unsigned timeout_ms, redisReply **reply)
{
	*reply = NULL;
	if (c->fd >= 0 &&
	    read_reply(c, monotonic_ns() + (uint64_t)timeout_ms * 1000000u, reply) == 0)
		return 0;
	store_conn_close(c);
	return -1;
}
