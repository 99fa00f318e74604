/* SPDX-License-Identifier: Apache-2.0 */
/* The connect gate's reader and signature check (HMAC-SHA256 values from Python's hmac), and the
 * REST close paths as @azure/web-pubsub 1.2.0 builds them (recorded by
 * tests/compat/revoke-close.test.mjs). */
#include "core/buf.h"
#include "negotiate/cloudevents.h"
#include "tap.h"
#include "token/rest_close.h"

#include <stdlib.h>
#include <strings.h>

static const char *const one = "81fb2da8928b852be5bc168577e509765ef318bdd376e91b03beb0760de1f9ee",
			 *const two =
				 "64e6676c077cdcfdfda7dc662ba39af152885e8f23e49dff5a42b44fc0c3c753";

struct headers {
	const char *const *pairs; /* name, value, ..., NULL */
};

static const char *lookup(void *ctx, const char *name)
{
	const struct headers *h = ctx;
	for (size_t i = 0; h->pairs[i]; i += 2)
		if (strcasecmp(h->pairs[i], name) == 0)
			return h->pairs[i + 1];
	return NULL;
}

static void signatures(void)
{
	struct token_signer *a = token_signer_new("key-one"), *b = token_signer_new("key-two");
	const struct token_signer *both[] = {a, b}, *only_b[] = {NULL, b};
	char sig_a[80], sig_b[80], two_entries[200];
	snprintf(sig_a, sizeof sig_a, "sha256=%s", one);
	snprintf(sig_b, sizeof sig_b, "sha256=%s", two);
	snprintf(two_entries, sizeof two_entries, "sha256=%064d, %s", 0, sig_b);
	ok(ce_signature_ok(sig_a, "conn-1", both, 2), "the first key's signature verifies");
	ok(!ce_signature_ok(sig_a, "conn-1", only_b, 2), "not under the other key alone");
	ok(ce_signature_ok(two_entries, "conn-1", both, 2), "a list: any entry may match");
	ok(!ce_signature_ok(sig_a, "conn-2", both, 2), "another connection id: refused");
	ok(!ce_signature_ok("sha256=zz", "conn-1", both, 2), "not hex: refused");
	ok(!ce_signature_ok("", "conn-1", both, 2), "empty: refused");
	token_signer_free(a);
	token_signer_free(b);
}

static void reading(void)
{
	const char *pairs[] = {"ce-awpsversion",
			       "1.0",
			       "ce-type",
			       "azure.webpubsub.sys.connect",
			       "ce-hub",
			       "chat",
			       "ce-connectionId",
			       "c1",
			       "ce-signature",
			       "sha256=x",
			       "WebHook-Request-Origin",
			       "x.webpubsub.azure.com",
			       "ce-userId",
			       "alice",
			       "Content-Type",
			       "application/json; charset=utf-8",
			       NULL};
	struct headers h = {pairs};
	struct ce_event ev;
	char why[200] = "";
	const char *body = "{\"claims\":{\"iat\":[\"1765000000\"]}}";
	ok(ce_read(lookup, &h, body, strlen(body), &ev, why, sizeof why) == 0,
	   "a connect event reads (%s)", why);
	ok(ev.kind == CE_CONNECT && ev.iat == 1765000000 && strcmp(ev.user_id, "alice") == 0,
	   "kind, iat from claims as the service sends it, user");
	ok(ce_read(lookup, &h, "[]", 2, &ev, why, sizeof why) < 0 &&
		   strstr(why, "not a JSON object"),
	   "a body that is not an object: %s", why);
	pairs[7] = "";
	ok(ce_read(lookup, &h, body, strlen(body), &ev, why, sizeof why) < 0 &&
		   strstr(why, "ce-connectionId"),
	   "an empty ce-connectionId is named: %s", why);
	pairs[7] = "c1";
	pairs[15] = "text/plain";
	ok(ce_read(lookup, &h, body, strlen(body), &ev, why, sizeof why) < 0 &&
		   strstr(why, "Content-Type"),
	   "a connect event that is not JSON: %s", why);
}

static void paths(void)
{
	struct buf b = {0};
	rest_close_path(CLOSE_CONNECTIONS, "chat", "a b+c=d/\xc3\xa9?#%!'()*~-._", &b);
	is_str(b.data,
	       "api/hubs/chat/users/a%20b%2Bc%3Dd%2F%C3%A9%3F%23%25!'()*~-._/"
	       ":closeConnections?api-version=2024-12-01&reason=revoked",
	       "closeUserConnections");
	b.len = 0;
	rest_close_path(REMOVE_FROM_GROUPS, "chat", "alice", &b);
	is_str(b.data, "api/hubs/chat/users/alice/groups?api-version=2024-12-01",
	       "removeUserFromAllGroups");
	buf_free(&b);
}

int main(void)
{
	signatures();
	reading();
	paths();
	return tap_done();
}
