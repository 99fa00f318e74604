/* SPDX-License-Identifier: Apache-2.0 */
/* A whole request through the router with a fixed runtime, the way http.c hands it over but
 * without a socket: the first byte chooses the peer (a client, a trusted proxy, a unix socket),
 * the rest is "METHOD TARGET\nName: value\n...\n\nBODY". Client address, request id, route() (and
 * again on a "worker" when the chain may block), the counters; the answer must be JSON.
 * libmicrohttpd itself (the wire format, its size caps) is not in here: the hostile-request test
 * covers it. */
#include "edge/request_id.h"
#include "fake_request.h"
#include "fixture.h"
#include "fuzz.h"
#include "http/observe.h"
#include "http/route.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#define API_KEY "alice-key-0123456789abcdefghijklmnop"

static struct runtime *rt;

static void setup(void)
{
	char text[4096], keys[128];
	fixture_quiet();
	snprintf(keys, sizeof keys, "alice %s\nbob bob-key-0123456789abcdefghijklmnopq\n", API_KEY);
	snprintf(text, sizeof text,
		 "[server]\ntrusted_proxies = 10.0.0.0/8 unix\nmetrics_allow = 127.0.0.1\n"
		 "cors_origins = https://app.example\n"
		 "[service:main]\nconnection_string = " FIXTURE_CONNECTION_STRING "\n"
		 "[hub:chat]\nauth = proxy keys guest\ntoken_lifetime = 30\nmax_token_lifetime = "
		 "120\n"
		 "[hub:notify]\nauth = keys web\n"
		 "[auth:guest]\ntype = anonymous\nuser = guest\n"
		 "[auth:proxy]\ntype = trusted_header\ntrusted_peers = 10.0.0.0/8\ngroups_header = "
		 "X-Auth-Request-Groups\n"
		 "[auth:keys]\ntype = apikey\nfile = %s\n[auth:web]\ntype = htpasswd\nfile = %s\n"
		 "[rule:own]\nhub = chat\nmatch = anyone\nroles = "
		 "webpubsub.joinLeaveGroup.user-{user}\n"
		 "groups = user-{user} lobby\n"
		 "[rule:teams]\nhub = chat\nmatch = attr:groups=*\nroles = "
		 "webpubsub.sendToGroup.team-{attr:groups}\n"
		 "groups = team-{attr:groups}\n"
		 "[rule:alice]\nhub = notify\nmatch = user:keys/alice\nroles = "
		 "webpubsub.sendToGroup "
		 "webpubsub.joinLeaveGroup\n",
		 fixture_write("keys", keys, strlen(keys)),
		 fixture_write("htpasswd", FIXTURE_HTPASSWD, sizeof FIXTURE_HTPASSWD - 1));
	rt = fixture_runtime(text);
}

static void set_peer(struct ngd_request *req, unsigned choice)
{
	static struct sockaddr_in v4 = {.sin_family = AF_INET}, proxy = {.sin_family = AF_INET};
	static struct sockaddr_un un = {.sun_family = AF_UNIX};
	inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr);
	inet_pton(AF_INET, "10.0.0.5", &proxy.sin_addr);
	req->peer = choice == 0	  ? (struct sockaddr *)&v4
		    : choice == 1 ? (struct sockaddr *)&proxy
				  : (struct sockaddr *)&un;
	req->peer_len = choice == 2 ? sizeof(sa_family_t) : sizeof v4;
}

static void check_reply(const struct reply *r)
{
	if (r->status < 200 || r->status > 599)
		abort();
	if (r->content_type || !r->body.len)
		return; /* /metrics is text */
	json_t *j = json_loadb(r->body.data, r->body.len, 0, NULL);
	if (!json_is_object(j))
		abort(); /* every answer is a JSON object */
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!rt)
		setup();
	if (size == 0)
		return 0;
	struct fake_request *f = fake_request_parse(data + 1, size - 1);
	if (!f)
		return 0;
	struct ngd_request *req = &f->req;
	route_find(req);
	set_peer(req, data[0] % 3);
	req->peer_trusted =
		client_address(&rt->proxies, req->peer, ngd_request_header(req, "X-Forwarded-For"),
			       req->client_addr, sizeof req->client_addr);
	observe_begin(req, req->peer_trusted ? ngd_request_header(req, "X-Request-Id") : NULL);
	struct reply r = {0};
	struct resumable *wait = NULL;
	route(rt, req, &r, &wait);
	/* what http_offload does: the request continues on each pool it names, inline here; a phase
	 * that names a pool has run, so a request names at most one per authenticator and service
	 */
	for (int waits = 0; wait;) {
		struct pool *next = wait->resume(wait, req, &r);
		if (++waits > 16)
			abort();
		if (!next) {
			wait = NULL;
			route_resumed(rt, req, &r);
		}
	}
	check_reply(&r);
	observe_end(rt, req, &r, 0);
	buf_free_secret(&r.body);
	fake_request_free(f);
	return 0;
}
