/* SPDX-License-Identifier: Apache-2.0 */
/* Minting: known answers computed by PyJWT with a fixed clock, and libjwt as an independent
 * verifier of every claim for a matrix of inputs. */
#include "tap.h"
#include "token/connstr.h"
#include "token/token.h"

#include <jansson.h>
#include <jwt.h>
#include <stdlib.h>

#define KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"

static struct connstr parse(const char *cs)
{
	struct connstr c;
	char err[256];
	if (connstr_parse(cs, &c, err, sizeof err) < 0)
		printf("# connstr_parse: %s\n", err);
	return c;
}

static char *mint(const struct connstr *cs, const struct token_claims *claims)
{
	struct token_signer *s = token_signer_new(cs->access_key);
	struct buf out = {0};
	int rc = token_mint(&cs->endpoint, s, claims, &out);
	token_signer_free(s);
	return rc == 0 ? buf_steal(&out) : NULL;
}

static void known_answers(void)
{
	const char *roles[] = {"webpubsub.joinLeaveGroup.room1", "webpubsub.sendToGroup.room1"};
	const char *groups[] = {"room1"};
	struct connstr a =
		parse("Endpoint=https://demo.webpubsub.azure.com;AccessKey=" KEY ";Version=1.0;");
	struct token_claims c1 = {"chat", PROTOCOL_DEFAULT, "alice", roles, 2, groups,
				  1,	  1700000000,	    60};
	char *t = mint(&a, &c1);
	is_str(t,
	       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
	       "eyJhdWQiOiJodHRwczovL2RlbW8ud2VicHVic3ViLmF6dXJlLmNvbS9jbGllbnQvaHVicy9jaGF0IiwiaWF"
	       "0IjoxNzAwMDAwMDAwLCJ"
	       "leHAiOjE3MDAwMDM2MDAsInN1YiI6ImFsaWNlIiwicm9sZSI6WyJ3ZWJwdWJzdWIuam9pbkxlYXZlR3JvdX"
	       "Aucm9vbTEiLCJ3ZWJwdW"
	       "JzdWIuc2VuZFRvR3JvdXAucm9vbTEiXSwid2VicHVic3ViLmdyb3VwIjpbInJvb20xIl19."
	       "X4swkH5tO9Y2i-1qBjT5R3oUf_"
	       "x8PAU9I72b5MnCvCg",
	       "known answer: user, two roles, one group, 60 minutes");
	free(t);
	connstr_clear(&a);

	struct connstr b = parse("endpoint=http://localhost;port=8080;accesskey=" KEY);
	struct token_claims c2 = {"Hub_1", PROTOCOL_SOCKETIO, NULL, NULL, 0, NULL,
				  0,	   1700000000,	      1};
	t = mint(&b, &c2);
	is_str(t,
	       "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
	       "eyJhdWQiOiJodHRwOi8vbG9jYWxob3N0OjgwODAvY2xpZW50cy9zb2NrZXRpby9odWJzL0h1Yl8xIiwiaWF"
	       "0IjoxNzAwMDAwMDAwLCJ"
	       "leHAiOjE3MDAwMDAwNjB9.t4l5QmG9_uIbPf3QTqZRXECr5tTqfubwqkiZ-UQ6kWw",
	       "known answer: no user, no roles or groups, socketio, 1 minute");
	free(t);
	connstr_clear(&b);
}

static void urls(void)
{
	static const struct {
		enum client_protocol p;
		const char *want;
	} cases[] = {
		{PROTOCOL_DEFAULT, "wss://h.example/base/client/hubs/chat"},
		{PROTOCOL_MQTT, "wss://h.example/base/clients/mqtt/hubs/chat"},
		{PROTOCOL_SOCKETIO, "wss://h.example/base/clients/socketio/hubs/chat"},
	};
	struct connstr c = parse("Endpoint=https://h.example/base;AccessKey=" KEY);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b = {0};
		client_base_url(&c.endpoint, "chat", cases[i].p, &b);
		is_str(b.data, cases[i].want, "base URL for %s", client_protocol_name(cases[i].p));
		buf_free(&b);
	}
	struct buf j = {0};
	client_access_json("ws://h/client/hubs/a", "x.y.z", PROTOCOL_DEFAULT, &j);
	is_str(j.data,
	       "{\"baseUrl\":\"ws://h/client/hubs/a\",\"url\":\"ws://h/client/hubs/"
	       "a?access_token=x.y.z\",\"token\":\"x.y.z\"}",
	       "the SDK's {baseUrl, url, token}");
	buf_free(&j);
	client_access_json("wss://H.Example:8443/base/clients/socketio/hubs/a`b", "x.y.z",
			   PROTOCOL_SOCKETIO, &j);
	is_str(j.data,
	       "{\"baseUrl\":\"wss://H.Example:8443/base/clients/socketio/hubs/"
	       "a`b\",\"url\":\"wss://H.Example:8443/"
	       "base/"
	       "clients/socketio/hubs/"
	       "a`b?access_token=x.y.z\",\"token\":\"x.y.z\",\"endpoint\":\"wss://"
	       "h.example:8443\",\"path\":\"/base/clients/socketio/hubs/a%60b\"}",
	       "Socket.IO adds the extension's endpoint (URL origin) and path (URL pathname)");
	buf_free(&j);
	connstr_clear(&c);
}

static int same_json(const char *got_text, const char *want_text)
{
	json_t *got = got_text ? json_loads(got_text, 0, NULL) : NULL;
	json_t *want = want_text ? json_loads(want_text, 0, NULL) : NULL;
	int same = (!got && !want) || (got && want && json_equal(got, want));
	json_decref(got);
	json_decref(want);
	return same;
}

/* libjwt decodes and verifies what we minted; each claim must be what was asked for. */
static void oracle_case(const char *user, const char *const *roles, size_t nr,
			const char *const *groups, size_t ng, const char *want_roles,
			const char *want_groups)
{
	struct connstr c = parse("Endpoint=https://o.example:8443/;AccessKey=" KEY);
	struct token_claims claims = {"chat", PROTOCOL_MQTT, user, roles, nr, groups,
				      ng,     1700000000,    1440};
	char *t = mint(&c, &claims);
	jwt_t *jwt = NULL;
	ok(t && jwt_decode(&jwt, t, (const unsigned char *)KEY, (int)sizeof KEY - 1) == 0,
	   "libjwt verifies (user %s)", user ? user : "none");
	if (jwt) {
		ok(jwt_get_alg(jwt) == JWT_ALG_HS256 &&
			   strcmp(jwt_get_header(jwt, "typ"), "JWT") == 0,
		   "header HS256/JWT");
		is_str(jwt_get_grant(jwt, "aud"), "https://o.example:8443/clients/mqtt/hubs/chat",
		       "aud is the https form");
		ok(jwt_get_grant_int(jwt, "exp") - jwt_get_grant_int(jwt, "iat") == 1440 * 60,
		   "exp = iat + ttl");
		is_str(jwt_get_grant(jwt, "sub"), user, "sub");
		char *r = jwt_get_grants_json(jwt, "role"),
		     *g = jwt_get_grants_json(jwt, "webpubsub.group");
		ok(same_json(r, want_roles), "role claim %s", want_roles ? want_roles : "absent");
		ok(same_json(g, want_groups), "webpubsub.group claim %s",
		   want_groups ? want_groups : "absent");
		free(r);
		free(g);
		jwt_free(jwt);
	}
	jwt = NULL;
	ok(t && jwt_decode(&jwt, t, (const unsigned char *)"another-key-entirely-0123456789ab",
			   32) != 0,
	   "a different key does not verify");
	jwt_free(jwt);
	free(t);
	connstr_clear(&c);
}

static void oracle(void)
{
	const char *roles[] = {"webpubsub.sendToGroup", "webpubsub.joinLeaveGroups.room.*"};
	const char *groups[] = {"g \"quoted\" \\ back", "\xc3\xa9l\xc3\xa8ve", "tab\there"};
	oracle_case("alice", roles, 2, groups, 3,
		    "[\"webpubsub.sendToGroup\",\"webpubsub.joinLeaveGroups.room.*\"]",
		    "[\"g \\\"quoted\\\" \\\\ back\",\"\xc3\xa9l\xc3\xa8ve\",\"tab\\there\"]");
	oracle_case(NULL, NULL, 0, NULL, 0, NULL, NULL);
	oracle_case("\xc3\xa9l\xc3\xa8ve \"q\"\\", roles, 1, NULL, 0, "[\"webpubsub.sendToGroup\"]",
		    NULL);
}

int main(void)
{
	known_answers();
	urls();
	oracle();
	return tap_done();
}
