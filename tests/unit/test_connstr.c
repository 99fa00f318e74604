/* SPDX-License-Identifier: Apache-2.0 */
/* Connection strings, good and bad, as the official SDKs read them. */
#include "tap.h"
#include "token/connstr.h"

struct good {
	const char *cs, *http, *ws, *key;
};

static const struct good goods[] = {
	{"Endpoint=https://a.webpubsub.azure.com;AccessKey=k1;Version=1.0;",
	 "https://a.webpubsub.azure.com/", "wss://a.webpubsub.azure.com/", "k1"},
	{"Endpoint=a.example.com;AccessKey=k", "https://a.example.com/", "wss://a.example.com/",
	 "k"},
	{"Endpoint=http://localhost;Port=8080;AccessKey=k;Version=1.0;", "http://localhost:8080/",
	 "ws://localhost:8080/", "k"},
	{"Endpoint=https://a.example;Port=443;AccessKey=k", "https://a.example/",
	 "wss://a.example/", "k"},
	{"Endpoint=https://a.example:443/;AccessKey=k", "https://a.example/", "wss://a.example/",
	 "k"},
	{"Endpoint=http://a.example:80;AccessKey=k", "http://a.example/", "ws://a.example/", "k"},
	{"Endpoint=http://a.example:443;AccessKey=k", "http://a.example:443/",
	 "ws://a.example:443/", "k"},
	{"Endpoint=https://a.example:8443;Port=9443;AccessKey=k", "https://a.example:9443/",
	 "wss://a.example:9443/", "k"},
	{"Endpoint=https://a.example/base;AccessKey=k", "https://a.example/base/",
	 "wss://a.example/base/", "k"},
	{"AccessKey=abc==;Endpoint=https://a.example/", "https://a.example/", "wss://a.example/",
	 "abc=="},
	{"endpoint=HTTPS://A.Example;ACCESSKEY=K;version=1.0", "https://a.example/",
	 "wss://a.example/", "K"},
	{";;Endpoint=https://a.example;;AccessKey=k;;", "https://a.example/", "wss://a.example/",
	 "k"},
	{"Endpoint=http://[::1]:8080;AccessKey=k", "http://[::1]:8080/", "ws://[::1]:8080/", "k"},
	{"Endpoint=https://a.example;AccessKey=k;Future=1", "https://a.example/",
	 "wss://a.example/", "k"},
	{"Endpoint=https://a.example;AccessKey=k;AuthType=aad;ClientId=c", "https://a.example/",
	 "wss://a.example/", "k"},
};

struct bad {
	const char *cs, *why;
};

static const struct bad bads[] = {
	{"Endpoint=https://a;endpoint=https://b;AccessKey=k", "duplicate key 'endpoint'"},
	{"Endpoint=https://a;AccessKey=k;ACCESSKEY=k", "duplicate key 'accesskey'"},
	{"AccessKey=k", "missing Endpoint"},
	{"Endpoint=https://a", "missing AccessKey"},
	{"Endpoint=https://a;AccessKey=", "missing AccessKey"},
	{"Endpoint=ftp://a;AccessKey=k", "scheme must be http or https"},
	{"Endpoint=https://a;Port=0;AccessKey=k", "Port must be 1..65535"},
	{"Endpoint=https://a;Port=70000;AccessKey=k", "Port must be 1..65535"},
	{"Endpoint=https://a;Port=8o;AccessKey=k", "Port must be 1..65535"},
	{"Endpoint=https://a:x;AccessKey=k", "Endpoint port must be"},
	{"Endpoint=https://user@a;AccessKey=k", "user info"},
	{"Endpoint=https://a/?x=1;AccessKey=k", "a query"},
	{"Endpoint=https://;AccessKey=k", "no valid host"},
	{"Endpoint=https://a;AccessKey=k;junk", "segment without '='"},
	{"=x;Endpoint=https://a;AccessKey=k", "empty key"},
	/* a typo of a known field is named (never its value), with the field it is near */
	{"Endpoint=https://a;AccesKey=k", "unknown field 'AccesKey' (did you mean AccessKey?)"},
	{"Endpoint=https://a;AccessKey=k;Verison=1.0",
	 "unknown field 'Verison' (did you mean Version?)"},
	{"Endpont=https://a;AccessKey=k", "unknown field 'Endpont' (did you mean Endpoint?)"},
	{"Endpoint=https://a;Secret=k",
	 "missing AccessKey (needed to sign tokens locally) (it has an unknown field "
	 "'Secret')"},
	{"Endpoint=https://a;k3j4h5k34j5h34kj5==", "field whose name is withheld"},
};

int main(void)
{
	char err[256];
	for (size_t i = 0; i < sizeof goods / sizeof goods[0]; i++) {
		struct connstr c;
		int rc = connstr_parse(goods[i].cs, &c, err, sizeof err);
		ok(rc == 0, "parses: %s", goods[i].cs);
		if (rc != 0) {
			printf("# error: %s\n", err);
			continue;
		}
		is_str(c.endpoint.http_base, goods[i].http, "  http form");
		is_str(c.endpoint.ws_base, goods[i].ws, "  ws form");
		is_str(c.access_key, goods[i].key, "  access key");
		connstr_clear(&c);
	}
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		struct connstr c;
		err[0] = '\0';
		ok(connstr_parse(bads[i].cs, &c, err, sizeof err) < 0 && strstr(err, bads[i].why),
		   "refuses %s (%s)", bads[i].cs, err);
	}
	struct connstr c;
	connstr_parse("Endpoint=ftp://x;AccessKey=TOPSECRETVALUE123", &c, err, sizeof err);
	ok(!strstr(err, "TOPSECRET"), "the error does not repeat the key");
	connstr_parse("Endpoint=https://x;AccesKey=TOPSECRETVALUE123", &c, err, sizeof err);
	ok(!strstr(err, "TOPSECRET"), "a misspelled field is named, its value is not: %s", err);
	connstr_parse("Endpoint=https://x;TOPSECRETVALUEabcdefgh==", &c, err, sizeof err);
	ok(!strstr(err, "TOPSECRET"), "a key pasted without AccessKey= is not named: %s", err);
	connstr_parse("Endpoint=https://x;TOPSECRETVALUEabcdefgh=", &c, err, sizeof err);
	ok(!strstr(err, "TOPSECRET"), "nor with one '=' of padding: %s", err);
	connstr_parse("Endpoint=https://x;TOPSECRETVALUEabcdefgh", &c, err, sizeof err);
	ok(!strstr(err, "TOPSECRET"), "nor without: %s", err);
	return tap_done();
}
