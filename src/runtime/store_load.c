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

static char *read_password_file(const char *path, char *err, size_t err_len)
{
	size_t len;
	if (file_check_private(path, "the [store] password", err, err_len) < 0)
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

/* The password from whichever key is set; *key names it. NULL with err, or NULL with *key NULL:
 * none is set (no AUTH). */
static char *password_text(const struct config_store *s, const char **key, char *err,
			   size_t err_len)
{
	*key = NULL;
	if (s->password_env) {
		*key = "password_env";
		char *value =
			secret_from_env(s->password_env); /* and gone from /proc/PID/environ */
		if (!value)
			snprintf(err, err_len, "environment variable %s is not set",
				 s->password_env);
		return value;
	}
	if (s->password_credential) {
		const char *dir = getenv("CREDENTIALS_DIRECTORY");
		char path[4096];
		*key = "password_credential";
		if (!dir || !*dir) {
			snprintf(err, err_len,
				 "CREDENTIALS_DIRECTORY is not set (run under systemd with "
				 "LoadCredential=%s:...)",
				 s->password_credential);
			return NULL;
		}
		snprintf(path, sizeof path, "%s/%s", dir, s->password_credential);
		return read_password_file(path, err, err_len);
	}
	if (s->password_file) {
		*key = "password_file";
		return read_password_file(s->password_file, err, err_len);
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

int store_load(const struct config *cfg, struct store **out, char *err, size_t err_len)
{
	const struct config_store *s = &cfg->store;
	char why[512] = "";
	const char *key = NULL;
	*out = NULL;
	if (!s->head.line)
		return 0;
	struct store_settings set = {.user = s->user,
				     .ca_file = s->ca_file,
				     .prefix = s->prefix ? s->prefix : "default",
				     .timeout_ms = s->timeout_ms,
				     .workers = s->workers,
				     .queue = s->queue,
				     .rate_on_failure = s->rate_on_failure,
				     .keyless_on_failure = s->keyless_on_failure,
				     .revocations_on_failure = s->revocations_on_failure,
				     .connections_on_failure = s->connections_on_failure};
	char *password = password_text(s, &key, why, sizeof why), label[96];
	if (key && !password) {
		snprintf(err, err_len, "%s:%d: %s: %s", cfg->path,
			 config_key_line(&s->head, "store", key), key, why);
		return -1;
	}
	set.password = password;
	if (s->entra.credential &&
	    entra_source(cfg, &set.source, label, sizeof label, err, err_len) < 0) {
		secret_free(password);
		return -1;
	}
	if (store_url_parse(s->url, &set.url, why, sizeof why) == 0)
		*out = store_new(&set, why, sizeof why);
	else if (set.source.release) /* store_new owns it; nobody else would free it */
		set.source.release(set.source.arg);
	secret_free(password);
	if (*out)
		return 0;
	snprintf(err, err_len, "%s:%d: [store] %s", cfg->path,
		 config_key_line(&s->head, "store", "url"), why);
	return -1;
}
