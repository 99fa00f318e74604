/* SPDX-License-Identifier: Apache-2.0 */
/* A keyless [service:NAME]: its endpoint, its Entra credential (files read now, so that a missing
 * one refuses the configuration) and its REST signer. */
#ifndef NGD_KEYLESS_LOAD_H
#define NGD_KEYLESS_LOAD_H

#include "config/config.h"
#include "token/connstr.h"
#include "token/entra.h"
#include "token/rest_signer.h"

#define IMDS_TOKEN_URL "http://169.254.169.254/metadata/identity/oauth2/token"
/* Set in every test runner: refuses a configuration that would reach the real metadata address. */
#define NO_IMDS_ENV "NEGOTIATED_NO_IMDS"

/* 0 with *ep and *rest set, or -1 with "FILE:LINE: KEY: reason" in err. */
/* An Entra ID credential written in a section other than a keyless service's (the [store]). */
struct entra_request {
	const struct section_head *head; /* the section, for "FILE:LINE: KEY:" */
	const char *kind;		 /* its kind's name, "store" */
	const struct config_keyless *k;	 /* credential and its companion keys */
	const char *label;		 /* in log lines, "[store] credential managed_identity" */
	const char *scope, *resource;	 /* what the token is for (token/entra.h) */
	const char *without;		 /* what no token means, for the log */
	long timeout_ms;		 /* each fetch */
};

/* Started (its first fetch waited for, at most timeout_ms), or NULL with "FILE:LINE: KEY: reason"
 * in err. The caller owns it (entra_stop). */
struct entra *entra_load(const struct config *cfg, const struct entra_request *r, char *err,
			 size_t err_len);

int keyless_load(const struct config *cfg, const struct config_service *cs, struct endpoint *ep,
		 struct rest_signer **rest, char *err, size_t err_len);

#endif
