/* SPDX-License-Identifier: Apache-2.0 */
/* A sample out-of-tree authenticator, built by `make check` and loaded by the integration tests.
 *
 * [auth:NAME] type = plugin, path = .../sample_plugin.so, secret = S (16+ characters),
 * attribute = VALUE (optional). A request with "X-Sample-Secret: S" and "X-Sample-User: U" is OK
 * as user U with the attribute sample=VALUE; a wrong secret is DENY 403; no X-Sample-User header
 * is DECLINED. It uses only what include/negotiated/plugin.h offers. */
#include <negotiated/plugin.h>

#include <stdlib.h>
#include <string.h>

struct sample {
	char *secret;
	size_t secret_len;
	char *attribute;
};

static void sample_destroy(void *instance)
{
	struct sample *s = instance;
	if (s->secret)
		explicit_bzero(s->secret, s->secret_len);
	free(s->secret);
	free(s->attribute);
	free(s);
}

static void *sample_create(struct ngd_section *sec)
{
	const char *secret = ngd_section_get(sec, "secret");
	const char *attribute = ngd_section_get(sec, "attribute");
	if (!secret || strlen(secret) < 16)
		return ngd_section_error(sec, "secret", "required: at least 16 characters"), NULL;
	struct sample *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->secret = strdup(secret);
	s->secret_len = strlen(secret);
	s->attribute = strdup(attribute ? attribute : "yes");
	if (!s->secret || !s->attribute) {
		sample_destroy(s);
		return NULL;
	}
	return s;
}

static int equal_in_constant_time(const char *a, size_t a_len, const char *b, size_t b_len)
{
	unsigned char diff = a_len != b_len;
	for (size_t i = 0; i < a_len && i < b_len; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static enum ngd_auth_result sample_authenticate(void *instance, const struct ngd_request *req,
						struct ngd_outcome *out)
{
	const struct sample *s = instance;
	const char *user = ngd_request_header(req, "X-Sample-User");
	const char *secret = ngd_request_header(req, "X-Sample-Secret");
	if (!user)
		return NGD_AUTH_DECLINED;
	if (!secret || !equal_in_constant_time(secret, strlen(secret), s->secret, s->secret_len)) {
		ngd_outcome_deny(out, 403, "sample_refused",
				 "the sample plugin refused the secret");
		return NGD_AUTH_DENY;
	}
	if (ngd_outcome_set_user(out, user) < 0) {
		ngd_outcome_deny(out, 401, "malformed_credentials",
				 "X-Sample-User is not a valid user id");
		return NGD_AUTH_DENY;
	}
	return ngd_outcome_add_attribute(out, "sample", s->attribute) == 0 ? NGD_AUTH_OK
									   : NGD_AUTH_ERROR;
}

static const struct ngd_authenticator sample = {
	.abi_version = NGD_PLUGIN_ABI_VERSION,
	.type = "sample",
	.challenge = "Sample",
	.create = sample_create,
	.authenticate = sample_authenticate,
	.destroy = sample_destroy,
};

const struct ngd_authenticator *ngd_plugin_entry(void)
{
	return &sample;
}
