/* SPDX-License-Identifier: Apache-2.0 */
/* Which URLs an authenticator may fetch from: https://, or http:// to a loopback host, or to any
 * host when its section opts in (allow_insecure_http = yes, warned about at load). */
#ifndef NGD_FETCH_URL_H
#define NGD_FETCH_URL_H

#include <negotiated/authenticator.h>
#include <stdbool.h>

/* Whether the host of an http(s) URL is 127.0.0.0/8, [::1] or localhost. */
bool fetch_url_loopback(const char *url);
/* NULL when URL may be fetched, else why not (for "KEY: why"). */
const char *fetch_url_refusal(const char *url, bool allow_insecure_http);
/* Reads the section's allow_insecure_http (yes/no, default no) into *out: 0, or -1 after an error.
 */
int fetch_url_opt_in(struct ngd_section *sec, bool *out);
/* The loud warning for KEY = URL fetched over plain http:// from a non-loopback host, if it is. */
void fetch_url_warn(const struct ngd_section *sec, const char *key, const char *url);

#endif
