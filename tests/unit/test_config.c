/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration: one good file read back, and a table of bad ones, each refused with
 * "FILE:LINE: KEY: reason" and never with a secret in the message. */
#include "config/config.h"
#include "core/buf.h"
#include "core/file.h"
#include "runtime/runtime.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#define CS "Endpoint=https://a.example;AccessKey=SECRETSECRETSECRETSECRETSECRET00"
#define SERVICE "[service:main]\nconnection_string = " CS "\n"
#define AUTH "[auth:keys]\ntype = apikey\nfile = %s/keys\n"
#define HUB "[hub:chat]\nauth = keys\n"

static char dir[] = "/tmp/ngd-config-XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, 0600); /* keys and connection strings: others may not read them */
}

/* Loads text (with %s replaced by the temp dir) as config and runtime; returns the error. */
static const char *load(const char *text, struct runtime **out)
{
	static char err[640];
	char full[4096] = "";
	for (const char *at; (at = strstr(text, "%s"));
	     text = at + 2) /* "%s" stands for the temp dir */
		strncat(strncat(full, text, (size_t)(at - text)), dir,
			sizeof full - strlen(full) - 1);
	strncat(full, text, sizeof full - strlen(full) - 1);
	err[0] = '\0';
	struct config *cfg = config_load_string("t.conf", full, err, sizeof err);
	struct runtime *rt = cfg ? runtime_build(cfg, err, sizeof err) : NULL;
	if (out)
		*out = rt;
	else
		runtime_free(rt);
	return err;
}

static void good(void)
{
	struct runtime *rt = NULL;
	const char *err =
		load("[server]\nlisten = [::1]:9000\nthreads = 4\nlog_level = debug\n" SERVICE AUTH
		     "[hub:chat]\nauth = keys\nclient_protocol = mqtt\ntoken_lifetime = 5\n"
		     "roles = webpubsub.joinLeaveGroup.a\n  webpubsub.sendToGroup.a\n\n"
		     "  ; a comment between\ngroups = a b\n[hub:other]\nauth = keys\n",
		     &rt);
	ok(rt != NULL, "a good file loads (%s)", err);
	if (!rt)
		return;
	const struct hub *hub = runtime_find_hub(rt, "chat");
	ok(hub && hub->cfg->roles.n == 2 && hub->cfg->groups.n == 2,
	   "lists continue on indented lines");
	ok(hub && hub->cfg->client_protocol == PROTOCOL_MQTT && hub->cfg->token_lifetime == 5 &&
		   hub->cfg->max_token_lifetime == 1440,
	   "hub values and defaults");
	ok(hub && strcmp(hub->service->name, "main") == 0, "the only service is the default");
	ok(runtime_find_hub(rt, "other") && !runtime_find_hub(rt, "Chat"), "hub lookup is exact");
	ok(rt->cfg->server.threads == 4 && rt->cfg->server.max_body_bytes == 16384,
	   "server values and defaults");
	is_str(hub ? hub->challenge : NULL, "Bearer realm=\"negotiated\"",
	       "challenge from the chain");
	ok(rt->proxies.unix_peers && rt->proxies.n == 0,
	   "by default only unix-socket peers may forward");
	runtime_free(rt);
}

static const struct {
	const char *text;
	const char *want;
} bad[] = {
	{"[foo]\n", "t.conf:1: [foo]: unknown section"},
	{SERVICE AUTH HUB "colour = red\n", "t.conf:8: colour: unknown key in [hub:chat]"},
	{"[server]\nthreads = 0\n", "t.conf:2: threads: '0' is not a whole number from 1 to 64"},
	{"[server]\nthreads = 2x\n", "t.conf:2: threads: '2x' is not a whole number"},
	{"[server]\nlog_level = loud\n", "t.conf:2: log_level: 'loud' is not one of"},
	{SERVICE AUTH HUB "auth = keys\n", "t.conf:8: auth: duplicate key (first set on line 7)"},
	{SERVICE AUTH HUB "[hub:chat]\n",
	 "t.conf:8: [hub:chat]: duplicate section (first on line 6)"},
	{SERVICE AUTH HUB "client_protocol = raw\n",
	 "t.conf:8: client_protocol: 'raw' is not one of"},
	{"[service:main]\nconnection_string = Endpoint=ftp://x;AccessKey=SECRETSECRET\n" AUTH HUB,
	 "t.conf:2: connection_string: Endpoint scheme must be http or https"},
	{"[service:main]\nconnection_string = Endpoint=https://x\n" AUTH HUB,
	 "t.conf:2: connection_string: missing AccessKey"},
	{"[service:main]\nconnection_string_env = NGD_TEST_UNSET\n" AUTH HUB,
	 "t.conf:2: connection_string_env: environment variable NGD_TEST_UNSET is not set"},
	{"[service:main]\nconnection_string_file = %s/missing\n" AUTH HUB,
	 "t.conf:2: connection_string_file: cannot open"},
	{"[service:main]\nconnection_string = " CS "\nconnection_string_env = X\n" AUTH HUB,
	 "t.conf:1: [service:main]: set exactly one of"},
	{"[service:main]\nconnection_string_credential = ../x\n" AUTH HUB,
	 "t.conf:2: connection_string_credential: a credential name is a file name in "
	 "$CREDENTIALS_DIRECTORY"},
	{"[service:main]\nconnection_string_credential = main\n" AUTH HUB,
	 "t.conf:2: connection_string_credential: CREDENTIALS_DIRECTORY is not set"},
	{SERVICE "sign_with = tertiary\n" AUTH HUB,
	 "t.conf:3: sign_with: must be primary or secondary (value withheld"},
	{SERVICE "sign_with = Endpoint=https://a.example;AccessKey=SECRETSECRETSECRET\n" AUTH HUB,
	 "t.conf:3: sign_with: must be primary or secondary (value withheld"},
	{SERVICE "sign_with = secondary\n" AUTH HUB,
	 "t.conf:3: sign_with: secondary: no secondary_connection_string* key is set"},
	{SERVICE
	 "secondary_connection_string_env = A\nsecondary_connection_string_file = /b\n" AUTH HUB,
	 "t.conf:1: [service:main]: set at most one of the secondary_connection_string* keys"},
	{SERVICE "secondary_connection_string = Endpoint=https://a.example\n" AUTH HUB,
	 "t.conf:3: secondary_connection_string: missing AccessKey"},
	{SERVICE "secondary_connection_string_file = %s/missing\n" AUTH HUB,
	 "t.conf:3: secondary_connection_string_file: cannot open"},
	{SERVICE "secondary_connection_string = "
		 "Endpoint=https://b.example;AccessKey=SECRETSECRETSECRETSECRETSECRET11\n"
		 "sign_with = secondary\n" AUTH HUB,
	 "t.conf:1: [service:main]: the secondary key's Endpoint differs from the primary's"},
	{SERVICE "[auth:keys]\ntype = apikey\nfile = /nonexistent/keys\n" HUB,
	 "t.conf:5: file: cannot open /nonexistent/keys"},
	{SERVICE "[auth:keys]\ntype = ldap\n" HUB,
	 "t.conf:4: type: 'ldap' is not a known authenticator"},
	{SERVICE "[auth:keys]\nfile = /x\n" HUB, "t.conf:3: type: required in [auth:keys]"},
	{SERVICE AUTH "colour = red\n" HUB, "t.conf:6: colour: unknown key for type apikey"},
	{SERVICE "[auth:keys]\ntype = apikey\n  file = x\n" HUB,
	 "t.conf:5: type: indented line continues"},
	{SERVICE AUTH "[hub:chat]\n", "t.conf:6: [hub:chat]: auth: required"},
	{SERVICE AUTH "[hub:chat]\nauth = keys nobody\n",
	 "t.conf:7: auth: no [auth:nobody] section"},
	{SERVICE AUTH "[hub:chat]\nauth = keys\nservice = other\n",
	 "t.conf:8: service: no [service:other] section"},
	{SERVICE AUTH HUB "roles = webpubsub.fly\n",
	 "t.conf:8: roles: 'webpubsub.fly' is not a Web PubSub role"},
	{SERVICE AUTH HUB "groups = ok\n   \t\n", NULL},
	{SERVICE AUTH HUB "token_lifetime = 100\nmax_token_lifetime = 50\n",
	 "t.conf:8: token_lifetime: 100 minutes is above"},
	{SERVICE AUTH HUB "service = main\n  auth = keys\n",
	 "t.conf:9: service: indented line continues the value above"},
	{SERVICE AUTH "[hub:1chat]\nauth = keys\n", "t.conf:6: [hub:1chat]: invalid hub name"},
	{SERVICE AUTH HUB "garbage\n", "t.conf:8: syntax error"},
	{"[server]\nlisten = localhost:80\n",
	 "t.conf:2: listen: 'localhost:80': the host must be a numeric"},
	{"[server]\nlisten = unix:relative\n", "t.conf:2: listen: must be an absolute path"},
	{"[server]\nlisten = 127.0.0.1:+80\n",
	 "t.conf:2: listen: '127.0.0.1:+80': port must be 0..65535"},
	{"[server]\ntrusted_proxies = unix\n  10.0.0.0/8 localhost\n",
	 "t.conf:2: trusted_proxies: 'localhost' is not unix, an IP address"},
	{SERVICE AUTH, "t.conf: no [hub:NAME] section"},
	{"[server]\nmetrics_allow = 127.0.0.1 localhost\n",
	 "t.conf:2: metrics_allow: 'localhost' is not unix"},
	{"[server]\naccess_log = /nonexistent/dir/access.log\n" SERVICE AUTH HUB,
	 "t.conf:2: access_log: cannot open '/nonexistent/dir/access.log'"},
	{"[server]\ncors_origins = https://a.example/\n",
	 "t.conf:2: cors_origins: 'https://a.example/' is not an origin"},
	{"[server]\ncors_origins = http://localhost:*x\n",
	 "t.conf:2: cors_origins: 'http://localhost:*x' is not an origin"},
	{"[server]\ncors_origins = http://*\n",
	 "t.conf:2: cors_origins: 'http://*' is not an origin"},
	{"[server]\ncors_origins = HTTPS://A.example\n",
	 "t.conf:2: cors_origins: 'HTTPS://A.example' is not an origin"},
	{"[server]\ncors_origins = * https://a.example\n",
	 "t.conf:2: cors_origins: * allows every origin"},
	{"[server]\ncors_origins = *\ncors_credentials = yes\n",
	 "t.conf:3: cors_credentials: yes cannot go with cors_origins = *"},
	{"[server]\ncors_credentials = maybe\n",
	 "t.conf:2: cors_credentials: 'maybe' is not yes or no"},
	{"[server]\ncors_origins = *\n" SERVICE AUTH HUB "cors_credentials = yes\n",
	 "t.conf:10: cors_credentials: yes cannot go with cors_origins = *"},
	{"[server]\ncors_origins = *\n" SERVICE AUTH HUB
	 "cors_origins = https://a.example\ncors_credentials = yes\n",
	 NULL},
	{SERVICE AUTH HUB
	 "cors_origins = https://a.example:8443 http://[::1]:3000 https://b.example\n",
	 NULL},
	{SERVICE AUTH HUB "rate_per_user = 30/min burst 10\nrate_per_address = 120/minute\n", NULL},
	{SERVICE AUTH HUB "rate_per_user = 30 per minute\n",
	 "t.conf:8: rate_per_user: '30 per minute' is not COUNT/UNIT"},
	{SERVICE AUTH HUB "rate_per_user = 30/fortnight\n",
	 "t.conf:8: rate_per_user: 'fortnight' is not a unit"},
	{SERVICE AUTH HUB "rate_per_address = 0/s\n",
	 "t.conf:8: rate_per_address: the count must be a whole number"},
	{SERVICE AUTH HUB "rate_per_address = 5/s burst\n",
	 "t.conf:8: rate_per_address: '5/s burst' is not COUNT/UNIT"},
	{SERVICE AUTH HUB "rate_per_address = 5/s burst 0\n",
	 "t.conf:8: rate_per_address: burst must be a whole number"},
	{SERVICE AUTH HUB "rate_per_address = 5/s bursts 3\n",
	 "t.conf:8: rate_per_address: '5/s bursts 3' is not"},
	{"listen = x\n", "t.conf:1: listen: key outside a known section"},
	/* no secret in a message: text that is no key name, and any unknown key of [service:NAME]
	 */
	{SERVICE "SECRETSECRETSECRETSECRETSECRET00=\n" AUTH HUB,
	 "t.conf:3: unknown key in [service:main] (text withheld: it may be a secret)"},
	/* a key name is no secret, in [service:NAME] too: a misspelled one is named, with the
	   nearest key */
	{SERVICE "conection_string = x\n" AUTH HUB,
	 "t.conf:3: conection_string: unknown key in [service:main]; did you mean "
	 "connection_string?"},
	{SERVICE "Endpoint=https://a.example;AccessKey=SECRETSECRETSECRET\n" AUTH HUB,
	 "t.conf:3: unknown key in [service:main] (text withheld"},
	{SERVICE "  SECRETSECRETSECRETSECRETSECRET00=\n" AUTH HUB,
	 "t.conf:3: connection_string: indented line continues"}, /* inih: a continuation of the key
								     above */
	{SERVICE AUTH HUB "SECRETSECRETSECRETSECRETSECRET00=\n",
	 "t.conf:8: unknown key in [hub:chat] (text withheld"},
	{SERVICE AUTH HUB "secretsecretsecretsecret00=\n",
	 "t.conf:8: unknown key in [hub:chat] (text withheld"},
	{SERVICE AUTH HUB "secret+secret/secret=\n",
	 "t.conf:8: unknown key in [hub:chat] (text withheld"},
	{SERVICE AUTH "SECRETSECRETSECRETSECRETSECRET00=\n" HUB,
	 "t.conf:6: unknown key in [auth:keys] (text withheld"},
	{SERVICE AUTH "secretsecretsecretsecret00=\n" HUB,
	 "t.conf:6: unknown key in [auth:keys] (text withheld"},
	{"SECRETSECRETSECRETSECRETSECRET00=\n",
	 "t.conf:1: key outside a known section (text withheld"},
	{SERVICE "[auth:keys]\n  SECRETSECRETSECRETSECRETSECRET00=\n" HUB,
	 "t.conf:4: indented line continues the value above in [auth:keys] (text withheld"},
	{SERVICE AUTH HUB "max_token_lifetimes = 5\n",
	 "t.conf:8: max_token_lifetimes: unknown key in [hub:chat]"},
	/* every path key is absolute: the daemon's working directory is / under systemd */
	{"[server]\naccess_log = access.log\n" SERVICE AUTH HUB,
	 "t.conf:2: access_log: must be an absolute path"},
	{"[server]\naccess_log = ./access.log\n" SERVICE AUTH HUB,
	 "t.conf:2: access_log: must be an absolute path"},
	{"[server]\naccess_log = stderr\n" SERVICE AUTH HUB, NULL},
	{"[server]\nlisten = unix:run/n.sock\n" SERVICE AUTH HUB,
	 "t.conf:2: listen: must be an absolute path"},
	{"[service:main]\nconnection_string_file = cs\n" AUTH HUB,
	 "t.conf:2: connection_string_file: must be an absolute path"},
	{SERVICE "secondary_connection_string_file = ../cs\n" AUTH HUB,
	 "t.conf:3: secondary_connection_string_file: must be an absolute path"},
	{SERVICE "[auth:keys]\ntype = apikey\nfile = keys\n" HUB,
	 "t.conf:5: file: must be an absolute path"},
	{SERVICE "[auth:web]\ntype = htpasswd\nfile = etc/htpasswd\n" HUB,
	 "t.conf:5: file: must be an absolute path"},
	{SERVICE "[auth:jwt]\ntype = jwt\njwks_file = jwks.json\n" HUB,
	 "t.conf:5: jwks_file: must be an absolute path"},
	{SERVICE "[auth:jwt]\ntype = jwt\npublic_key_file = key.pem\n" HUB,
	 "t.conf:5: public_key_file: must be an absolute path"},
	{SERVICE "[auth:jwt]\ntype = jwt\nsecret_file = hs.key\n" HUB,
	 "t.conf:5: secret_file: must be an absolute path"},
	{SERVICE "[auth:p]\ntype = plugin\npath = plugin.so\n" HUB,
	 "t.conf:5: path: must be an absolute path"},
	{SERVICE "[auth:p]\ntype = plugin\ncert_file = c.pem\n" HUB,
	 "t.conf:5: cert_file: must be an absolute path"},
	{SERVICE AUTH HUB "roles = "
			  "webpubsub.sendToGroup."
			  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			  "aaaaaaaaaaaaaaaaaaaa"
			  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			  "aaaaaaaaaaaaaaaa\n",
	 "t.conf:8: line longer than"},
};

static void bad_files(void)
{
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *err = load(bad[i].text, NULL);
		if (!bad[i].want) {
			ok(err[0] == '\0', "case %zu loads (%s)", i, err);
			continue;
		}
		ok(strncmp(err, bad[i].want, strlen(bad[i].want)) == 0, "refused: %s", bad[i].want);
		if (strncmp(err, bad[i].want, strlen(bad[i].want)) != 0)
			printf("#   got: %s\n", err);
		ok(!strstr(err, "SECRETSECRET"), "  and the message holds no secret");
	}
}

#define KEY2 "SECONDARYSECONDARYSECONDARY00000"
#define CS2 "Endpoint=https://a.example;AccessKey=" KEY2

/* The token a service signs for hub chat, with fixed claims. */
static void mint_with(const struct token_signer *signer, const struct endpoint *ep, struct buf *out)
{
	struct token_claims c = {
		.hub = "chat", .user_id = "u", .iat = 1700000000, .ttl_minutes = 60};
	token_mint(ep, signer, &c, out);
}

/* A connection string from $CREDENTIALS_DIRECTORY, and sign_with choosing the secondary key. */
static void credentials_and_rotation(void)
{
	struct runtime *rt = NULL;
	write_file("main", CS "\n");
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	const char *err =
		load("[service:main]\nconnection_string_credential = main\n"
		     "secondary_connection_string = " CS2 "\nsign_with = secondary\n" AUTH HUB,
		     &rt);
	unsetenv("CREDENTIALS_DIRECTORY");
	ok(rt != NULL, "a credential and a secondary key load (%s)", err);
	if (!rt)
		return;
	struct buf got = {0}, want = {0};
	struct token_signer *secondary = token_signer_new(KEY2);
	const struct service *svc = runtime_find_hub(rt, "chat")->service;
	mint_with(svc->signer, &svc->endpoint, &got);
	mint_with(secondary, &svc->endpoint, &want);
	is_str(got.data, want.data, "sign_with = secondary signs with the secondary key");
	buf_free(&got);
	buf_free(&want);
	token_signer_free(secondary);
	runtime_free(rt);
}

static void key_files(void)
{
	static const struct {
		const char *keys;
		const char *want;
	} cases[] = {
		{"# comment\n\nalice 0123456789abcdefX\nbob sha256:"
		 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
		 NULL},
		{"alice short\n", "keys:1: a key must be 16 to 512"},
		{"\n\nalice 0123456789abcdefX extra\n", "keys:3: expected 'USERID KEY'"},
		{"alice 0123456789abcdefX\nbob 0123456789abcdefX\n",
		 "keys:2: the same key appears"},
		{"alice sha256:00\n", "keys:1: sha256: must be followed"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		write_file("keys", cases[i].keys);
		const char *err = load(SERVICE AUTH HUB, NULL);
		if (!cases[i].want)
			ok(err[0] == '\0',
			   "a key file with comments, plain and sha256 keys loads (%s)", err);
		else
			ok(strstr(err, cases[i].want) && strstr(err, "t.conf:5: file: ") &&
				   !strstr(err, "0123456789abcdefX"),
			   "key file refused: %s (%s)", cases[i].want, err);
	}
	write_file("keys", "alice 0123456789abcdefX\n");
}

/* 10,000 hubs: the duplicate check and the lookups are hash lookups, and still exact. */
static void many_sections(void)
{
	enum { HUBS = 10000 };
	struct buf text = {0};
	char err[640] = "";
	buf_puts(&text, SERVICE "[auth:keys]\ntype = anonymous\n"); /* lines 1 to 4 */
	for (int i = 0; i < HUBS; i++)
		buf_printf(&text, "[hub:hub%d]\nauth = keys\n", i); /* hub i on line 5 + 2i */
	struct config *cfg = config_load_string("t.conf", text.data, err, sizeof err);
	struct runtime *rt = cfg ? runtime_build(cfg, err, sizeof err) : NULL;
	ok(rt && rt->n_hubs == HUBS, "%d hubs load (%s)", HUBS, err);
	const struct hub *last = rt ? runtime_find_hub(rt, "hub9999") : NULL;
	ok(last && strcmp(last->cfg->head.name, "hub9999") == 0 && rt &&
		   !runtime_find_hub(rt, "hub10000") &&
		   strcmp(runtime_find_hub(rt, "hub0")->cfg->head.name, "hub0") == 0,
	   "each hub is found by name, and no other");
	runtime_free(rt);
	buf_puts(&text, "[hub:hub7]\nauth = keys\n");
	err[0] = '\0';
	cfg = config_load_string("t.conf", text.data, err, sizeof err);
	is_str(err, "t.conf:20005: [hub:hub7]: duplicate section (first on line 19)",
	       "a duplicate after 10,000 sections is refused with both lines");
	config_free(cfg);
	buf_free(&text);
}

/* One rule for every text file: BOM and CRLF dropped, a lone CR or an inner BOM refused by line. */
static void text_files(void)
{
	static const struct {
		const char *text, *want, *error;
	} cases[] = {
		{"\xef\xbb\xbf"
		 "alice k\r\nbob k",
		 "alice k\nbob k", NULL},
		{"a\r\n\r\nb\r\n", "a\n\nb\n", NULL},
		{"\xef\xbb\xbf", "", NULL},
		{"a\nb\rc\n", NULL, ":2: a carriage return without a newline after it"},
		{"a\r", NULL, ":1: a carriage return without a newline after it"},
		{"a\n\n\xef\xbb\xbf"
		 "b\n",
		 NULL, ":3: a byte order mark (U+FEFF) inside the file"},
		{"\xef\xbb\xbf\xef\xbb\xbf"
		 "a",
		 NULL, ":1: a byte order mark (U+FEFF) inside the file"},
	};
	char path[300], err[300];
	snprintf(path, sizeof path, "%s/text", dir);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = 0;
		err[0] = '\0';
		write_file("text", cases[i].text);
		char *got = file_read(path, 1024, &len, err, sizeof err);
		if (cases[i].want)
			ok(got && len == strlen(cases[i].want) && strcmp(got, cases[i].want) == 0,
			   "text file %zu read as meant (%s)", i, err);
		else
			ok(!got && strncmp(err, path, strlen(path)) == 0 &&
				   strcmp(err + strlen(path), cases[i].error) == 0,
			   "text file %zu refused: %s", i, err);
		free(got);
	}
	char conf[300];
	write_file("bom.conf", "\xef\xbb\xbf[hub:chat]\r\nauth = keys\r\ncolour = red\r\n");
	snprintf(conf, sizeof conf, "%s/bom.conf", dir);
	struct config *cfg = config_load_file(conf, err, sizeof err);
	ok(!cfg && strstr(err, "bom.conf:3: colour: unknown key in [hub:chat]"),
	   "a BOM on the configuration is no error, and the next error keeps its line: %s", err);
	config_free(cfg);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 99;
	unsetenv("NGD_TEST_UNSET");
	write_file("keys", "alice 0123456789abcdefX\n");
	good();
	bad_files();
	key_files();
	credentials_and_rotation();
	many_sections();
	text_files();
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 99;
	return tap_done();
}
