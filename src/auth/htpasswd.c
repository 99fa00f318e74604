/* SPDX-License-Identifier: Apache-2.0 */
/* htpasswd: HTTP Basic against an htpasswd file of "user:hash" lines. Only slow, salted hashes
 * (bcrypt, sha512-crypt, sha256-crypt, yescrypt) are accepted, verified by libcrypt's crypt_rn. */
#include "auth/registry.h"
#include "core/base64.h"
#include "core/file.h"
#include "core/names.h"
#include "core/secret.h"

#include <crypt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STRONG_SCHEMES "bcrypt (htpasswd -B), sha512-crypt or sha256-crypt"

struct user_entry {
	char *name;
	char *hash;
	int line;
};

struct htpasswd {
	char *section;		  /* for log lines */
	struct user_entry *users; /* sorted by name */
	size_t n_users;
	const char *dummy_hash; /* a real hash from the file: unknown users cost the same time */
};

struct scheme {
	const char *prefix;
	const char *name;
	bool strong;
};

static const struct scheme schemes[] = {
	{"$2y$", "bcrypt", true},	   {"$2b$", "bcrypt", true},
	{"$2a$", "bcrypt", true},	   {"$6$", "sha512-crypt", true},
	{"$5$", "sha256-crypt", true},	   {"$y$", "yescrypt", true},
	{"$apr1$", "MD5 ($apr1$)", false}, {"$1$", "MD5-crypt ($1$)", false},
	{"{SHA}", "SHA-1 ({SHA})", false}, {"$2x$", "bcrypt with the $2x$ bug", false},
};

static bool crypt_charset(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '/' || strchr(extra, *s)))
			return false;
	return true;
}

/* NULL when HASH is a strong scheme in a plausible form, else why it is refused. */
static const char *hash_refusal(const char *hash, char *why, size_t why_len)
{
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		if (strncmp(hash, schemes[i].prefix, strlen(schemes[i].prefix)) != 0)
			continue;
		if (!schemes[i].strong)
			snprintf(why, why_len, "%s is too weak; use " STRONG_SCHEMES,
				 schemes[i].name);
		else if (!crypt_charset(hash, "$="))
			snprintf(why, why_len, "the %s hash has characters outside ./0-9A-Za-z$=",
				 schemes[i].name);
		else
			return NULL;
		return why;
	}
	if (hash[0] == '$')
		snprintf(why, why_len, "unknown hash scheme; use " STRONG_SCHEMES);
	else if (strlen(hash) == 13 && crypt_charset(hash, ""))
		snprintf(why, why_len, "DES crypt is too weak; use " STRONG_SCHEMES);
	else
		snprintf(why, why_len,
			 "plain text (or an unknown scheme) is too weak; use " STRONG_SCHEMES);
	return why;
}

static int entry_order(const void *a, const void *b)
{
	return strcmp(((const struct user_entry *)a)->name, ((const struct user_entry *)b)->name);
}

/* Adds one "user:hash" line; returns NULL or why the line is refused. */
static const char *add_line(struct htpasswd *h, char *row, int line, char *why, size_t why_len)
{
	char *colon = strchr(row, ':');
	if (!colon || strchr(colon + 1, ':'))
		return "expected 'user:hash'";
	*colon = '\0';
	if (strlen(row) > NGD_MAX_BASIC_USER || !user_id_valid(row))
		return "the user must be 1 to 255 bytes of UTF-8 without control characters";
	const char *refusal = hash_refusal(colon + 1, why, why_len);
	if (refusal)
		return refusal;
	struct user_entry *u = &h->users[h->n_users];
	*u = (struct user_entry){strdup(row), strdup(colon + 1), line};
	h->n_users++; /* counted even when half-built, so that destroy frees it */
	return u->name && u->hash ? NULL : "out of memory";
}

static size_t count_lines(const char *text)
{
	size_t n = 1;
	for (; *text; text++)
		n += *text == '\n';
	return n;
}

/* Parses the file's text in place; returns NULL or a reason, with the line in *bad_line. */
static const char *load_users(struct htpasswd *h, char *text, int *bad_line, char *why,
			      size_t why_len)
{
	int line = 0;
	for (char *rest = text, *row; (row = strsep(&rest, "\n"));) {
		*bad_line = ++line;
		row[strcspn(row, "\r")] = '\0';
		if (row[strspn(row, " \t")] == '#' || row[strspn(row, " \t")] == '\0')
			continue;
		if (strlen(row) > NGD_MAX_HTPASSWD_LINE)
			return "the line is longer than 1024 bytes";
		const char *refusal = add_line(h, row, line, why, why_len);
		if (refusal)
			return refusal;
	}
	if (h->n_users == 0) {
		*bad_line = 0;
		return "no 'user:hash' lines";
	}
	qsort(h->users, h->n_users, sizeof *h->users, entry_order);
	for (size_t i = 1; i < h->n_users; i++)
		if (strcmp(h->users[i - 1].name, h->users[i].name) == 0) {
			*bad_line = h->users[i - 1].line > h->users[i].line ? h->users[i - 1].line
									    : h->users[i].line;
			return "the same user appears on an earlier line";
		}
	h->dummy_hash = h->users[0].hash;
	return NULL;
}

static void htpasswd_destroy(void *instance)
{
	struct htpasswd *h = instance;
	for (size_t i = 0; i < h->n_users; i++) {
		free(h->users[i].name);
		secret_free(h->users[i].hash); /* an offline-crackable secret */
	}
	free(h->users);
	free(h->section);
	free(h);
}

static void *htpasswd_create(struct ngd_section *sec)
{
	const char *path = ngd_section_get(sec, "file");
	char err[256], why[160];
	size_t len = 0;
	int bad_line = 0;
	if (!path) {
		ngd_section_error(sec, "file", "required (an htpasswd file of 'user:hash' lines)");
		return NULL;
	}
	char *text = file_read(path, NGD_MAX_HTPASSWD_FILE, &len, err, sizeof err);
	if (!text) {
		ngd_section_error(sec, "file", "%s", err);
		return NULL;
	}
	struct htpasswd *h = calloc(1, sizeof *h);
	if (h) {
		h->users = calloc(count_lines(text), sizeof *h->users);
		h->section = strdup(ngd_section_name(sec));
	}
	const char *refusal = !h || !h->users || !h->section
				      ? "out of memory"
				      : load_users(h, text, &bad_line, why, sizeof why);
	explicit_bzero(text, len);
	free(text);
	if (!refusal)
		return h;
	if (bad_line)
		ngd_section_error(sec, "file", "%s:%d: %s", path, bad_line, refusal);
	else
		ngd_section_error(sec, "file", "%s: %s", path, refusal);
	if (h)
		htpasswd_destroy(h);
	return NULL;
}

/* 1: PASSWORD matches HASH; 0: it does not; -1: libcrypt cannot verify HASH. Constant time. */
static int hash_matches(const char *hash, const char *password)
{
	struct crypt_data *cd =
		calloc(1, sizeof *cd); /* 32 KiB: too big for an HTTP thread's stack */
	if (!cd)
		return -1;
	const char *got = crypt_rn(password, hash, cd, sizeof *cd);
	size_t len = strlen(hash);
	int r = !got || got[0] == '*' ? -1 : strlen(got) == len && secret_equal(got, hash, len);
	explicit_bzero(cd, sizeof *cd); /* it held the password */
	free(cd);
	return r;
}

static enum ngd_auth_result refuse(struct ngd_outcome *out, const char *code, const char *message)
{
	ngd_outcome_deny(out, 401, code, message);
	return NGD_AUTH_DENY;
}

static enum ngd_auth_result verify(const struct htpasswd *h, const char *user, const char *password,
				   struct ngd_outcome *out)
{
	const struct user_entry key = {(char *)user, NULL, 0};
	const struct user_entry *u =
		bsearch(&key, h->users, h->n_users, sizeof *h->users, entry_order);
	int match = hash_matches(u ? u->hash : h->dummy_hash, password);
	if (match < 0 && u) {
		ngd_log_warning(
			"[auth:%s] libcrypt cannot verify the hash on line %d of the htpasswd file",
			h->section, u->line);
		return NGD_AUTH_ERROR;
	}
	if (!u || match != 1)
		return refuse(out, "invalid_credentials",
			      "the user name or password was not accepted");
	return ngd_outcome_set_user(out, user) == 0 ? NGD_AUTH_OK : NGD_AUTH_ERROR;
}

/* The base64 token of "Authorization: Basic TOKEN", or NULL when there is none (DECLINED). */
static const char *basic_token(const struct ngd_request *req)
{
	const char *auth = ngd_request_header(req, "Authorization");
	if (!auth || strncasecmp(auth, "Basic", 5) != 0 || (auth[5] != ' ' && auth[5] != '\0'))
		return NULL;
	return auth + 5 + strspn(auth + 5, " ");
}

/* Splits decoded "user:password"; returns NULL or why the credentials are malformed. */
static const char *split_credentials(char *decoded, size_t len, char **password)
{
	char *colon = memchr(decoded, ':', len);
	if (memchr(decoded, '\0', len))
		return "the Basic credentials contain a NUL byte";
	if (!colon)
		return "the Basic credentials have no ':' between user name and password";
	*colon = '\0';
	*password = colon + 1;
	if (strlen(decoded) > NGD_MAX_BASIC_USER || !user_id_valid(decoded))
		return "the Basic user name must be 1 to 255 bytes of UTF-8 without control "
		       "characters";
	if (strlen(*password) > NGD_MAX_PASSWORD)
		return "the Basic password is longer than 512 bytes";
	return NULL;
}

static enum ngd_auth_result htpasswd_authenticate(void *instance, const struct ngd_request *req,
						  struct ngd_outcome *out)
{
	const char *token = basic_token(req);
	char decoded[BASE64_DECODED_MAX(NGD_MAX_BASIC_TOKEN) + 1];
	char *password = NULL;
	if (!token)
		return NGD_AUTH_DECLINED;
	size_t len = strnlen(token, NGD_MAX_BASIC_TOKEN + 1);
	if (len > NGD_MAX_BASIC_TOKEN)
		return refuse(out, "malformed_credentials",
			      "the Basic credentials are longer than 1024 characters");
	long n = base64_decode(token, len, (unsigned char *)decoded, sizeof decoded - 1);
	if (n < 0)
		return refuse(out, "malformed_credentials", "the Basic credentials are not base64");
	decoded[n] = '\0';
	const char *malformed = split_credentials(decoded, (size_t)n, &password);
	enum ngd_auth_result r = malformed ? refuse(out, "malformed_credentials", malformed)
					   : verify(instance, decoded, password, out);
	explicit_bzero(decoded, sizeof decoded);
	return r;
}

const struct ngd_authenticator auth_htpasswd = {
	.abi_version = NGD_AUTH_ABI_VERSION,
	.type = "htpasswd",
	.challenge = "Basic",
	.create = htpasswd_create,
	.authenticate = htpasswd_authenticate,
	.destroy = htpasswd_destroy,
	/* bcrypt and sha-crypt spend tens of milliseconds of CPU by design: keep them off HTTP
	   threads */
	.flags = NGD_AUTH_MAY_BLOCK,
};
