/* SPDX-License-Identifier: Apache-2.0 */
/* [store] into a store: settings checked by config/check.c, the secret read here. */
#include "runtime/store_load.h"

#include "core/file.h"
#include "core/secret.h"
#include "runtime/keyless_load.h"
#include "token/entra.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PASSWORD_BYTES 4096
#define ENTRA_TIMEOUT_MS 5000 /* each token fetch, as a keyless service's rest_timeout default */

static char *read_password_file(const char *path, const char *what, char *err, size_t err_len)
{
	size_t len;
	if (file_check_private(path, what, err, err_len) < 0)
		return NULL;
	char *text = file_read(path, MAX_PASSWORD_BYTES, &len, err, err_len);
	while (text && len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (text && !len)
		snprintf(err, err_len, "'%s' is empty", path);
	if (text && !len) {
		free(text);
		return NULL;
	}
	return text;
}

/* A password's three sources in [store] (at most one set, config/check.c) and their key names. */
struct password_source {
	const char *env, *credential, *file;
	const char *env_key, *credential_key, *file_key;
	const char *what; /* for file_check_private's message */
};

/* The password from whichever key is set; *key names it. NULL with err, or NULL with *key NULL:
 * none is set (no AUTH). */
static char *password_text(const struct password_source *src, const char **key, char *err,
			   size_t err_len)
{
	*key = NULL;
	if (src->env) {
		*key = src->env_key;
		char *value = secret_from_env(src->env); /* and gone from /proc/PID/environ */
		if (!value)
			snprintf(err, err_len, "environment variable %s is not set", src->env);
		return value;
	}
	if (src->credential) {
		const char *dir = getenv("CREDENTIALS_DIRECTORY");
		char path[4096];
		*key = src->credential_key;
		if (!dir || !*dir) {
			snprintf(err, err_len,
				 "CREDENTIALS_DIRECTORY is not set (run under systemd with "
				 "LoadCredential=%s:...)",
				 src->credential);
			return NULL;
		}
		snprintf(path, sizeof path, "%s/%s", dir, src->credential);
		return read_password_file(path, src->what, err, err_len);
	}
	if (src->file) {
		*key = src->file_key;
		return read_password_file(src->file, src->what, err, err_len);
	}
	return NULL;
}

static int token_now(void *arg, struct buf *out, uint64_t *generation, long long *expires_at)
{
	return entra_token_of(arg, out, generation, expires_at);
}

static uint64_t token_generation(void *arg)
{
	return entra_generation(arg);
}

static void token_release(void *arg)
{
	entra_stop(arg);
}

/* [store] credential = ...: the Entra ID credential for Azure Cache for Redis, as the store's
 * password source (the store owns it from store_new on). -1 with err. */
static int entra_source(const struct config *cfg, struct store_password_source *src, char *label,
			size_t label_len, char *err, size_t err_len)
{
	const struct config_store *s = &cfg->store;
	snprintf(label, label_len, "[store] credential %s", s->entra.credential);
	struct entra_request r = {.head = &s->head,
				  .kind = "store",
				  .k = &s->entra,
				  .label = label,
				  .scope = ENTRA_REDIS_SCOPE,
				  .resource = ENTRA_REDIS_RESOURCE,
				  .without = "[store] calls fail as its *_on_failure keys say",
				  .timeout_ms = ENTRA_TIMEOUT_MS};
	struct entra *e = entra_load(cfg, &r, err, err_len);
	if (!e)
		return -1;
	*src = (struct store_password_source){.current = token_now,
					      .generation = token_generation,
					      .release = token_release,
					      .arg = e,
					      .name = label + strlen("[store] ")};
	return 0;
}

static char *store_password(const struct config_store *s, const char **key, char *err,
			    size_t err_len)
{
	const struct password_source src = {.env = s->password_env,
					    .credential = s->password_credential,
					    .file = s->password_file,
					    .env_key = "password_env",
					    .credential_key = "password_credential",
					    .file_key = "password_file",
					    .what = "the [store] password"};
	return password_text(&src, key, err, err_len);
}

/* redis-sentinel://: the sentinels' own password (sentinel_password_*), or NULL. */
static char *sentinel_password(const struct config_store *s, const char **key, char *err,
			       size_t err_len)
{
	const struct password_source src = {.env = s->sentinel_password_env,
					    .credential = s->sentinel_password_credential,
					    .file = s->sentinel_password_file,
					    .env_key = "sentinel_password_env",
					    .credential_key = "sentinel_password_credential",
					    .file_key = "sentinel_password_file",
					    .what = "the [store] sentinel password"};
	return password_text(&src, key, err, err_len);
}

static int key_error(const struct config *cfg, const char *key, const char *why, char *err,
		     size_t err_len)
{
	snprintf(err, err_len, "%s:%d: %s: %s", cfg->path,
		 config_key_line(&cfg->store.head, "store", key), key, why);
	return -1;
}

/* Both passwords (each NULL when not set; the caller frees them with secret_free): 0, or -1 with
 * "FILE:LINE: KEY: reason" and neither kept. */
static int read_passwords(const struct config *cfg, char **store, char **sentinels, char *err,
			  size_t err_len)
{
	const char *key = NULL;
	char why[512] = "";
	char *password = store_password(&cfg->store, &key, why, sizeof why);
	if (key && !password)
		return key_error(cfg, key, why, err, err_len);
	char *sentinel = sentinel_password(&cfg->store, &key, why, sizeof why);
	if (key && !sentinel) {
		secret_free(password);
		return key_error(cfg, key, why, err, err_len);
	}
	*store = password;
	*sentinels = sentinel;
	return 0;
}

int store_load(const struct config *cfg, struct store **out, char *err, size_t err_len)
{
	const struct config_store *s = &cfg->store;
	char why[512] = "";
	*out = NULL;
	if (!s->head.line)
		return 0;
	struct store_settings set = {.user = s->user,
				     .ca_file = s->ca_file,
				     .sentinel_user = s->sentinel_user,
				     .prefix = s->prefix ? s->prefix : "default",
				     .timeout_ms = s->timeout_ms,
				     .workers = s->workers,
				     .queue = s->queue,
				     .rate_on_failure = s->rate_on_failure,
				     .keyless_on_failure = s->keyless_on_failure,
				     .revocations_on_failure = s->revocations_on_failure,
				     .connections_on_failure = s->connections_on_failure};
	char *password = NULL, *sentinel = NULL, label[96];
	if (read_passwords(cfg, &password, &sentinel, err, err_len) < 0)
		return -1;
	set.password = password;
	set.sentinel_password = sentinel;
	if (s->entra.credential &&
	    entra_source(cfg, &set.source, label, sizeof label, err, err_len) < 0) {
		secret_free(password);
		secret_free(sentinel);
		return -1;
	}
	if (store_url_parse(s->url, &set.url, why, sizeof why) == 0)
		*out = store_new(&set, why, sizeof why);
	else if (set.source.release) /* store_new owns it; nobody else would free it */
		set.source.release(set.source.arg);
	secret_free(password);
	secret_free(sentinel);
	if (*out)
		return 0;
	snprintf(err, err_len, "%s:%d: [store] %s", cfg->path,
		 config_key_line(&s->head, "store", "url"), why);
	return -1;
}
