/* SPDX-License-Identifier: Apache-2.0 */
/* One connection to the Redis server: a socket of ours (TCP or unix, optionally in OpenSSL TLS)
 * with a deadline on every step, hiredis's command formatter and reply reader for the protocol
 * (Debian's hiredis 0.14 has no TLS of its own). Not shared between threads. */
#ifndef NGD_STORE_CONN_H
#define NGD_STORE_CONN_H

#include "store/store_url.h"

#include <hiredis/hiredis.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

/* What a connection needs; owned by the store (store.c), read only here. */
struct store_conn_opts {
	const struct store_url *url;
	SSL_CTX *tls;	      /* STORE_TLS: verifies the server against the system or ca_file */
	const char *user;     /* ACL user for AUTH, or NULL (the default user) */
	const char *password; /* secret, or NULL: no AUTH */
	unsigned timeout_ms;  /* connect, and each command's round trip */
	uint64_t generation;  /* of a password that changes (an Entra ID token); kept by the conn */
	long long expires_at; /* the password's expiry, seconds since the epoch; 0: none */
	/* redis-sentinel:// urls: the sentinels' own login (sentinel_user, sentinel_password_*) */
	const char *sentinel_user;     /* or NULL (the default user) */
	const char *sentinel_password; /* secret, or NULL: no AUTH */
};

struct store_conn {
	int fd; /* -1: closed */
	SSL *ssl;
	redisReader *reader;
	size_t max_bytes; /* of one reply; 0: STORE_REPLY_MAX_BYTES (store_conn_widen() sets more)
			   */
	uint64_t generation;  /* opts->generation of the last AUTH that succeeded */
	long long expires_at; /* opts->expires_at of that AUTH */
};

#define STORE_REPLY_MAX_BYTES 65536 /* a reply larger than this is a broken server: closed */

enum store_open_result { STORE_OPEN_OK, STORE_OPEN_IO, STORE_OPEN_AUTH };

/* Connects, handshakes, AUTHs and SELECTs within opts->timeout_ms; with a sentinel url, to the
 * primary the sentinels name (store_sentinel.h). STORE_OPEN_AUTH: the server refused the
 * credentials, or no sentinel knows the primary's name (a configuration error); STORE_OPEN_IO:
 * anything else. err says what, never the password. */
enum store_open_result store_conn_open(struct store_conn *c, const struct store_conn_opts *opts,
				       char *err, size_t err_len);

/* How to log in to one server: AUTH when password is set (a secret, not kept), then SELECT the
 * address's db when select_db (a sentinel has no databases). */
struct store_login {
	const char *user, *password;
	bool select_db;
};
/* One server at ADDR (its host and port, or path; TLS with TLS when ADDR says so), until
 * DEADLINE_NS (monotonic_ns()). Results as store_conn_open's. */
enum store_open_result store_conn_open_at(struct store_conn *c, const struct store_url *addr,
					  const struct store_login *login, SSL_CTX *tls,
					  uint64_t deadline_ns, char *err, size_t err_len);
/* Sends one command and reads its reply within timeout_ms. 0 with *reply (free with
 * freeReplyObject), or -1: the connection is broken, or the server answered -READONLY (a
 * demoted primary), and was closed (err says why). */
int store_conn_call(struct store_conn *c, int argc, const char **argv, const size_t *lens,
		    unsigned timeout_ms, redisReply **reply, char *err, size_t err_len);
void store_conn_close(struct store_conn *c); /* idempotent */
/* AUTH again on an open connection with opts' (new) password, within opts->timeout_ms: the
 * password it logged in with was replaced. STORE_OPEN_OK, or else the connection is closed. */
enum store_open_result store_conn_auth(struct store_conn *c, const struct store_conn_opts *opts,
				       char *err, size_t err_len);

/* For a connection that reads large replies (the revocation list's HGETALL): arrays of up to
 * MAX_ELEMENTS, replies of up to MAX_BYTES. 0, or -1 when out of memory (then closed). */
int store_conn_widen(struct store_conn *c, int max_elements, size_t max_bytes);
/* Pub/sub: sends one command without reading (SUBSCRIBE, PING): 0, or -1 (closed). */
int store_conn_send(struct store_conn *c, int argc, const char **argv, const size_t *lens,
		    unsigned timeout_ms);
/* Pub/sub: 1 when bytes (or a buffered reply) wait, 0 after MS without any, -1 on error. */
int store_conn_wait(struct store_conn *c, unsigned ms);
/* Pub/sub: the next reply within TIMEOUT_MS: 0 with *reply, or -1 (closed). */
int store_conn_read(struct store_conn *c, unsigned timeout_ms, redisReply **reply);

#endif
