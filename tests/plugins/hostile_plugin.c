/* SPDX-License-Identifier: Apache-2.0 */
/* A hostile out-of-tree authenticator for the plugin ABI's copy-and-check promise: the request
 * header X-Hostile names what it does. It hands the daemon stack buffers it then scribbles over,
 * NULLs, codes and messages outside the contract, bad statuses, and OK without a user. Every
 * string it passes is overwritten before authenticate() returns, so a kept pointer would show
 * "ZZZZ" (or worse) in the answer. */
#include <negotiated/plugin.h>

#include <stdlib.h>
#include <string.h>

static void *hostile_create(struct ngd_section *sec)
{
	static int instance;
	(void)sec;
	return &instance;
}

static void hostile_destroy(void *instance)
{
	(void)instance;
}

/* Through a volatile pointer: a plain memset of a dying buffer is a dead store the compiler drops.
 */
static void scribble(char *buf, size_t len)
{
	volatile char *p = buf;
	for (size_t i = 0; i < len; i++)
		p[i] = 'Z';
}

/* Each returns what authenticate() returns; the buffers die with its frame, scribbled first. */
static enum ngd_auth_result deny_from_stack(struct ngd_outcome *out)
{
	char code[32] = "stack_code", message[64] = "refused from a stack buffer";
	ngd_outcome_deny(out, 403, code, message);
	scribble(code, sizeof code - 1);
	scribble(message, sizeof message - 1);
	return NGD_AUTH_DENY;
}

static enum ngd_auth_result deny_from_heap(struct ngd_outcome *out)
{
	char *code = strdup("heap_code");
	if (!code)
		return NGD_AUTH_ERROR;
	ngd_outcome_deny(out, 401, code, "refused from a freed buffer");
	scribble(code, strlen(code));
	free(code);
	return NGD_AUTH_DENY;
}

static enum ngd_auth_result user_from_stack(struct ngd_outcome *out)
{
	char user[16] = "stack-user", name[8] = "color", value[8] = "red";
	if (ngd_outcome_set_user(out, user) < 0 || ngd_outcome_add_attribute(out, name, value) < 0)
		return NGD_AUTH_ERROR;
	scribble(user, sizeof user - 1);
	scribble(name, sizeof name - 1);
	scribble(value, sizeof value - 1);
	return NGD_AUTH_OK;
}

static enum ngd_auth_result garbage(struct ngd_outcome *out, const char *mode)
{
	static const char control[] = "bad\x1b]0;pwned\x07message";
	char long_code[80];
	memset(long_code, 'a', sizeof long_code - 1);
	long_code[sizeof long_code - 1] = '\0';
	if (strcmp(mode, "bad-code") == 0)
		ngd_outcome_deny(out, 403, "Bad-Code!\x1b", "a code outside [a-z_]");
	else if (strcmp(mode, "long-code") == 0)
		ngd_outcome_deny(out, 403, long_code, "a code of 79 letters");
	else if (strcmp(mode, "null") == 0)
		ngd_outcome_deny(out, 403, NULL, NULL);
	else if (strcmp(mode, "control-message") == 0)
		ngd_outcome_deny(out, 403, "fine_code", control);
	else if (strcmp(mode, "bad-status") == 0)
		ngd_outcome_deny(out, 999, "odd_status", "a status that is neither 401 nor 403");
	else if (strcmp(mode, "null-user") == 0)
		return ngd_outcome_set_user(out, NULL) == -1 &&
				       ngd_outcome_add_attribute(out, NULL, NULL) == -1
			       ? NGD_AUTH_OK /* OK without a user: the daemon must fail closed */
			       : NGD_AUTH_DENY;
	else
		return NGD_AUTH_DECLINED;
	return NGD_AUTH_DENY;
}

static enum ngd_auth_result hostile_authenticate(void *instance, const struct ngd_request *req,
						 struct ngd_outcome *out)
{
	const char *mode = ngd_request_header(req, "X-Hostile");
	(void)instance;
	if (!mode)
		return NGD_AUTH_DECLINED;
	if (strcmp(mode, "stack-deny") == 0)
		return deny_from_stack(out);
	if (strcmp(mode, "heap-deny") == 0)
		return deny_from_heap(out);
	if (strcmp(mode, "stack-user") == 0)
		return user_from_stack(out);
	return garbage(out, mode);
}

static const struct ngd_authenticator hostile = {
	.abi_version = NGD_PLUGIN_ABI_VERSION,
	.type = "hostile",
	.create = hostile_create,
	.authenticate = hostile_authenticate,
	.destroy = hostile_destroy,
};

const struct ngd_authenticator *ngd_plugin_entry(void)
{
	return &hostile;
}
