// SPDX-License-Identifier: Apache-2.0
// Keyless resources: negotiated asks the service's generateToken REST API for client tokens,
// with a Microsoft Entra ID bearer. The stand-in records each request; negotiated's (token CLI and
// GET /negotiate) must equal @azure/web-pubsub's for the same ask, and the official client must
// connect end to end through a keyless hub. Loopback only.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import jwt from 'jsonwebtoken';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { bin, startDaemon } from './lib/daemon.mjs';
import { entraToken, fixedCredential, startEntra, startService, tlsFiles, uuidRe } from './lib/keyless.mjs';

process.env.NEGOTIATED_NO_IMDS = '1'; // the daemon refuses the real metadata address
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; // the SDK and client trust the stand-in's self-signed certificate
process.removeAllListeners('warning'); // ...without a warning per test

const ACCESS_KEY = randomBytes(33).toString('base64url'); // the service's own, never negotiated's
const SECRET = `s3cr3t-${randomBytes(12).toString('hex')}`;
const CLIENT_ID = '11111111-2222-4333-8444-555555555555';
const TENANT = 'tenant-a';
const BEARER = entraToken({ oid: 'negotiated' }); // what Entra answers, and what the SDK's credential holds

const USERS = [undefined, 'alice', 'Zoë "Q" \\ 𝄞 <&>', 'a b+c=d/é?#%', "!'()*~-._"];
const ROLES = [[], ['webpubsub.joinLeaveGroup'], ['webpubsub.joinLeaveGroup.lobby', 'webpubsub.sendToGroup.room 1', 'webpubsub.sendToGroups.room.*']];
const GROUPS = [[], ['lobby'], ['lobby', 'room 1', 'ü/ß?#&+=']];
const TTLS = [undefined, 1, 60, 1440];
const PROTOCOLS = ['default', 'mqtt', 'socketio'];
const HUBS = ['chat', 'My_Hub01', 'a.b,c`e']; // ',' and '`' need percent-encoding

/** `negotiated token ARGS --json`, without blocking this process: the stand-ins answer it. */
async function token(args) {
  const { stdout } = await promisify(execFile)(bin, ['token', ...args, '--json'], { timeout: 10_000 });
  return JSON.parse(stdout);
}

const optional = (list) => (list.length ? list : undefined);
const T = { timeout: 15_000 };

let files, service, entra;
before(async () => {
  files = tlsFiles();
  service = await startService({ accessKey: ACCESS_KEY, tls: files.tls });
  entra = await startEntra({ token: () => BEARER });
}, T);
after(async () => {
  await service?.close();
  await entra?.close();
  files?.remove();
});

function serviceSection(dir) {
  return `[service:main]
endpoint = ${service.endpoint}
credential = client_secret
tenant_id = ${TENANT}
client_id = ${CLIENT_ID}
client_secret_file = ${dir}/secret
authority_host = ${entra.authority}
tls_ca_file = ${files.cert}
`;
}

function cliConfig(dir) {
  return serviceSection(dir) + HUBS.map((h) => `\n[hub:${h}]\nauth = anon\nmax_token_lifetime = 1440\n`).join('')
    + '\n[auth:anon]\ntype = anonymous\n';
}

/** What must be equal between two recorded requests: all but the user agent and the request id's value. */
function comparable(r) {
  const names = Object.keys(r.headers).filter((n) => !['user-agent', 'host', 'connection', 'x-ms-client-request-id'].includes(n)).sort();
  const pick = Object.fromEntries(names.map((n) => [n, r.headers[n]]));
  return { method: r.method, url: r.url, headers: pick, body: r.body, requestId: uuidRe.test(r.headers['x-ms-client-request-id'] ?? '') };
}

/** The SDK's request for an ask, recorded by the stand-in. */
async function sdkRequest({ hub, user, roles, groups, ttl, protocol }) {
  const credential = fixedCredential(BEARER);
  const before = service.requests.length;
  const answer = await new WebPubSubServiceClient(service.endpoint, credential, hub).getClientAccessToken({
    userId: user, roles: optional(roles), groups: optional(groups), clientProtocol: protocol,
    ...(ttl === undefined ? {} : { expirationTimeInMinutes: ttl }), // absent: the SDK's default, 60
  });
  assert.deepEqual(credential.scopes, [['https://webpubsub.azure.com/.default']], 'the SDK asks for the scope');
  assert.equal(service.requests.length, before + 1);
  return { request: service.requests[before], answer };
}

const label = (c) => `hub=${c.hub} user=${JSON.stringify(c.user ?? null)} roles=${c.roles.length} groups=${c.groups.length} ttl=${c.ttl ?? 'default'} ${c.protocol}`;

const cases = [];
for (const user of USERS) {
  for (const roles of ROLES) {
    for (const groups of GROUPS) {
      const i = cases.length;
      cases.push({ user, roles, groups, ttl: TTLS[i % 4], protocol: PROTOCOLS[i % 3], hub: HUBS[Math.floor(i / 3) % 3] });
    }
  }
}

describe(`keyless: token CLI requests equal the SDK's (${cases.length} asks)`, () => {
  let dir;
  before(async () => {
    // the CLI reads the configuration from a file; startDaemon writes one and is stopped at once
    const d = await startDaemon({ config: cliConfig, files: { secret: `${SECRET}\n` } });
    dir = d;
  }, T);
  after(() => dir?.stop());

  for (const c of cases) {
    test(label(c), T, async () => {
      const { request: sdk, answer: sdkAnswer } = await sdkRequest(c);
      const before = service.requests.length;
      const ours = await token(['--config', dir.configPath, '--hub', c.hub, '--raw', // exactly the ask, as the SDK
        ...(c.user === undefined ? [] : ['--user', c.user]),
        ...c.roles.flatMap((r) => ['--role', r]), ...c.groups.flatMap((g) => ['--group', g]),
        ...(c.ttl === undefined ? [] : ['--ttl', String(c.ttl)]), '--client-protocol', c.protocol]);
      assert.equal(service.requests.length, before + 1, 'one REST call');
      assert.deepEqual(comparable(service.requests[before]), comparable(sdk));
      assert.equal(ours.baseUrl, sdkAnswer.baseUrl, 'baseUrl');
      assert.equal(ours.url, `${ours.baseUrl}?access_token=${ours.token}`, 'url');
      const claims = jwt.verify(ours.token, ACCESS_KEY, { algorithms: ['HS256'] });
      assert.equal(claims.sub, c.user, 'the service signed the asked user');
      if (c.protocol === 'socketio') assert.equal(ours.path, new URL(sdkAnswer.baseUrl).pathname);
    });
  }
});

// Hubs of a keyless daemon; each is negotiated once, the request compared with the SDK's.
const DAEMON_HUBS = [
  { hub: 'plain', auth: 'fixed', roles: [], groups: [], protocol: 'default' },
  { hub: 'Roles', auth: 'fixed', roles: ['webpubsub.joinLeaveGroup.lobby', 'webpubsub.sendToGroup.ü&1', 'webpubsub.sendToGroups.room.*'], groups: [], protocol: 'mqtt', ttl: 1 },
  { hub: 'groups_1', auth: 'fixed', roles: [], groups: ['lobby', 'ü'], protocol: 'socketio', ttl: 1440 },
  { hub: 'both', auth: 'random', roles: ROLES[1], groups: ['lobby'], protocol: 'default', ttl: 60 },
  { hub: 'chat', auth: 'fixed', roles: ['webpubsub.joinLeaveGroup.lobby', 'webpubsub.sendToGroup.lobby'], groups: [], protocol: 'default' },
];
const FIXED_USER = 'web user/ü+1';

function daemonConfig(dir) {
  const hubs = DAEMON_HUBS.map((h) => [
    `[hub:${h.hub}]`, `auth = ${h.auth}`, `client_protocol = ${h.protocol}`,
    ...(h.ttl === undefined ? [] : [`token_lifetime = ${h.ttl}`, `max_token_lifetime = ${Math.max(h.ttl, 1440)}`]),
    ...(h.roles.length ? [`roles = ${h.roles.join(' ')}`] : []),
    ...(h.groups.length ? [`groups = ${h.groups.join(' ')}`] : []),
  ].join('\n'));
  return [serviceSection(dir) + 'token_cache = 0', ...hubs,
    `[auth:fixed]\ntype = anonymous\nuser = ${FIXED_USER}`, '[auth:random]\ntype = anonymous',
    '[server]\nmetrics_allow = 127.0.0.1'].join('\n\n') + '\n';
}

describe('keyless: daemon GET /negotiate', () => {
  let daemon;
  before(async () => { daemon = await startDaemon({ config: daemonConfig, files: { secret: SECRET } }); }, T);
  after(() => daemon?.stop());

  test('/readyz is 200 once the Entra token is held', T, async () => {
    const res = await fetch(`${daemon.base}/readyz`);
    assert.equal(res.status, 200, await res.text());
    const call = entra.calls.find((c) => c.url === `/${TENANT}/oauth2/v2.0/token` && c.form.get('client_secret') === SECRET);
    assert.ok(call, 'the client secret was posted to the tenant\'s token endpoint');
    assert.deepEqual(Object.fromEntries(call.form), {
      client_id: CLIENT_ID, scope: 'https://webpubsub.azure.com/.default', grant_type: 'client_credentials', client_secret: SECRET,
    });
    assert.equal(call.headers['content-type'], 'application/x-www-form-urlencoded');
  });

  for (const h of DAEMON_HUBS) {
    test(`hub=${h.hub} auth=${h.auth} roles=${h.roles.length} groups=${h.groups.length} ttl=${h.ttl ?? 'default'} ${h.protocol}`, T, async () => {
      const before = service.requests.length;
      const res = await fetch(`${daemon.base}/negotiate?hub=${encodeURIComponent(h.hub)}`, { signal: AbortSignal.timeout(5000) });
      const body = await res.text();
      assert.equal(res.status, 200, body);
      assert.equal(service.requests.length, before + 1, 'one REST call');
      const ours = JSON.parse(body);
      const mine = service.requests[before];
      const user = new URL(mine.url, 'https://x').searchParams.get('userId');
      if (h.auth === 'fixed') assert.equal(user, FIXED_USER);
      else assert.match(user, /^anon-[0-9a-f]{16}$/);
      const { request: sdk, answer } = await sdkRequest({ ...h, user });
      assert.deepEqual(comparable(mine), comparable(sdk));
      assert.equal(ours.baseUrl, answer.baseUrl);
      assert.equal(ours.url, `${answer.baseUrl}?access_token=${ours.token}`);
      assert.equal(jwt.verify(ours.token, ACCESS_KEY, { algorithms: ['HS256'] }).sub, user);
    });
  }

  test('@azure/web-pubsub-client connects through the keyless hub and talks to a group', T, async () => {
    const client = new WebPubSubClient({
      getClientAccessUrl: async () => (await (await fetch(`${daemon.base}/negotiate?hub=chat`)).json()).url,
    }, { autoReconnect: false, messageRetryOptions: { maxRetries: 0 }, keepAliveIntervalInMs: 500, keepAliveTimeoutInMs: 3000 });
    const connected = new Promise((ok) => client.on('connected', ok));
    await client.start();
    try {
      assert.equal((await connected).userId, FIXED_USER);
      await client.joinGroup('lobby');
      const got = new Promise((ok) => client.on('group-message', (e) => ok(e.message)));
      await client.sendToGroup('lobby', 'hello', 'text');
      assert.equal((await got).data, 'hello');
      await assert.rejects(client.joinGroup('secret'), (e) => e.errorDetail?.name === 'Forbidden');
    } finally {
      client.stop();
    }
  });

  test('/metrics counts the REST calls and the Entra fetch', T, async () => {
    const text = await (await fetch(`${daemon.base}/metrics`)).text();
    const ok = Number(/^negotiated_generate_token_total\{outcome="ok"\} (\d+)$/m.exec(text)?.[1]);
    assert.ok(ok >= DAEMON_HUBS.length + 1, text);
    // every admitted request made one REST call (token_cache = 0), and each is counted once, not
    // again when it is run a second time on the service's own threads
    const admitted = [...text.matchAll(/^negotiated_auth_outcomes_total\{authenticator="(?:fixed|random)",outcome="ok"\} (\d+)$/gm)]
      .reduce((sum, m) => sum + Number(m[1]), 0);
    assert.equal(admitted, ok, text);
    assert.match(text, /^negotiated_generate_token_duration_seconds_count \d+$/m);
    assert.match(text, /^negotiated_entra_token_refreshes_total [1-9]\d*$/m);
    assert.match(text, /^negotiated_entra_token_refresh_errors_total 0$/m);
  });

  test('SIGTERM: exit 0, and no secret or token in the log', T, async () => {
    const { code, signal } = await daemon.stop();
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, daemon.stderr());
    for (const secret of [SECRET, BEARER, ACCESS_KEY]) assert.ok(!daemon.stderr().includes(secret), daemon.stderr());
  });
});
