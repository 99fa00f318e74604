/* SPDX-License-Identifier: Apache-2.0 */
/* [store] into a store: settings checked by config/check.c, the secret read here. */
#include "runtime/store_load.h"

#include "core/file.h"
#include "core/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PASSWORD_BYTES 4096

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
	char *password = password_text(s, &key, why, sizeof why);
	if (key && !password) {
		snprintf(err, err_len, "%s:%d: %s: %s", cfg->path,
			 config_key_line(&s->head, "store", key), key, why);
		return -1;
	}
	set.password = password;
	if (store_url_parse(s->url, &set.url, why, sizeof why) == 0)
		*out = store_new(&set, why, sizeof why);
	secret_free(password);
	if (*out)
		return 0;
	snprintf(err, err_len, "%s:%d: [store] %s", cfg->path,
		 config_key_line(&s->head, "store", "url"), why);
	return -1;
}
