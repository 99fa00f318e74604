/* Development mode: one hub, anonymous callers, and a loud warning. */
#include "dev.h"

#include "buf.h"
#include "log.h"
#include "secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEV_ENV "WEBPUBSUB_CONNECTION_STRING"

static const char dev_config[] = "[server]\n"
				 "listen = 127.0.0.1:8080\n"
				 "[service:local]\n"
				 "connection_string_env = " DEV_ENV "\n"
				 "[hub:demo]\n"
				 "auth = guest\n"
				 "roles = webpubsub.joinLeaveGroup.demo webpubsub.sendToGroup.demo\n"
				 "groups = demo\n"
				 "[auth:guest]\n"
				 "type = anonymous\n";

/* A throwaway key for a local emulator; it never leaves this process. */
static int generate_connection_string(void)
{
	unsigned char key[33];
	struct buf cs = {0};
	if (random_bytes(key, sizeof key) < 0)
		return -1;
	buf_puts(&cs, "Endpoint=http://localhost:8081;AccessKey=");
	buf_base64url(&cs, key, sizeof key);
	buf_puts(&cs, ";Version=1.0;");
	explicit_bzero(key, sizeof key);
	int rc = cs.failed ? -1 : setenv(DEV_ENV, cs.data, 1);
	buf_free_secret(&cs);
	return rc;
}

struct config *dev_config_load(char *err, size_t err_len)
{
	log_warning("DEVELOPMENT MODE: every caller is admitted anonymously to hub 'demo'; never expose this");
	if (!getenv(DEV_ENV) || !*getenv(DEV_ENV)) {
		log_warning("DEVELOPMENT MODE: %s is not set: signing with a generated key for http://localhost:8081, "
			    "which no real service accepts",
			    DEV_ENV);
		if (generate_connection_string() < 0) {
			snprintf(err, err_len, "cannot generate a development key");
			return NULL;
		}
	}
	return config_load_string("<dev>", dev_config, err, err_len);
}
