/* SPDX-License-Identifier: Apache-2.0 */
/* Minting cost for one realistic token (user, 2 roles, 1 group): negotiated's keyed fast path
 * against libjwt 1.10, the reference, measured in the same run in process CPU time. */
#include "token/connstr.h"
#include "token/token.h"

#include <jansson.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEY "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"
static const char *const roles[] = {"webpubsub.joinLeaveGroup.room1",
				    "webpubsub.sendToGroup.room1"};
static const char *const groups[] = {"room1"};

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t mint_fast(const struct endpoint *ep, const struct token_signer *s, long long iat)
{
	struct buf out = {0};
	struct token_claims c = {"chat", PROTOCOL_DEFAULT, "alice", roles, 2, groups, 1, iat, 60};
	token_mint(ep, s, &c, &out);
	size_t len = out.len;
	buf_free_secret(&out);
	return len;
}

static size_t mint_libjwt(const char *aud, long long iat)
{
	jwt_t *jwt = NULL;
	jwt_new(&jwt);
	jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)KEY, (int)strlen(KEY));
	jwt_add_grant(jwt, "aud", aud);
	jwt_add_grant_int(jwt, "iat", iat);
	jwt_add_grant_int(jwt, "exp", iat + 3600);
	jwt_add_grant(jwt, "sub", "alice");
	jwt_add_grants_json(
		jwt,
		"{\"role\":[\"webpubsub.joinLeaveGroup.room1\",\"webpubsub.sendToGroup.room1\"],"
		"\"webpubsub.group\":[\"room1\"]}");
	char *token = jwt_encode_str(jwt);
	size_t len = token ? strlen(token) : 0;
	free(token);
	jwt_free(jwt);
	return len;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	struct connstr cs;
	char err[256];
	if (n <= 0 || connstr_parse("Endpoint=https://demo.webpubsub.azure.com;AccessKey=" KEY, &cs,
				    err, sizeof err) < 0)
		return 2;
	struct token_signer *signer = token_signer_new(cs.access_key);
	size_t sink = 0;
	double t0 = cpu_seconds();
	for (long i = 0; i < n; i++)
		sink += mint_fast(&cs.endpoint, signer, 1700000000 + i);
	double t1 = cpu_seconds();
	for (long i = 0; i < n; i++)
		sink += mint_libjwt("https://demo.webpubsub.azure.com/client/hubs/chat",
				    1700000000 + i);
	double t2 = cpu_seconds();
	double fast = (t1 - t0) / (double)n * 1e6, ref = (t2 - t1) / (double)n * 1e6;
	printf("mint: negotiated %.2f us/token, libjwt %.2f us/token (reference), ratio %.2f  [%zu "
	       "bytes]\n",
	       fast, ref, fast / ref, sink / (size_t)(2 * n));
	token_signer_free(signer);
	connstr_clear(&cs);
	return 0;
}
