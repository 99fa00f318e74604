/* SPDX-License-Identifier: Apache-2.0 */
/* An htpasswd file ([auth:NAME] type = htpasswd, file = ...) and the Basic credentials a client
 * sends. The input is the Authorization value on its first line, then the file's text. The
 * credentials go to a fixed instance (known cheap hashes) and, when the fuzzed file loads and
 * all its hashes are cheap (bcrypt cost 4, sha-crypt 1000 rounds), to that file's instance too:
 * libcrypt's own cost is not what is fuzzed here. */
#include "fake_request.h"
#include "fixture.h"
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cheap[] = {"$2b$04$", "$2y$04$", "$2a$04$", "$5$rounds=1000$",
				    "$6$rounds=1000$"};

static bool all_cheap(const char *file, size_t len)
{
	for (const char *line = file, *end = file + len; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line)), *stop = nl ? nl : end;
		const char *colon = memchr(line, ':', (size_t)(stop - line));
		bool ok = !colon;
		for (size_t i = 0; colon && i < sizeof cheap / sizeof cheap[0]; i++)
			ok |= (size_t)(stop - colon - 1) > strlen(cheap[i]) &&
			      !memcmp(colon + 1, cheap[i], strlen(cheap[i]));
		if (!ok)
			return false;
		line = stop + 1;
	}
	return true;
}

static struct runtime *build(const char *file, size_t len, bool must)
{
	char text[1024], err[1024];
	snprintf(text, sizeof text,
		 "[service:main]\nconnection_string = " FIXTURE_CONNECTION_STRING
		 "\n[hub:chat]\nauth = web\n[auth:web]\ntype = htpasswd\nfile = %s\n",
		 fixture_write(must ? "fixed.htpasswd" : "fuzzed.htpasswd", file, len));
	if (must)
		return fixture_runtime(text);
	struct config *cfg = config_load_string("fuzz.conf", text, err, sizeof err);
	struct runtime *rt = cfg ? runtime_build(cfg, err, sizeof err) : NULL;
	if (!rt && !strstr(err, "file"))
		abort(); /* a refused file is named */
	return rt;
}

static void check(const struct runtime *rt, const struct fake_request *f)
{
	const struct auth_instance *inst = fixture_auth(rt, "web");
	struct ngd_outcome out = {0};
	enum ngd_auth_result r = inst->type->authenticate(inst->state, &f->req, &out);
	if (r == NGD_AUTH_OK && !out.principal.user_id[0])
		abort();
	if (r == NGD_AUTH_DENY && out.deny_status != 401)
		abort();
	outcome_clear(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct runtime *fixed;
	if (!fixed)
		fixture_quiet(), fixed = build(FIXTURE_HTPASSWD, sizeof FIXTURE_HTPASSWD - 1, true);
	const uint8_t *nl = memchr(data, '\n', size);
	size_t first = nl ? (size_t)(nl - data) : size;
	char *header = malloc(first + sizeof "Authorization: ");
	if (!header)
		return 0;
	memcpy(header, "Authorization: ", sizeof "Authorization: " - 1);
	memcpy(header + sizeof "Authorization: " - 1, data, first);
	struct fake_request *f =
		fake_request_headers((const uint8_t *)header, first + sizeof "Authorization: " - 1);
	if (f)
		check(fixed, f);
	const char *file = nl ? (const char *)nl + 1 : "";
	size_t len = nl ? size - first - 1 : 0;
	struct runtime *rt = build(file, len, false);
	if (rt && f && all_cheap(file, len))
		check(rt, f);
	runtime_free(rt);
	fake_request_free(f);
	free(header);
	return 0;
}
