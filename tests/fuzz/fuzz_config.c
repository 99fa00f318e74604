/* SPDX-License-Identifier: Apache-2.0 */
/* A whole configuration file through config_load_string() and runtime_build(), as start-up,
 * --check-config and every reload read it. No network and no dlopen: inputs naming a key that
 * fetches (jwks_url, discovery), loads a plugin, or writes a file (access_log) are skipped here. */
#include "config/config.h"
#include "fixture.h"
#include "fuzz.h"
#include "runtime/runtime.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A long path, as a deep /etc tree may give: messages are "PATH:LINE: KEY: reason" and must fit. */
#define LONG_PATH                                                                                  \
	"/etc/negotiated/a-directory-with-a-long-name-0123456789abcdefghijklmnopqrstuvwxyz/"       \
	"another-directory-with-a-long-name-0123456789abcdefghijklmnopqrstuvwxyz/"                 \
	"a-third-directory-with-a-long-name-0123456789abcdefghijklmnopqrstuvwxyz/"                 \
	"a-fourth-directory-with-a-long-name-0123456789abcdefghijklmnopqrstuvwxyz/"                \
	"a-fifth-directory-0123456789abcdefghijklmnopqrstuvwxyz/negotiated.conf"

static const char *const out_of_bounds[] = {"jwks_url", "discovery", "plugin", "access_log"};

static bool stays_local(const char *text)
{
	for (size_t i = 0; i < sizeof out_of_bounds / sizeof out_of_bounds[0]; i++)
		if (strcasestr(text, out_of_bounds[i]))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[1024] = "";
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	fixture_quiet();
	if (stays_local(text)) {
		struct config *cfg = config_load_string(LONG_PATH, text, err, sizeof err);
		struct runtime *rt = cfg ? runtime_build(cfg, err, sizeof err) : NULL;
		if (!rt && !err[0])
			abort(); /* every refusal says why */
		if (rt && (!rt->n_hubs || !rt->n_services))
			abort(); /* a runtime serves something */
		for (size_t i = 0; rt && i < rt->n_hubs; i++)
			if (runtime_find_hub(rt, rt->hubs[i].cfg->head.name) != &rt->hubs[i])
				abort();
		runtime_free(rt);
	}
	free(text);
	return 0;
}
