/* SPDX-License-Identifier: Apache-2.0 */
/* apikey: keys from a file ("USERID KEY" per line), held only as SHA-256 digests in a hash
 * table indexed by the digest itself, compared in constant time. */
#include "auth/registry.h"
#include "core/file.h"
#include "core/names.h"
#include "core/secret.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MIN_KEY_BYTES 16
#define STR_(x) #x
#define STR(x) STR_(x)

struct key_slot {
	unsigned char digest[SHA256_LEN];
	char *user_id; /* NULL: empty slot */
};

struct apikey {
	struct key_slot *slots;
	size_t mask;	/* slot count - 1; the count is a power of two at least twice the keys */
	bool plaintext; /* a line holds a key itself, not its sha256: digest */
};

static size_t slot_index(const unsigned char *digest, size_t mask)
{
	uint64_t v;
	memcpy(&v, digest, sizeof v); /* a digest is already uniformly spread */
	return (size_t)v & mask;
}

static struct key_slot *slot_find(const struct apikey *a, const unsigned char *digest)
{
	for (size_t i = slot_index(digest, a->mask);; i = (i + 1) & a->mask) {
		struct key_slot *s = &a->slots[i];
		if (!s->user_id || secret_equal(s->digest, digest, SHA256_LEN))
			return s;
	}
}

static bool key_text_valid(const char *key)
{
	size_t len = strlen(key);
	if (len < MIN_KEY_BYTES || len > NGD_MAX_API_KEY)
		return false;
	for (const char *c = key; *c; c++)
		if (*c <= ' ' || *c == 0x7f)
			return false;
	return true;
}

/* The digest a key line stands for: "sha256:<hex>" as written, anything else hashed. */
static const char *key_digest(const char *key, unsigned char digest[SHA256_LEN])
{
	if (strncmp(key, "sha256:", 7) == 0)
		return hex_decode(key + 7, digest, SHA256_LEN) == 0
			       ? NULL
			       : "sha256: must be followed by 64 hex digits";
	if (!key_text_valid(key))
		return "a key must be 16 to 512 printable characters without spaces";
	return sha256(key, strlen(key), digest) == 0 ? NULL : "cannot hash the key";
}

static const char *add_key(struct apikey *a, const char *user, const char *key)
{
	unsigned char digest[SHA256_LEN];
	const char *why = key_digest(key, digest);
	if (why)
		return why;
	a->plaintext |= strncmp(key, "sha256:", 7) != 0;
	if (!user_id_valid(user))
		return "the user id must be 1 to 512 bytes of UTF-8 without control characters";
	struct key_slot *s = slot_find(a, digest);
	if (s->user_id)
		return "the same key appears on an earlier line";
	memcpy(s->digest, digest, SHA256_LEN);
	explicit_bzero(digest, sizeof digest);
	s->user_id = strdup(user);
	return s->user_id ? NULL : "out of memory";
}

/* Lines that hold a key (neither blank nor a comment), to size the table before any is read. */
static size_t count_keys(const char *text)
{
	size_t n = 0;
	for (const char *line = text; *line; line += strcspn(line, "\n"), line += *line == '\n') {
		const char *c = line + strspn(line, " \t\r");
		n += *c != '#' && *c != '\n' && *c != '\0';
	}
	return n;
}

/* Parses the file's text in place; returns NULL or a reason naming the line. */
static const char *load_keys(struct apikey *a, char *text, int *bad_line)
{
	int line = 0;
	for (char *rest = text, *row; (row = strsep(&rest, "\n"));) {
		line++;
		char *fields[3] = {0}, *fsave = NULL;
		row[strcspn(row, "\r")] = '\0';
		if (row[strspn(row, " \t")] == '#' || row[strspn(row, " \t")] == '\0')
			continue;
		fields[0] = strtok_r(row, " \t", &fsave);
		fields[1] = strtok_r(NULL, " \t", &fsave);
		fields[2] = strtok_r(NULL, " \t", &fsave);
		const char *why = !fields[1] || fields[2] ? "expected 'USERID KEY'"
							  : add_key(a, fields[0], fields[1]);
		if (why) {
			*bad_line = line;
			return why;
		}
	}
	return NULL;
}

static void apikey_destroy(void *instance)
{
	struct apikey *a = instance;
	for (size_t i = 0; a->slots && i <= a->mask; i++)
		free(a->slots[i].user_id);
	if (a->slots)
		explicit_bzero(a->slots, (a->mask + 1) * sizeof *a->slots);
	free(a->slots);
	free(a);
}

static void *apikey_create(struct ngd_section *sec)
{
	const char *path = ngd_section_get(sec, "file");
	char err[FILE_ERROR_TEXT];
	size_t len = 0, slots = 4;
	int bad_line = 0;
	if (!path) {
		ngd_section_error(sec, "file", "required (a file of 'USERID KEY' lines)");
		return NULL;
	}
	char *text = file_read(path, NGD_MAX_KEY_FILE, &len, err, sizeof err);
	if (!text) {
		ngd_section_error(sec, "file", "%s", err);
		return NULL;
	}
	size_t keys = count_keys(text);
	while (slots < 2 * keys)
		slots *= 2;
	struct apikey *a = keys <= NGD_MAX_API_KEYS ? calloc(1, sizeof *a) : NULL;
	if (a && (a->slots = calloc(slots, sizeof *a->slots)))
		a->mask = slots - 1;
	const char *why = keys > NGD_MAX_API_KEYS
				  ? "more than " STR(NGD_MAX_API_KEYS) " keys in one file"
			  : !a || !a->slots ? "out of memory"
					    : load_keys(a, text, &bad_line);
	explicit_bzero(text, len);
	free(text);
	if (!why && a->plaintext &&
	    file_check_private(path, "plaintext API keys", err, sizeof err) < 0) {
		ngd_section_error(
			sec, "file",
			"%s (or store sha256:HEX digests instead: printf %%s KEY | sha256sum)",
			err);
		apikey_destroy(a);
		return NULL;
	}
	if (why) {
		if (bad_line)
			ngd_section_error(sec, "file", "%s:%d: %s", path, bad_line, why);
		else
			ngd_section_error(sec, "file", "%s: %s", path, why);
		if (a)
			apikey_destroy(a);
		return NULL;
	}
	return a;
}

static bool looks_like_jwt(const char *s) /* header.claims.signature */
{
	size_t dots = 0;
	for (; *s; s++)
		dots += *s == '.';
	return dots == 2;
}

/* The presented key, or NULL when the request carries none for us (DECLINED). */
static const char *presented_key(const struct ngd_request *req)
{
	const char *key = ngd_request_header(req, "X-API-Key");
	if (key)
		return key;
	const char *auth = ngd_request_header(req, "Authorization");
	if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
		return NULL;
	key = auth + 7 + strspn(auth + 7, " ");
	return looks_like_jwt(key) ? NULL : key; /* a JWT is for another authenticator */
}

static enum ngd_auth_result apikey_authenticate(void *instance, const struct ngd_request *req,
						struct ngd_outcome *out)
{
	const struct apikey *a = instance;
	unsigned char digest[SHA256_LEN];
	const char *key = presented_key(req);
	if (!key)
		return NGD_AUTH_DECLINED;
	size_t len = strnlen(key, NGD_MAX_API_KEY + 1);
	if (len == 0 || len > NGD_MAX_API_KEY || sha256(key, len, digest) < 0) {
		ngd_outcome_deny(out, 401, "invalid_credentials", "the API key was not accepted");
		return NGD_AUTH_DENY;
	}
	const struct key_slot *s = slot_find(a, digest);
	explicit_bzero(digest, sizeof digest);
	if (!s->user_id) {
		ngd_outcome_deny(out, 401, "invalid_credentials", "the API key was not accepted");
		return NGD_AUTH_DENY;
	}
	return ngd_outcome_set_user(out, s->user_id) == 0 ? NGD_AUTH_OK : NGD_AUTH_ERROR;
}

const struct ngd_authenticator auth_apikey = {
	.abi_version = NGD_AUTH_ABI_VERSION,
	.type = "apikey",
	.challenge = "Bearer",
	.create = apikey_create,
	.authenticate = apikey_authenticate,
	.destroy = apikey_destroy,
};
