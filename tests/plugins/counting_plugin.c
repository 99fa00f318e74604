/* SPDX-License-Identifier: Apache-2.0 */
/* A blocking test authenticator that counts its calls, built by `make check` and loaded by
 * tests/compat/keyless-chain.test.mjs to prove that a request runs each authenticator once.
 *
 * [auth:NAME] type = plugin, path = .../counting_plugin.so, count_file = PATH, user_header = H.
 * Every call appends "NAME\n" to PATH (one write with O_APPEND: lines of concurrent calls do not
 * mix). A request with header H is OK as the user it names; without it, DECLINED. It says
 * NGD_AUTH_MAY_BLOCK, so it runs only on its own pool's threads; built with -DCOUNTING_INLINE
 * (counting_inline.so) it does not, and runs on the HTTP thread like an API key. */
#include <negotiated/plugin.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct counting {
	char *count_file, *user_header, *name;
};

static void counting_destroy(void *instance)
{
	struct counting *c = instance;
	free(c->count_file);
	free(c->user_header);
	free(c->name);
	free(c);
}

static void *counting_create(struct ngd_section *sec)
{
	const char *file = ngd_section_get(sec, "count_file");
	const char *header = ngd_section_get(sec, "user_header");
	if (!file || file[0] != '/') {
		ngd_section_error(sec, "count_file", "required: an absolute path");
		return NULL;
	}
	if (!header) {
		ngd_section_error(sec, "user_header", "required: the header that names the user");
		return NULL;
	}
	struct counting *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->count_file = strdup(file);
	c->user_header = strdup(header);
	c->name = strdup(ngd_section_name(sec));
	if (!c->count_file || !c->user_header || !c->name) {
		counting_destroy(c);
		return NULL;
	}
	return c;
}

/* One line per call; a failure to count fails the request, so that a test cannot miss a call. */
static int count_call(const struct counting *c)
{
	char line[128];
	int len = snprintf(line, sizeof line, "%s\n", c->name);
	int fd = open(c->count_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ssize_t written = write(fd, line, (size_t)len);
	close(fd);
	return written == len ? 0 : -1;
}

static enum ngd_auth_result counting_authenticate(void *instance, const struct ngd_request *req,
						  struct ngd_outcome *out)
{
	const struct counting *c = instance;
	if (count_call(c) < 0)
		return NGD_AUTH_ERROR;
	const char *user = ngd_request_header(req, c->user_header);
	if (!user)
		return NGD_AUTH_DECLINED;
	if (ngd_outcome_set_user(out, user) < 0)
		return NGD_AUTH_ERROR;
	return NGD_AUTH_OK;
}

static const struct ngd_authenticator counting = {
	.abi_version = NGD_PLUGIN_ABI_VERSION,
	.type = "counting",
	.challenge = "Counting",
	.create = counting_create,
	.authenticate = counting_authenticate,
	.destroy = counting_destroy,
#ifdef COUNTING_INLINE
	.flags = 0,
#else
	.flags = NGD_AUTH_MAY_BLOCK,
#endif
};

const struct ngd_authenticator *ngd_plugin_entry(void)
{
	return &counting;
}
