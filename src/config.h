/* The configuration file: parsed by inih into plain structs, checked before anything runs. */
#ifndef NGD_CONFIG_H
#define NGD_CONFIG_H

#include "log.h"
#include "token.h"

#include <negotiated/authenticator.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_KEYS 32 /* per section kind; one bit each in section_head.seen */

struct strlist {
	char **items;
	size_t n;
};

struct section_head {
	char *name; /* the part after "kind:"; NULL for [server] */
	int line;
	uint32_t seen; /* bit i: key i of this section kind has been set */
	int key_line[CONFIG_MAX_KEYS];
};

struct config_server {
	struct section_head head;
	char *listen;
	unsigned threads;
	unsigned max_url_bytes;
	unsigned max_header_bytes;
	unsigned max_body_bytes;
	unsigned connection_timeout;
	enum log_level log_level;
	struct strlist trusted_proxies; /* "unix", ADDRESS or ADDRESS/PREFIX */
};

struct config_service {
	struct section_head head;
	char *connection_string; /* secret */
	char *connection_string_file;
	char *connection_string_env;
};

struct config_hub {
	struct section_head head;
	char *service;
	enum client_protocol client_protocol;
	unsigned token_lifetime;     /* minutes */
	unsigned max_token_lifetime; /* minutes */
	struct strlist auth;
	struct strlist roles;
	struct strlist groups;
};

struct auth_entry {
	char *key;
	char *value;
	int line;
	bool used;
};

/* An [auth:NAME] section: its keys are read by the authenticator it creates. */
struct ngd_section {
	struct section_head head;
	const char *file;
	struct auth_entry *entries;
	size_t n_entries;
	char *error; /* the first error reported through ngd_section_error() */
};

struct config {
	char *path; /* as given, for messages */
	struct config_server server;
	struct config_service **services;
	size_t n_services;
	struct config_hub **hubs;
	size_t n_hubs;
	struct ngd_section **auths;
	size_t n_auths;
};

/* Parses and checks a file (or, for config_load_string, text named `name` in messages).
 * Returns the config (free with config_free), or NULL with "FILE:LINE: KEY: reason" in err. */
struct config *config_load_file(const char *path, char *err, size_t err_len);
struct config *config_load_string(const char *name, const char *text, char *err, size_t err_len);
void config_free(struct config *cfg);

const struct config_hub *config_find_hub(const struct config *cfg, const char *name);
const struct config_service *config_find_service(const struct config *cfg, const char *name);
struct ngd_section *config_find_auth(const struct config *cfg, const char *name);
/* The line a key was set on, or the section's line when it was not set. */
int config_key_line(const struct section_head *head, const char *kind, const char *key);

#endif
