/* SPDX-License-Identifier: Apache-2.0 */
/* Settings from the section and, as the Azure SDKs read them, from the platform's environment:
 * for a keyless [service], and (entra_load) for the [store]'s Microsoft Entra ID credential. */
#include "runtime/keyless_load.h"

#include "core/buf.h"
#include "core/file.h"
#include "core/log.h"
#include "core/secret.h"
#include "token/entra.h"
#include "net/rest_http.h"
#include "token/rest_signer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CREDENTIAL_FILE (64 * 1024)
#define DEFAULT_AUTHORITY "https://login.microsoftonline.com"

struct loading {
	const struct config *cfg;
	const struct section_head *head; /* where the credential is written, for messages */
	const char *kind;		 /* "service" or "store" */
	const struct config_keyless *k;
	const char *resource; /* managed identity's name of the scope */
	char *err;
	size_t err_len;
	struct buf token_url, identity_url, identity_header;
	char *secret, *pem; /* secrets */
};

static int fail(struct loading *l, const char *key, const char *why)
{
	snprintf(l->err, l->err_len, "%s:%d: %s: %s", l->cfg->path,
		 config_key_line(l->head, l->kind, key), key, why);
	return -1;
}

static const char *setting(const char *configured, const char *env)
{
	const char *v = configured ? configured : getenv(env);
	return v && *v ? v : NULL;
}

/* A file named by KEY or by KEY's systemd credential twin, read whole. */
static char *read_secret_file(struct loading *l, const char *file, const char *file_key,
			      const char *cred, const char *cred_key)
{
	char why[FILE_ERROR_TEXT], *path = NULL;
	size_t len;
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	if (cred && (!dir || !*dir)) {
		fail(l, cred_key,
		     "CREDENTIALS_DIRECTORY is not set (run under systemd with LoadCredential=)");
		return NULL;
	}
	if (cred && asprintf(&path, "%s/%s", dir, cred) < 0) {
		fail(l, cred_key, "out of memory");
		return NULL;
	}
	/* Kubernetes projects the federated token 0644 itself, and it lives an hour: not checked */
	bool ours = strcmp(file_key, "federated_token_file") != 0;
	if (!cred && ours && file_check_private(file, "a secret", why, sizeof why) < 0) {
		fail(l, file_key, why);
		return NULL;
	}
	char *text = file_read(path ? path : file, MAX_CREDENTIAL_FILE, &len, why, sizeof why);
	free(path);
	while (text && len && strchr("\r\n", text[len - 1]))
		text[--len] = '\0';
	if (text && !len) {
		free(text);
		snprintf(why, sizeof why, "the file is empty");
		text = NULL;
	}
	if (!text)
		fail(l, cred ? cred_key : file_key, why);
	return text;
}

static void tenant_url(struct loading *l, const char *authority, const char *tenant)
{
	size_t n = strlen(authority);
	while (n && authority[n - 1] == '/')
		n--;
	buf_append(&l->token_url, authority, n);
	buf_printf(&l->token_url, "/%s/oauth2/v2.0/token", tenant);
}

static int managed_identity(struct loading *l, struct entra_settings *s)
{
	const struct config_keyless *k = l->k;
	const char *header = getenv("IDENTITY_HEADER");
	const char *url = setting(k->identity_endpoint, "IDENTITY_ENDPOINT");
	bool app_service =
		header && *header && url; /* App Service, Container Apps: endpoint and header */
	if (!url && getenv(NO_IMDS_ENV))
		return fail(l, "credential",
			    "the instance metadata address is forbidden here (" NO_IMDS_ENV
			    " is set): set identity_endpoint");
	buf_printf(&l->identity_url, "%s?api-version=%s&resource=", url ? url : IMDS_TOKEN_URL,
		   app_service ? "2019-08-01" : "2018-02-01");
	buf_puts(&l->identity_url, l->resource);
	if (k->client_id) {
		buf_puts(&l->identity_url, "&client_id=");
		rest_url_encode(&l->identity_url, k->client_id);
	}
	if (app_service)
		buf_printf(&l->identity_header, "X-IDENTITY-HEADER: %s", header);
	else
		buf_puts(&l->identity_header, "Metadata: true");
	s->kind = ENTRA_MANAGED_IDENTITY;
	s->client_id = k->client_id;
	return 0;
}

static int workload_identity(struct loading *l, struct entra_settings *s)
{
	const struct config_keyless *k = l->k;
	const char *file = setting(k->federated_token_file, "AZURE_FEDERATED_TOKEN_FILE");
	const char *client = setting(k->client_id, "AZURE_CLIENT_ID");
	const char *tenant = setting(k->tenant_id, "AZURE_TENANT_ID");
	const char *authority = setting(k->authority_host, "AZURE_AUTHORITY_HOST");
	if (!file)
		return fail(l, "federated_token_file",
			    "not set, and AZURE_FEDERATED_TOKEN_FILE is not set");
	if (!client || !tenant)
		return fail(l, !client ? "client_id" : "tenant_id",
			    "not set, and AZURE_CLIENT_ID or AZURE_TENANT_ID is not set");
	char *probe = read_secret_file(l, file, "federated_token_file", NULL, NULL);
	if (!probe)
		return -1;
	secret_free(probe); /* read now so a missing file refuses; re-read at every fetch */
	tenant_url(l, authority ? authority : DEFAULT_AUTHORITY, tenant);
	*s = (struct entra_settings){
		.kind = ENTRA_WORKLOAD_IDENTITY, .client_id = client, .assertion_file = file};
	return 0;
}

static int app_registration(struct loading *l, struct entra_settings *s, bool certificate)
{
	const struct config_keyless *k = l->k;
	tenant_url(l, k->authority_host ? k->authority_host : DEFAULT_AUTHORITY, k->tenant_id);
	s->client_id = k->client_id;
	if (certificate) {
		s->kind = ENTRA_CLIENT_CERTIFICATE;
		l->pem = read_secret_file(l, k->client_certificate_file, "client_certificate_file",
					  k->client_certificate_credential,
					  "client_certificate_credential");
		s->certificate_pem = l->pem;
		return l->pem ? 0 : -1;
	}
	s->kind = ENTRA_CLIENT_SECRET;
	l->secret = read_secret_file(l, k->client_secret_file, "client_secret_file",
				     k->client_secret_credential, "client_secret_credential");
	s->client_secret = l->secret;
	return l->secret ? 0 : -1;
}

static int credential_settings(struct loading *l, struct entra_settings *s)
{
	const char *kind = l->k->credential;
	if (strcmp(kind, "managed_identity") == 0)
		return managed_identity(l, s);
	if (strcmp(kind, "workload_identity") == 0)
		return workload_identity(l, s);
	return app_registration(l, s, strcmp(kind, "client_certificate") == 0);
}

/* The credential of l->k, started: NULL with err set. CALLER has the label, scope and timeouts. */
static struct entra *credential_start(struct loading *l, const struct entra_settings *caller)
{
	struct entra_settings s = {0};
	char why[300];
	if (credential_settings(l, &s) < 0)
		return NULL;
	if (l->token_url.failed || l->identity_url.failed || l->identity_header.failed) {
		fail(l, "credential", "out of memory");
		return NULL;
	}
	s.service = caller->service;
	s.scope = caller->scope;
	s.without = caller->without;
	s.ca_file = caller->ca_file;
	s.timeout_ms = caller->timeout_ms;
	s.retry_ms = caller->retry_ms;
	s.token_url = l->token_url.data;
	s.identity_url = l->identity_url.data;
	s.identity_header = l->identity_header.data;
	struct entra *e = entra_start(&s, why, sizeof why);
	if (!e) {
		const char *key = "credential"; /* the key the failure is reported at */
		if (l->k->client_certificate_credential)
			key = "client_certificate_credential";
		else if (l->k->client_certificate_file)
			key = "client_certificate_file";
		fail(l, key, why);
	}
	return e;
}

static void loading_clear(struct loading *l)
{
	secret_free(l->secret);
	secret_free(l->pem);
	buf_free(&l->token_url);
	buf_free(&l->identity_url);
	buf_free_secret(&l->identity_header);
}

static struct rest_signer *start(struct loading *l, const struct endpoint *ep, char *label)
{
	const struct config_keyless *k = l->k;
	struct entra_settings s = {.service = label,
				   .ca_file = k->tls_ca_file,
				   .timeout_ms = k->rest_timeout,
				   .retry_ms = 500};
	struct entra *e = credential_start(l, &s);
	if (!e)
		return NULL;
	struct rest_settings rs = {label,	    k->tls_ca_file,
				   k->rest_timeout, k->rest_concurrency,
				   k->rest_queue,   k->token_cache};
	struct rest_signer *signer = rest_signer_new(ep, &rs, e);
	if (!signer)
		fail(l, "endpoint", "out of memory");
	return signer;
}

struct entra *entra_load(const struct config *cfg, const struct entra_request *r, char *err,
			 size_t err_len)
{
	struct loading l = {.cfg = cfg,
			    .head = r->head,
			    .kind = r->kind,
			    .k = r->k,
			    .resource = r->resource,
			    .err = err,
			    .err_len = err_len};
	struct entra_settings s = {.service = r->label,
				   .scope = r->scope,
				   .without = r->without,
				   .timeout_ms = r->timeout_ms,
				   .retry_ms = 500};
	char why[256];
	if (rest_http_load(why, sizeof why) < 0) { /* the credential calls out: libcurl now */
		fail(&l, "credential", why);
		return NULL;
	}
	struct entra *e = credential_start(&l, &s);
	loading_clear(&l);
	return e;
}

int keyless_load(const struct config *cfg, const struct config_service *cs, struct endpoint *ep,
		 struct rest_signer **rest, char *err, size_t err_len)
{
	struct loading l = {.cfg = cfg,
			    .head = &cs->head,
			    .kind = "service",
			    .k = &cs->keyless,
			    .resource = ENTRA_RESOURCE,
			    .err = err,
			    .err_len = err_len};
	char why[256], label[160];
	snprintf(label, sizeof label, "[service:%s]", cs->head.name);
	if (endpoint_parse(cs->keyless.endpoint, ep, why, sizeof why) < 0)
		return fail(&l, "endpoint", why);
	if (rest_http_load(why, sizeof why) <
	    0) { /* a keyless service calls out: libcurl is loaded now */
		endpoint_clear(ep);
		return fail(&l, "endpoint", why);
	}
	*rest = start(&l, ep, label);
	loading_clear(&l);
	if (!*rest)
		endpoint_clear(ep);
	return *rest ? 0 : -1;
}
