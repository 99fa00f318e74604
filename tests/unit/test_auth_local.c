/* SPDX-License-Identifier: Apache-2.0 */
/* htpasswd and plugin authenticators through the chain, with a request built by hand: which
 * authenticator admits, the attributes a plugin adds, the challenge, and concurrent verification.
 */
#include "auth/chain.h"
#include "config/config.h"
#include "edge/request.h"
#include "runtime/runtime.h"
#include "tap.h"

#include <crypt.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define CS "Endpoint=https://a.example;AccessKey=SECRETSECRETSECRETSECRETSECRET00"
#define SAMPLE_SECRET "sample-secret-0123456789"

static char dir[] = "/tmp/ngd-auth-XXXXXX";

struct fake {
	const char *names[4];
	const char *values[4];
};

static const char *fake_header(void *conn, const char *name)
{
	const struct fake *f = conn;
	for (size_t i = 0; i < 4 && f->names[i]; i++)
		if (strcasecmp(f->names[i], name) == 0)
			return f->values[i];
	return NULL;
}

static enum ngd_auth_result run(const struct hub *hub, struct fake *f, struct ngd_outcome *out)
{
	struct ngd_request req = {.method = "GET",
				  .path = "/negotiate",
				  .src = {.header = fake_header, .conn = f},
				  .body = ""};
	enum ngd_auth_result r;
	size_t at = 0;
	struct pool *here = NULL;
	outcome_clear(out);
	/* as the negotiate phases do: on at the authenticator that must block, on its pool */
	while ((r = auth_chain_run(hub->chain, hub->n_chain, &at, here, &req, out, &here)) ==
		       NGD_AUTH_ERROR &&
	       here)
		;
	return r;
}

/* "user:hash" with a fresh salt for PREFIX (cost 4 for bcrypt: fast enough for a unit test). */
static void hash_line(FILE *file, const char *user, const char *password, const char *prefix)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd = {0};
	if (!crypt_gensalt_rn(prefix, strcmp(prefix, "$2b$") == 0 ? 4 : 0, NULL, 0, salt,
			      sizeof salt) ||
	    !crypt_rn(password, salt, &cd, sizeof cd))
		abort();
	fprintf(file, "%s:%s\n", user, cd.output);
}

static struct runtime *load(void)
{
	char path[256], text[2048], err[640];
	snprintf(path, sizeof path, "%s/htpasswd", dir);
	FILE *f = fopen(path, "w");
	hash_line(f, "alice", "alice-password", "$2b$");
	hash_line(f, "yves", "yves-password", "$y$");
	hash_line(f, "sam", "sam-password", "$5$");
	fclose(f);
	snprintf(text, sizeof text,
		 "[service:main]\nconnection_string = " CS "\n[hub:chat]\nauth = web sample\n"
		 "[auth:web]\ntype = htpasswd\nfile = %s\n"
		 "[auth:sample]\ntype = plugin\npath = " TEST_PLUGIN_DIR "/sample_plugin.so\n"
		 "secret = " SAMPLE_SECRET "\nattribute = blue\n",
		 path);
	struct config *cfg = config_load_string("t.conf", text, err, sizeof err);
	struct runtime *rt = cfg ? runtime_build(cfg, err, sizeof err) : NULL;
	if (!rt)
		printf("# %s\n", err);
	return rt;
}

static void *verify_many(void *hub)
{
	struct ngd_outcome out = {0};
	struct fake ok_basic = {{"Authorization"},
				{"Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ="}}; /* alice:alice-password */
	struct fake wrong = {{"Authorization"}, {"Basic YWxpY2U6d3Jvbmc="}}; /* alice:wrong */
	long failures = 0;
	for (int i = 0; i < 20; i++) {
		failures += run(hub, i % 2 ? &wrong : &ok_basic, &out) !=
			    (i % 2 ? NGD_AUTH_DENY : NGD_AUTH_OK);
		outcome_clear(&out);
	}
	return (void *)failures;
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	struct runtime *rt = load();
	ok(rt, "htpasswd (bcrypt, yescrypt, sha256-crypt) and the sample plugin load");
	if (!rt)
		return tap_done();
	const struct hub *hub = runtime_find_hub(rt, "chat");
	struct ngd_outcome out = {0};

	struct fake alice = {{"Authorization"}, {"Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ="}};
	ok(run(hub, &alice, &out) == NGD_AUTH_OK && strcmp(out.principal.user_id, "alice") == 0 &&
		   strcmp(out.principal.authenticator, "web") == 0 && out.principal.n_attrs == 0,
	   "Basic alice (bcrypt) is admitted by [auth:web] with no attributes");
	struct fake yves = {{"Authorization"},
			    {"Basic eXZlczp5dmVzLXBhc3N3b3Jk"}}; /* yves:yves-password */
	ok(run(hub, &yves, &out) == NGD_AUTH_OK && strcmp(out.principal.user_id, "yves") == 0,
	   "yescrypt verifies");
	struct fake sam = {{"Authorization"},
			   {"Basic c2FtOnNhbS1wYXNzd29yZA=="}}; /* sam:sam-password */
	ok(run(hub, &sam, &out) == NGD_AUTH_OK && strcmp(out.principal.user_id, "sam") == 0,
	   "sha256-crypt verifies");

	struct fake plugin = {{"X-Sample-User", "X-Sample-Secret"}, {"carol", SAMPLE_SECRET}};
	ok(run(hub, &plugin, &out) == NGD_AUTH_OK && strcmp(out.principal.user_id, "carol") == 0 &&
		   strcmp(out.principal.authenticator, "sample") == 0 &&
		   out.principal.n_attrs == 1 &&
		   strcmp(out.principal.attrs[0].name, "sample") == 0 &&
		   strcmp(out.principal.attrs[0].value, "blue") == 0,
	   "the plugin admits carol with the attribute sample=blue");

	struct fake wrong = {{"Authorization"}, {"Basic YWxpY2U6d3Jvbmc="}};
	ok(run(hub, &wrong, &out) == NGD_AUTH_DENY && out.deny_status == 401 &&
		   strcmp(out.deny_code, "invalid_credentials") == 0,
	   "a wrong password is DENY 401 invalid_credentials");
	struct fake bad = {{"Authorization"}, {"Basic YWxpY2U"}};
	ok(run(hub, &bad, &out) == NGD_AUTH_DENY &&
		   strcmp(out.deny_code, "malformed_credentials") == 0,
	   "unpadded base64 is DENY malformed_credentials");
	struct fake plugin_wrong = {{"X-Sample-User", "X-Sample-Secret"}, {"carol", "nope"}};
	ok(run(hub, &plugin_wrong, &out) == NGD_AUTH_DENY && out.deny_status == 403 &&
		   strcmp(out.deny_code, "sample_refused") == 0,
	   "the plugin's DENY 403 and its code reach the outcome");
	struct fake none = {{NULL}, {NULL}};
	ok(run(hub, &none, &out) == NGD_AUTH_DENY && strcmp(out.deny_code, "unauthenticated") == 0,
	   "no credentials: both decline, 401 unauthenticated");
	is_str(hub->challenge, "Basic realm=\"negotiated\", Sample realm=\"negotiated\"",
	       "the challenge names Basic and the plugin's scheme");
	ok(auth_htpasswd.flags & NGD_AUTH_MAY_BLOCK,
	   "htpasswd declares NGD_AUTH_MAY_BLOCK (bcrypt spends milliseconds by design)");
	outcome_clear(&out);

	pthread_t threads[4];
	long failures = 0;
	for (int i = 0; i < 4; i++)
		pthread_create(&threads[i], NULL, verify_many, (void *)hub);
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(threads[i], &r);
		failures += (long)r;
	}
	ok(failures == 0,
	   "4 threads x 20 verifications give the right answer every time (%ld wrong)", failures);

	runtime_free(rt);
	char path[256];
	snprintf(path, sizeof path, "%s/htpasswd", dir);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
