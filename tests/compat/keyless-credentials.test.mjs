// SPDX-License-Identifier: Apache-2.0
// Keyless credentials against a loopback Entra stand-in: managed identity (metadata form, App
// Service form, user-assigned), workload identity (the federated token file re-read as it
// rotates), client secret (file, systemd credential), client certificate (the signed assertion);
// expiry and refresh, a failing refresh, configuration errors. Loopback only.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import { bin, startDaemon } from './lib/daemon.mjs';
import { checkBearer, entraToken, startEntra, startService, tlsFiles } from './lib/keyless.mjs';

process.env.NEGOTIATED_NO_IMDS = '1';

const ACCESS_KEY = randomBytes(33).toString('base64url');
const SECRET = `s3cr3t-${randomBytes(12).toString('hex')}`;
const CLIENT = '99999999-8888-4777-8666-555555555555';
/** SIGTERM; the daemon must exit 0 (under ASan: no leak, no error) and never log the secret. */
async function stopClean(d) {
  const { code, signal } = await d.stop();
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, d.stderr());
  assert.ok(!d.stderr().includes(SECRET));
}

const T = { timeout: 30_000 };

let files, service, entra;
let lifetime = 3600;
let failing = false;
let seq = 0;
before(async () => {
  files = tlsFiles();
  service = await startService({ accessKey: ACCESS_KEY, tls: files.tls });
  entra = await startEntra({
    lifetimeS: () => lifetime,
    token: () => entraToken({ seq: ++seq }, lifetime),
    answer: () => (failing ? { status: 500, body: '{"error":"server_error"}' } : undefined),
  });
}, T);
after(async () => {
  await service?.close();
  await entra?.close();
  files?.remove();
});

const service_ = (credential) => `[service:cloud]
endpoint = ${service.endpoint}
tls_ca_file = ${files.cert}
token_cache = 0
${credential}
[hub:chat]
auth = anon

[auth:anon]
type = anonymous
user = u

[server]
metrics_allow = 127.0.0.1
`;

const negotiate = (d) => fetch(`${d.base}/negotiate?hub=chat`, { signal: AbortSignal.timeout(10_000) });
const since = (n) => entra.calls.slice(n);
const bearerOf = (r) => jwt.decode(/^Bearer (.+)$/.exec(r.headers.authorization)[1]);

async function negotiateOk(d) {
  const before = service.requests.length;
  const res = await negotiate(d);
  assert.equal(res.status, 200, await res.clone().text());
  const req = service.requests[before];
  assert.ok(checkBearer(req.headers.authorization), 'the service accepted the Entra bearer');
  return bearerOf(req);
}

async function waitFor(predicate, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('managed identity', () => {
  test('metadata form (identity_endpoint), system-assigned', T, async () => {
    const n = entra.calls.length;
    const d = await startDaemon({ config: service_(`credential = managed_identity\nidentity_endpoint = ${entra.authority}/msi/token\n`) });
    try {
      await negotiateOk(d);
      const [call] = since(n);
      assert.equal(call.method, 'GET');
      assert.equal(call.url, '/msi/token?api-version=2018-02-01&resource=https://webpubsub.azure.com');
      assert.equal(call.headers.metadata, 'true');
    } finally { await stopClean(d); }
  });

  test('App Service / Container Apps form (IDENTITY_ENDPOINT + IDENTITY_HEADER), user-assigned', T, async () => {
    const n = entra.calls.length;
    const d = await startDaemon({
      config: service_(`credential = managed_identity\nclient_id = ${CLIENT}\n`),
      env: { IDENTITY_ENDPOINT: `${entra.authority}/msi/token`, IDENTITY_HEADER: 'hdr-secret-1' },
    });
    try {
      await negotiateOk(d);
      const [call] = since(n);
      assert.equal(call.url, `/msi/token?api-version=2019-08-01&resource=https://webpubsub.azure.com&client_id=${CLIENT}`);
      assert.equal(call.headers['x-identity-header'], 'hdr-secret-1');
      assert.equal(call.headers.metadata, undefined);
      assert.ok(!d.stderr().includes('hdr-secret-1'));
    } finally { await stopClean(d); }
  });

  test('no identity_endpoint and no IDENTITY_ENDPOINT: refused while NEGOTIATED_NO_IMDS is set (tests never reach 169.254.169.254)', T, async () => {
    await assert.rejects(startDaemon({ config: service_('credential = managed_identity\n'), env: { IDENTITY_ENDPOINT: '' } }),
      /negotiated\.conf:\d+: credential: the instance metadata address is forbidden here/);
  });
});

describe('workload identity', () => {
  test('the federated token file is exchanged, and re-read when it rotates', T, async () => {
    lifetime = 3; // refreshed half way: every ~1.5 s
    const n = entra.calls.length;
    const dir = join(files.dir, 'wl');
    mkdirSync(dir, { recursive: true });
    const fed = join(dir, 'token');
    writeFileSync(fed, 'federated-1\n');
    const d2 = await startDaemon({
      config: service_('credential = workload_identity\n'),
      env: { AZURE_FEDERATED_TOKEN_FILE: fed, AZURE_CLIENT_ID: CLIENT, AZURE_TENANT_ID: 'tenant-w', AZURE_AUTHORITY_HOST: `${entra.authority}/` },
    });
    try {
      await negotiateOk(d2);
      const first = since(n).filter((c) => c.url === '/tenant-w/oauth2/v2.0/token');
      assert.ok(first.length >= 1);
      assert.deepEqual(Object.fromEntries(first[0].form), {
        client_id: CLIENT, scope: 'https://webpubsub.azure.com/.default', grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'federated-1',
      });
      writeFileSync(fed, 'federated-2\n'); // the platform rotates it
      assert.ok(await waitFor(() => since(n).some((c) => c.form.get('client_assertion') === 'federated-2')), 'the rotated file was read');
      const seqBefore = (await negotiateOk(d2)).seq;
      assert.ok(await waitFor(async () => (await negotiateOk(d2)).seq > seqBefore), 'a refreshed bearer is used');
    } finally {
      lifetime = 3600;
      await stopClean(d2);
    }
  });

  test('a missing federated token file refuses to start with FILE:LINE: KEY', T, async () => {
    await assert.rejects(startDaemon({
      config: service_('credential = workload_identity\nfederated_token_file = /nonexistent/token\ntenant_id = t\nclient_id = c\n'),
    }), /negotiated\.conf:\d+: federated_token_file: /);
  });
});

describe('client secret', () => {
  test('from a systemd credential (CREDENTIALS_DIRECTORY)', T, async () => {
    const credDir = join(files.dir, 'creds');
    mkdirSync(credDir, { recursive: true });
    writeFileSync(join(credDir, 'wps-secret'), `${SECRET}\n`);
    const n = entra.calls.length;
    const d = await startDaemon({
      config: service_(`credential = client_secret\ntenant_id = tenant-s\nclient_id = ${CLIENT}\nclient_secret_credential = wps-secret\nauthority_host = ${entra.authority}\n`),
      env: { CREDENTIALS_DIRECTORY: credDir },
    });
    try {
      await negotiateOk(d);
      assert.equal(since(n)[0].form.get('client_secret'), SECRET);
      assert.ok(!d.stderr().includes(SECRET));
    } finally { await stopClean(d); }
  });

  test('expiry and refresh: short-lived tokens are fetched again before they expire', T, async () => {
    lifetime = 2;
    const d = await startDaemon({
      config: (dir) => service_(`credential = client_secret\ntenant_id = t\nclient_id = c\nclient_secret_file = ${dir}/s\nauthority_host = ${entra.authority}\n`),
      files: { s: SECRET },
    });
    try {
      const a = await negotiateOk(d);
      await new Promise((r) => setTimeout(r, 2500)); // past the first token's expiry
      const b = await negotiateOk(d);
      assert.ok(b.seq > a.seq, 'a newer bearer');
      assert.ok(b.exp * 1000 > Date.now(), 'the bearer used has not expired');
    } finally {
      lifetime = 3600;
      await stopClean(d);
    }
  });

  test('a failing refresh: the last good token serves until it expires, then 503 and not ready; recovery', T, async () => {
    lifetime = 4;
    const d = await startDaemon({
      config: (dir) => service_(`credential = client_secret\ntenant_id = t\nclient_id = c\nclient_secret_file = ${dir}/s\nauthority_host = ${entra.authority}\n`),
      files: { s: SECRET },
    });
    try {
      const good = await negotiateOk(d);
      failing = true;
      lifetime = 3600;
      await new Promise((r) => setTimeout(r, 2600)); // the refresh at ~2 s fails
      assert.match(d.stderr(), /token fetch failed \(HTTP status 500, error server_error\); the current token serves \d+ s more/);
      assert.equal((await negotiateOk(d)).seq, good.seq, 'the last good token is still used');
      assert.ok(await waitFor(async () => (await negotiate(d)).status === 503, 5000), 'expired: 503');
      assert.equal((await fetch(`${d.base}/readyz`)).status, 503);
      failing = false;
      assert.ok(await waitFor(async () => (await fetch(`${d.base}/readyz`)).status === 200, 8000), 'ready again');
      await negotiateOk(d);
    } finally {
      failing = false;
      lifetime = 3600;
      await stopClean(d);
    }
  });

  test('a missing secret file refuses to start; on reload the old configuration keeps serving, a good reload takes over', T, async () => {
    await assert.rejects(startDaemon({
      config: service_(`credential = client_secret\ntenant_id = t\nclient_id = c\nclient_secret_file = /nonexistent/s\nauthority_host = ${entra.authority}\n`),
    }), /negotiated\.conf:\d+: client_secret_file: /);
    const d = await startDaemon({
      config: (dir) => service_(`credential = client_secret\ntenant_id = t\nclient_id = c\nclient_secret_file = ${dir}/s\nauthority_host = ${entra.authority}\n`),
      files: { s: SECRET },
    });
    try {
      unlinkSync(join(d.dir, 's'));
      process.kill(d.pid, 'SIGHUP');
      assert.ok(await waitFor(() => /negotiated\.conf:\d+: client_secret_file: /.test(d.stderr()), 5000), d.stderr());
      await negotiateOk(d);
      writeFileSync(join(d.dir, 's'), `${SECRET}-2`); // back: the next reload takes over with a new credential
      const n = entra.calls.length;
      process.kill(d.pid, 'SIGHUP');
      assert.ok(await waitFor(() => since(n).some((c) => c.form.get('client_secret') === `${SECRET}-2`), 5000), 'the new secret was used');
      for (let i = 0; i < 5; i++) await negotiateOk(d);
    } finally { await stopClean(d); }
  });
});

describe('client certificate', () => {
  test('the assertion is RS256, names the certificate by x5t, and verifies with its key', T, async () => {
    const dir = join(files.dir, 'cert');
    mkdirSync(dir, { recursive: true });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'),
      '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=negotiated-test'], { stdio: 'ignore' });
    const certPem = readFileSync(join(dir, 'c.pem'), 'utf8');
    writeFileSync(join(dir, 'both.pem'), certPem + readFileSync(join(dir, 'k.pem'), 'utf8'));
    const n = entra.calls.length;
    const d = await startDaemon({
      config: service_(`credential = client_certificate\ntenant_id = tenant-c\nclient_id = ${CLIENT}\nclient_certificate_file = ${join(dir, 'both.pem')}\nauthority_host = ${entra.authority}\n`),
    });
    try {
      await negotiateOk(d);
      const call = since(n)[0];
      assert.equal(call.url, '/tenant-c/oauth2/v2.0/token');
      assert.equal(call.form.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      assert.equal(call.form.get('client_secret'), null);
      const assertion = call.form.get('client_assertion');
      const cert = new X509Certificate(certPem);
      const claims = jwt.verify(assertion, cert.publicKey, { algorithms: ['RS256'], audience: `${entra.authority}/tenant-c/oauth2/v2.0/token`, issuer: CLIENT, subject: CLIENT });
      assert.ok(claims.jti && claims.exp - claims.nbf === 600);
      const { header } = jwt.decode(assertion, { complete: true });
      assert.equal(header.x5t, createHash('sha1').update(cert.raw).digest('base64url'));
    } finally { await stopClean(d); }
  });

  test('a file without a private key refuses to start with FILE:LINE: KEY', T, async () => {
    const only = join(files.dir, 'only-cert.pem');
    writeFileSync(only, readFileSync(files.cert));
    await assert.rejects(startDaemon({
      config: service_(`credential = client_certificate\ntenant_id = t\nclient_id = c\nclient_certificate_file = ${only}\nauthority_host = ${entra.authority}\n`),
    }), /negotiated\.conf:\d+: client_certificate_file: expected a PEM certificate and its private key/);
  });
});

describe('negotiated token on a keyless hub', () => {
  test('prints the service\'s token', T, async () => {
    const d = await startDaemon({
      config: (dir) => service_(`credential = client_secret\ntenant_id = t\nclient_id = c\nclient_secret_file = ${dir}/s\nauthority_host = ${entra.authority}\n`),
      files: { s: SECRET },
    });
    try {
      const { stdout } = await promisify(execFile)(bin, ['token', '--config', d.configPath, '--hub', 'chat', '--user', 'cli user', '--json'], { timeout: 10_000 });
      const answer = JSON.parse(stdout);
      assert.equal(jwt.verify(answer.token, ACCESS_KEY, { algorithms: ['HS256'] }).sub, 'cli user');
    } finally { await stopClean(d); }
  });
});
