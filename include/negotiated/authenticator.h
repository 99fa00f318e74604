/* SPDX-License-Identifier: Apache-2.0 */
/* negotiated: the authenticator interface.
 *
 * Built-in authenticators and dlopen'd plugins implement the same descriptor. An instance is
 * created from one [auth:NAME] configuration section and asked, per request, to decide who
 * the caller is. It never sees the HTTP library, only the accessors below.
 *
 * Threads: authenticate() is called concurrently from several threads with the same
 * instance; an instance must be safe for that (read-only after create, or its own locking). */
#ifndef NEGOTIATED_AUTHENTICATOR_H
#define NEGOTIATED_AUTHENTICATOR_H

#include <stddef.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change to this header; checked when a plugin is loaded. */
#define NGD_AUTH_ABI_VERSION 1u

enum ngd_auth_result {
	NGD_AUTH_DECLINED = 0, /* not my credentials: ask the next authenticator */
	NGD_AUTH_OK,	       /* caller identified: the outcome's user is set */
	NGD_AUTH_DENY,	       /* credentials present and wrong: stop (401, or 403 if set) */
	NGD_AUTH_ERROR,	       /* could not decide: stop and fail closed (503) */
};

struct ngd_request; /* one HTTP request, read-only */
struct ngd_section; /* one [auth:NAME] configuration section */
struct ngd_outcome; /* what authenticate() reports back */

/* Request accessors. Returned strings live as long as the request; NULL when absent. */
const char *ngd_request_header(const struct ngd_request *req, const char *name);
const char *ngd_request_hub(const struct ngd_request *req);
const struct sockaddr *ngd_request_peer(const struct ngd_request *req, socklen_t *len);
/* The client's address as text: the socket peer, or, when the peer is a trusted proxy ([server]
 * trusted_proxies), the nearest untrusted hop of X-Forwarded-For read right to left; "unix" for a
 * unix-socket peer that forwarded none. Never NULL. */
const char *ngd_request_client_address(const struct ngd_request *req);
/* 1 when the socket peer itself is a trusted proxy (a unix-socket peer, when "unix" is listed). */
int ngd_request_peer_trusted(const struct ngd_request *req);

/* Configuration accessors. ngd_section_get marks the key as used: keys nobody asked for are
 * reported as unknown after create() returns. Returned strings live as long as the section. */
const char *ngd_section_name(const struct ngd_section *sec);
const char *ngd_section_get(struct ngd_section *sec, const char *key);
/* Records "FILE:LINE: KEY: message" (KEY NULL: the section's own line). Never put secrets in it. */
void ngd_section_error(struct ngd_section *sec, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ngd_log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Outcome builders; each copies its arguments (stack buffers are fine) and returns 0, or -1 when
 * a value is invalid (NULL, empty, too long, control characters, not UTF-8). */
int ngd_outcome_set_user(struct ngd_outcome *out, const char *user_id);
int ngd_outcome_add_attribute(struct ngd_outcome *out, const char *name, const char *value);
/* With NGD_AUTH_DENY: answer 403 instead of 401 and say why: code matches [a-z_]{1,64} and
 * message is at most 199 bytes of text without control characters, or both are replaced by
 * "invalid_credentials" and a generic message. No secrets in either. */
void ngd_outcome_deny(struct ngd_outcome *out, int status, const char *code, const char *message);

struct ngd_authenticator {
	unsigned abi_version;  /* NGD_AUTH_ABI_VERSION */
	const char *type;      /* the `type =` value that selects it, e.g. "apikey" */
	const char *challenge; /* WWW-Authenticate scheme it answers to, or NULL */
	/* Returns the instance, or NULL after ngd_section_error(). */
	void *(*create)(struct ngd_section *sec);
	enum ngd_auth_result (*authenticate)(void *instance, const struct ngd_request *req,
					     struct ngd_outcome *out);
	void (*destroy)(void *instance);
	unsigned flags; /* NGD_AUTH_MAY_BLOCK, ... */
};

/* authenticate() may wait on the network or a slow service: requests that reach it run on this
 * authenticator's own worker threads (at most its section's max_concurrent at once), so that they
 * never delay requests other authenticators answer. */
#define NGD_AUTH_MAY_BLOCK 1u

#ifdef __cplusplus
}
#endif
#endif
