/* SPDX-License-Identifier: Apache-2.0 */
/* One bounded HTTPS exchange for the keyless signer and the Entra credentials: the service or
 * the identity provider may be slow, down or hostile, and every header may be a secret. */
#ifndef NGD_REST_HTTP_H
#define NGD_REST_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct rest_request {
	const char *url;
	const char *const *headers; /* "Name: value", NULL-terminated; may hold secrets (wiped) */
	const char *method; /* NULL: GET, or POST with a body; else this method (e.g. "DELETE") */
	const char *body; /* NULL: a GET; otherwise a POST of body_len bytes (secret: not copied) */
	size_t body_len;
	const char *content_type; /* of the body; NULL: none is sent */
	const char *ca_file;	  /* NULL: the system's trust store */
	long timeout_ms;	  /* connect and whole exchange */
	size_t max_bytes;	  /* a longer answer is an error */
	const atomic_bool *stop;  /* true abandons the transfer (shutdown) */
};

struct rest_answer {
	long status; /* 0 when no answer came */
	char *body;  /* NUL-terminated, or NULL; free with rest_answer_clear */
	size_t len;
	double seconds; /* how long the exchange took */
	char err[160];	/* why there is no answer: never a header or a body */
};

/* Loads libcurl (net/curl_lib.h) and sets it up, once; call while the configuration that needs
 * it loads, before starting threads that fetch. 0, or -1 with why (naming the library) in err. */
int rest_http_load(char *err, size_t err_len);
/* The same, for callers without an error buffer: why is logged. 0, or -1. */
int rest_http_init(void);
/* libcurl's process-wide clean-up, if it was loaded; at exit, once no thread fetches. */
void rest_http_cleanup(void);
/* A reusable connection (keep-alive): NULL on failure. */
void *rest_handle_new(void);
void rest_handle_free(void *handle);
/* 0 when an HTTP answer arrived (any status), -1 with answer->err otherwise. handle may be NULL. */
int rest_exchange(void *handle, const struct rest_request *req, struct rest_answer *answer);
void rest_answer_clear(struct rest_answer *a); /* wipes the body: it may hold a token */

/* Appends s percent-encoded as JavaScript's encodeURIComponent does, and also "'" as the WHATWG URL
 * parser then escapes it in a query. */
struct buf;
void rest_url_encode(struct buf *out, const char *s);

#endif
