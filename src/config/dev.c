/* SPDX-License-Identifier: Apache-2.0 */
/* Development mode: one hub, anonymous callers, local browser pages, and a loud warning. */
#include "config/dev.h"

#include "core/buf.h"
#include "core/log.h"
#include "core/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEV_ENV "WEBPUBSUB_CONNECTION_STRING"
#define DEV_ORIGINS "http://localhost:* http://127.0.0.1:*" /* a page on a local dev server */

#define DEV_PLACEHOLDER "http://localhost:8081"

/* The service line is added by dev_config_load: from the environment, or a generated key. */
static const char dev_config[] =
	"[server]\n"
	"listen = 127.0.0.1:8080\n"
	"cors_origins = " DEV_ORIGINS "\n"
	"dev_page = yes\n"
	"allowed_hosts = localhost 127.0.0.1 [::1]\n"
	"[hub:chat]\n"
	"auth = guest\n"
	"roles = webpubsub.joinLeaveGroup.lobby webpubsub.sendToGroup.lobby\n"
	"groups = lobby\n"
	"[auth:guest]\n"
	"type = anonymous\n"
	"[service:local]\n";

/* A throwaway key for a local emulator; it never leaves this process. */
static int add_generated_service(struct buf *text)
{
	unsigned char key[33];
	if (random_bytes(key, sizeof key) < 0)
		return -1;
	buf_puts(text, "connection_string = Endpoint=" DEV_PLACEHOLDER ";AccessKey=");
	buf_base64url(text, key, sizeof key);
	buf_puts(text, ";Version=1.0;\n");
	explicit_bzero(key, sizeof key);
	return 0;
}

void dev_config_print(FILE *out)
{
	fputs("; The configuration `negotiated --dev` runs, as a starting file (see "
	      "negotiated.conf(5)).\n"
	      "; Check it with: negotiated --check-config -c FILE\n"
	      "; Before production: replace [auth:guest] (anyone is admitted) and dev_page, and "
	      "narrow\n"
	      "; cors_origins to your app's origin.\n",
	      out);
	fputs(dev_config, out);
	fputs("; The resource's connection string, from the environment (never in this file).\n"
	      "; Without it, --dev signs for the placeholder " DEV_PLACEHOLDER
	      " with a key generated for\n"
	      "; the run: no service accepts those tokens.\n"
	      "connection_string_env = " DEV_ENV "\n",
	      out);
}

struct config *dev_config_load(char *err, size_t err_len)
{
	struct buf text = {0};
	struct config *cfg = NULL;
	log_warning("DEVELOPMENT MODE: every caller is admitted anonymously to hub 'chat'; never "
		    "expose this");
	log_warning("DEVELOPMENT MODE: browser pages on " DEV_ORIGINS
		    " (any port, and only those) may call /negotiate");
	log_warning("DEVELOPMENT MODE: the developer page is served at GET / ([server] dev_page)");
	buf_puts(&text, dev_config);
	if (getenv(DEV_ENV) && *getenv(DEV_ENV)) {
		buf_puts(&text, "connection_string_env = " DEV_ENV "\n");
	} else {
		log_warning("DEVELOPMENT MODE: %s is not set: tokens name the placeholder "
			    "endpoint " DEV_PLACEHOLDER
			    " and are signed with a key generated for this run, so no service "
			    "accepts them; set %s "
			    "to your Web PubSub resource's connection string for tokens it accepts",
			    DEV_ENV, DEV_ENV);
		if (add_generated_service(&text) < 0)
			text.failed = true;
	}
	if (text.failed)
		snprintf(err, err_len, "<dev>: cannot build the development configuration");
	else
		cfg = config_load_string("<dev>", text.data, err, err_len);
	buf_free_secret(&text);
	return cfg;
}
