/* SPDX-License-Identifier: Apache-2.0 */
/* See fixture.h. */
#include "fixture.h"

#include "core/log.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

static char dir[] = "/tmp/ngd-fuzz-XXXXXX";
static char paths[16][PATH_MAX];
static size_t n_paths;

static void remove_scratch(void)
{
	for (size_t i = 0; i < n_paths; i++)
		unlink(paths[i]);
	rmdir(dir);
}

const char *fixture_write(const char *name, const void *data, size_t len)
{
	static bool made;
	if (!made && !mkdtemp(dir))
		abort();
	if (!made)
		made = true, atexit(remove_scratch);
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		abort();
	size_t i = 0;
	while (i < n_paths && strcmp(paths[i], path) != 0)
		i++;
	if (i == n_paths) {
		if (n_paths == sizeof paths / sizeof paths[0])
			abort();
		strcpy(paths[n_paths++], path);
	}
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0 || chmod(path, 0600) != 0)
		abort(); /* 0600: the daemon refuses a secret every user may read */
	return paths[i];
}

struct runtime *fixture_runtime(const char *text)
{
	char err[1024];
	struct config *cfg = config_load_string("fuzz.conf", text, err, sizeof err);
	struct runtime *rt = cfg ? runtime_build(cfg, err, sizeof err) : NULL;
	if (!rt) {
		fprintf(stderr, "fuzz fixture: %s\n", err);
		abort();
	}
	return rt;
}

struct auth_instance *fixture_auth(const struct runtime *rt, const char *name)
{
	for (size_t i = 0; i < rt->n_auths; i++)
		if (strcmp(rt->auths[i]->name, name) == 0)
			return rt->auths[i];
	abort();
}

void fixture_quiet(void)
{
	log_set_level(LOG_LEVEL_ERROR);
}
