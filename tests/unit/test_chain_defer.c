/* SPDX-License-Identifier: Apache-2.0 */
/* Bulkheads in the chain: which requests leave the HTTP thread, for which authenticator's pool,
 * and which stay (API keys, a webhook's declines, jwt against local keys or within the cooldown);
 * a chain that stops at an authenticator continues at it, not from the start. */
#include "auth/chain.h"
#include "config/config.h"
#include "edge/request.h"
#include "runtime/runtime.h"
#include "tap.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

#define CS "Endpoint=https://a.example;AccessKey=SECRETSECRETSECRETSECRETSECRET00"
#define API_KEY "k0123456789abcdef0123456789abcdef"

static char dir[] = "/tmp/ngd-defer-XXXXXX";

static const char *one_header(void *conn, const char *name)
{
	const char *const *h = conn; /* {name, value} */
	return h[0] && strcasecmp(h[0], name) == 0 ? h[1] : NULL;
}

/* HUB's chain from *AT on, on the thread of pool HERE (NULL: an HTTP thread); *WAIT: the pool it
 * must continue on. */
static enum ngd_auth_result run_at(const struct runtime *rt, const char *hub, const char *name,
				   const char *value, size_t *at, const struct pool *here,
				   struct ngd_outcome *out, struct pool **wait)
{
	const char *header[2] = {name, value};
	const struct hub *h = runtime_find_hub(rt, hub);
	struct ngd_request req = {.method = "GET",
				  .path = "/negotiate",
				  .src = {.header = one_header, .conn = (void *)header},
				  .body = "",
				  .hub = hub};
	outcome_clear(out);
	return auth_chain_run(h->chain, h->n_chain, at, here, &req, out, wait);
}

/* The whole chain from the start on an HTTP thread. */
static enum ngd_auth_result pass(const struct runtime *rt, const char *hub, const char *name,
				 const char *value, struct ngd_outcome *out, struct pool **wait)
{
	size_t at = 0;
	return run_at(rt, hub, name, value, &at, NULL, out, wait);
}

static const struct auth_instance *instance(const struct runtime *rt, const char *name)
{
	for (size_t i = 0; i < rt->n_auths; i++)
		if (strcmp(rt->auths[i]->name, name) == 0)
			return rt->auths[i];
	return NULL;
}

static struct runtime *load(void)
{
	char path[300], text[4096], err[640];
	struct crypt_data cd = {0};
	umask(077); /* the keys and the secret: others may not read them */
	snprintf(path, sizeof path, "%s/keys", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "svc " API_KEY "\n");
	fclose(f);
	snprintf(path, sizeof path, "%s/htpasswd", dir);
	f = fopen(path, "w");
	fprintf(f, "alice:%s\n", crypt_rn("pw", "$5$saltsalt", &cd, sizeof cd));
	fclose(f);
	snprintf(path, sizeof path, "%s/secret", dir);
	f = fopen(path, "w");
	fprintf(f, "0123456789abcdef0123456789abcdef\n");
	fclose(f);
	snprintf(text, sizeof text,
		 "[server]\nauth_workers = 2\n[service:main]\nconnection_string = " CS "\n"
		 "[hub:a]\nauth = keys web\n[hub:h]\nauth = hook\n[hub:j]\nauth = "
		 "local\n[hub:r]\nauth = remote\n"
		 "[auth:keys]\ntype = apikey\nfile = %s/keys\n"
		 "[auth:web]\ntype = htpasswd\nfile = %s/htpasswd\nmax_concurrent = 3\n"
		 "[auth:hook]\ntype = webhook\nurl = http://127.0.0.1:9/auth\n"
		 "[auth:local]\ntype = jwt\nissuer = i\naudience = a\nalgorithms = "
		 "HS256\nsecret_file = %s/secret\n"
		 "[auth:remote]\ntype = jwt\nissuer = i\naudience = a\nalgorithms = RS256\n"
		 "jwks_url = http://127.0.0.1:9/jwks.json\nrefetch_cooldown = 1\nfetch_timeout = "
		 "1\n",
		 dir, dir, dir);
	struct config *cfg = config_load_string("t.conf", text, err, sizeof err);
	struct runtime *rt = cfg ? runtime_build(cfg, err, sizeof err) : NULL;
	if (!rt)
		printf("# %s\n", err);
	return rt;
}

/* {"alg":"HS256"}.{"sub":"x"}.AAAA: JWT-shaped, signed with nothing. */
#define BAD_HS256 "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA"
/* {"alg":"RS256","kid":"k9"}.{"sub":"x"}.AAAA */
#define UNKNOWN_KID "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6Ims5In0.eyJzdWIiOiJ4In0.AAAA"

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	struct runtime *rt = load();
	ok(rt != NULL, "apikey, htpasswd, webhook and two jwt authenticators load");
	if (!rt)
		return tap_done();
	const struct auth_instance *web = instance(rt, "web"), *hook = instance(rt, "hook"),
				   *remote = instance(rt, "remote");
	struct ngd_outcome out = {0};
	struct pool *wait = NULL;
	size_t at = 0;
	ok(web->pool->max_concurrent == 3 && web->pool->max_queued == 1 &&
		   hook->pool->max_concurrent == 2 && hook->pool->max_queued == 0,
	   "max_concurrent: 3 for web (2 threads, 1 waiting), auth_workers + auth_queue = 2 for "
	   "hook");
	ok(!instance(rt, "keys")->pool,
	   "an API key authenticator has no worker pool: it never blocks");

	ok(pass(rt, "a", "X-API-Key", API_KEY, &out, &wait) == NGD_AUTH_OK && !wait,
	   "an API key in front of htpasswd is admitted on the HTTP thread");
	ok(run_at(rt, "a", "Authorization", "Basic YWxpY2U6cHc=", &at, NULL, &out, &wait) ==
			   NGD_AUTH_ERROR &&
		   wait == web->pool && at == 1,
	   "Basic credentials reach htpasswd: the chain stops at it (index 1), to continue on "
	   "web's pool");
	ok(run_at(rt, "a", "Authorization", "Basic YWxpY2U6cHc=", &at, web->pool, &out, &wait) ==
			   NGD_AUTH_OK &&
		   strcmp(out.principal.user_id, "alice") == 0 && !wait && at == 1,
	   "on web's pool the chain continues at htpasswd, and alice is admitted");
	at = 1;
	ok(run_at(rt, "a", "Authorization", "Basic YWxpY2U6cHc=", &at, hook->pool, &out, &wait) ==
			   NGD_AUTH_ERROR &&
		   wait == web->pool,
	   "on another authenticator's pool htpasswd still waits for its own");

	ok(pass(rt, "h", NULL, NULL, &out, &wait) == NGD_AUTH_DENY && !wait &&
		   strcmp(out.deny_code, "unauthenticated") == 0,
	   "no forwarded header: the webhook declines on the HTTP thread");
	ok(pass(rt, "h", "Authorization", "Bearer abc", &out, &wait) == NGD_AUTH_ERROR &&
		   wait == hook->pool,
	   "a webhook call leaves the HTTP thread for the webhook's own pool");

	ok(pass(rt, "j", "Authorization", BAD_HS256, &out, &wait) == NGD_AUTH_DENY && !wait &&
		   strcmp(out.deny_code, "invalid_signature") == 0,
	   "jwt against a local secret is decided on the HTTP thread");

	ok(pass(rt, "r", "Authorization", UNKNOWN_KID, &out, &wait) == NGD_AUTH_ERROR && !wait,
	   "an unknown kid within the cooldown is answered on the HTTP thread (no keys yet: 503)");
	ok(remote->pool && remote->pool->max_concurrent == 2,
	   "the remote jwt has its own pool for its fetches");
	ok(strcmp(hook->pool->label, "[auth:hook] webhook") == 0,
	   "a pool's warning names its authenticator");
	/* the fetch after the cooldown, a fetch in flight and remembered kids:
	 * tests/integration/test_bulkhead.py */
	outcome_clear(&out);

	runtime_free(rt);
	const char *files[] = {"keys", "htpasswd", "secret"};
	for (size_t i = 0; i < 3; i++) {
		char path[300];
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return tap_done();
}
