// SPDX-License-Identifier: Apache-2.0
// Compatibility matrix: negotiated's tokens and URLs against @azure/web-pubsub's
// WebPubSubServiceClient.getClientAccessToken for the same inputs, via the `token` CLI and
// via GET /negotiate on the daemon.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import jwt from 'jsonwebtoken';
import { startDaemon, token } from './lib/daemon.mjs';

// Base64 with '=' padding: the connection string parser must split on the first '=' only.
const KEY = randomBytes(32).toString('base64');
const AZ = 'abc.webpubsub.azure.com';

// [name, connection string, the normalised http(s) endpoint it must yield]
const SERVICES = [
  ['https', `Endpoint=https://${AZ};AccessKey=${KEY};Version=1.0;`, `https://${AZ}/`],
  ['https, trailing slash', `Endpoint=https://${AZ}/;AccessKey=${KEY};Version=1.0;`, `https://${AZ}/`],
  ['no scheme', `Endpoint=${AZ};AccessKey=${KEY};Version=1.0;`, `https://${AZ}/`],
  ['https, Port=443', `Endpoint=https://${AZ};AccessKey=${KEY};Version=1.0;Port=443;`, `https://${AZ}/`],
  ['https, :443 in endpoint', `Endpoint=https://${AZ}:443;AccessKey=${KEY};Version=1.0;`, `https://${AZ}/`],
  ['https, Port=8443', `Endpoint=https://${AZ};AccessKey=${KEY};Version=1.0;Port=8443;`, `https://${AZ}:8443/`],
  ['https, :8443/ in endpoint', `Endpoint=https://${AZ}:8443/;AccessKey=${KEY};Version=1.0;`, `https://${AZ}:8443/`],
  ['https, Port= overrides :8443', `Endpoint=https://${AZ}:8443;AccessKey=${KEY};Port=9443;Version=1.0;`, `https://${AZ}:9443/`],
  ['http, :8080 in endpoint', `Endpoint=http://localhost:8080;AccessKey=${KEY};Version=1.0;`, 'http://localhost:8080/'],
  ['http, Port=80', `Endpoint=http://127.0.0.1;AccessKey=${KEY};Version=1.0;Port=80;`, 'http://127.0.0.1/'],
  ['http, :80/ in endpoint', `Endpoint=http://127.0.0.1:80/;AccessKey=${KEY};Version=1.0;`, 'http://127.0.0.1/'],
  ['mixed-case keys, http port=8080', `ENDPOINT=http://localhost;accesskey=${KEY};VERSION=1.0;port=8080`, 'http://localhost:8080/'],
  ['mixed-case keys, https PORT=443', `endpoint=https://${AZ};ACCESSKEY=${KEY};Version=1.0;PORT=443;`, `https://${AZ}/`],
  ['AccessKey first, no trailing ;', `AccessKey=${KEY};Endpoint=https://${AZ};Version=1.0`, `https://${AZ}/`],
];
const USERS = [undefined, 'alice', 'Zoë "Q" \\ 𝄞 <&>'];
const ROLES = [
  [],
  ['webpubsub.joinLeaveGroup'],
  ['webpubsub.joinLeaveGroup.lobby', 'webpubsub.sendToGroup.lobby', 'webpubsub.sendToGroups.room.*'],
];
const GROUPS = [[], ['lobby'], ['lobby', 'room 1', 'ü/ß?#&']];
const TTLS = [undefined, 1, 60, 1440, 525600];
const PROTOCOLS = ['default', 'mqtt', 'socketio'];
const HUBS = ['chat', 'My_Hub01', 'a.b,c[d]`e'];
const PATHS = { default: 'client/hubs/', mqtt: 'clients/mqtt/hubs/', socketio: 'clients/socketio/hubs/' };

const decode = (segment) => JSON.parse(Buffer.from(segment, 'base64url'));
const optional = (list) => (list.length ? list : undefined);

/** The SDK's answer for the same inputs (empty roles/groups not passed, as negotiated omits them). */
function sdkToken(cs, { hub, user, roles, groups, ttl, protocol }) {
  return new WebPubSubServiceClient(cs, hub).getClientAccessToken({
    userId: user, roles: optional(roles), groups: optional(groups),
    expirationTimeInMinutes: ttl, clientProtocol: protocol,
  });
}

/** Asserts `ours` equals the SDK's answer `sdk` except for the token's iat/exp instants. */
function assertSameAsSdk(ours, sdk, { endpoint, hub, protocol, ttl = 60 }) {
  const path = PATHS[protocol] + hub;
  assert.equal(sdk.baseUrl, endpoint.replace(/^http/, 'ws') + path, 'SDK sanity: baseUrl');
  assert.equal(ours.baseUrl, sdk.baseUrl, 'baseUrl');
  assert.equal(ours.url, `${sdk.baseUrl}?access_token=${ours.token}`, 'url');
  // The Web PubSub for Socket.IO extension's negotiate answers {endpoint, path, token} from the
  // SDK's baseUrl: endpoint = new URL(baseUrl).origin, path = its pathname (SIO/components/negotiate.ts).
  const sio = protocol === 'socketio' ? new URL(sdk.baseUrl) : undefined;
  assert.equal(ours.endpoint, sio?.origin, 'endpoint (Socket.IO only)');
  assert.equal(ours.path, sio?.pathname, 'path (Socket.IO only)');

  const [header, payload] = ours.token.split('.');
  const [sdkHeader, sdkPayload] = sdk.token.split('.');
  assert.equal(header, sdkHeader, `header ${Buffer.from(header, 'base64url')}`);
  const { iat, exp, ...claims } = decode(payload);
  const { iat: sdkIat, exp: sdkExp, ...sdkClaims } = decode(sdkPayload);
  assert.deepEqual(claims, sdkClaims, 'claims other than iat/exp');
  assert.equal(exp - iat, sdkExp - sdkIat, 'exp - iat');
  assert.equal(exp - iat, 60 * ttl, 'exp - iat = 60 * ttl');
  assert.ok(Math.abs(iat - Date.now() / 1000) < 5, `iat ${iat} is now`);

  jwt.verify(ours.token, KEY, { algorithms: ['HS256'], audience: endpoint + path });
}

// The connection string goes to the CLI on standard input (token()'s second argument), never on argv.
function cliArgs({ hub, user, roles, groups, ttl, protocol }) {
  return [
    '--connection-string-file', '-', '--hub', hub,
    ...(user === undefined ? [] : ['--user', user]),
    ...roles.flatMap((r) => ['--role', r]),
    ...groups.flatMap((g) => ['--group', g]),
    ...(ttl === undefined ? [] : ['--ttl', String(ttl)]),
    '--client-protocol', protocol,
  ];
}

const label = (c) => `hub=${c.hub} user=${c.user ?? '-'} roles=${c.roles.length} groups=${c.groups.length} `
  + `ttl=${c.ttl ?? 'default'} ${c.protocol}`;

// Options: every user x roles x groups x ttl on the first service; protocol and hub rotate.
const optionCases = [];
for (const user of USERS) {
  for (const roles of ROLES) {
    for (const groups of GROUPS) {
      for (const ttl of TTLS) {
        const i = optionCases.length;
        optionCases.push({ user, roles, groups, ttl, protocol: PROTOCOLS[i % 3], hub: HUBS[Math.floor(i / 3) % 3] });
      }
    }
  }
}
// Endpoints: every service x protocol; the other inputs rotate.
const endpointCases = SERVICES.flatMap((service, s) => PROTOCOLS.map((protocol, p) => {
  const i = s * 3 + p;
  return {
    service, protocol, hub: HUBS[i % 3], user: USERS[i % 3], roles: ROLES[(i + 1) % 3],
    groups: GROUPS[Math.floor(i / 3) % 3], ttl: TTLS[i % 5],
  };
}));

const T = { timeout: 10_000 };

describe(`token CLI, options (${optionCases.length} cases)`, () => {
  const [, cs, endpoint] = SERVICES[0];
  for (const c of optionCases) {
    test(label(c), T, async () => {
      assertSameAsSdk(token(cliArgs(c), cs), await sdkToken(cs, c), { endpoint, ...c });
    });
  }
});

describe(`token CLI, endpoints (${endpointCases.length} cases)`, () => {
  for (const c of endpointCases) {
    const [name, cs, endpoint] = c.service;
    test(`${name} | ${label(c)}`, T, async () => {
      assertSameAsSdk(token(cliArgs(c), cs), await sdkToken(cs, c), { endpoint, ...c });
    });
  }
});

// Hubs of the daemon's configuration; each is negotiated once per service below.
const DAEMON_HUBS = [
  { hub: 'plain', auth: 'fixed', roles: [], groups: [], protocol: 'default' },
  { hub: 'Roles', auth: 'fixed', roles: ROLES[2], groups: [], protocol: 'mqtt', ttl: 1 },
  { hub: 'groups_1', auth: 'fixed', roles: [], groups: ['lobby', 'ü'], protocol: 'socketio', ttl: 1440 },
  { hub: 'both', auth: 'random', roles: ROLES[1], groups: ['lobby'], protocol: 'default', ttl: 60 },
];
const FIXED_USER = 'web-user';

function daemonConfig(cs) {
  const hubs = DAEMON_HUBS.map((h) => [
    `[hub:${h.hub}]`,
    `auth = ${h.auth}`,
    `client_protocol = ${h.protocol}`,
    ...(h.ttl === undefined ? [] : [`token_lifetime = ${h.ttl}`, `max_token_lifetime = ${Math.max(h.ttl, 1440)}`]),
    ...(h.roles.length ? [`roles = ${h.roles.join(' ')}`] : []),
    ...(h.groups.length ? [`groups = ${h.groups.join(' ')}`] : []),
  ].join('\n'));
  return [
    `[service:main]\nconnection_string = ${cs}`,
    ...hubs,
    `[auth:fixed]\ntype = anonymous\nuser = ${FIXED_USER}`,
    '[auth:random]\ntype = anonymous',
  ].join('\n\n') + '\n';
}

for (const s of [0, 6, 8, 11]) {
  const [name, cs, endpoint] = SERVICES[s];
  describe(`daemon GET /negotiate, ${name} (${DAEMON_HUBS.length} cases)`, () => {
    let daemon;
    before(async () => { daemon = await startDaemon({ config: daemonConfig(cs) }); }, { timeout: 20_000 });
    after(() => daemon?.stop());

    for (const h of DAEMON_HUBS) {
      test(`hub=${h.hub} auth=${h.auth} roles=${h.roles.length} groups=${h.groups.length} ttl=${h.ttl ?? 'default'} ${h.protocol}`, T, async () => {
        const res = await fetch(`${daemon.base}/negotiate?hub=${encodeURIComponent(h.hub)}`, { signal: AbortSignal.timeout(5000) });
        const body = await res.text();
        assert.equal(res.status, 200, body);
        assert.match(res.headers.get('content-type'), /^application\/json\b/);
        assert.equal(res.headers.get('cache-control'), 'no-store');
        const ours = JSON.parse(body);
        const user = decode(ours.token.split('.')[1]).sub;
        if (h.auth === 'fixed') assert.equal(user, FIXED_USER);
        else assert.match(user, /^anon-[0-9a-f]{16}$/);
        assertSameAsSdk(ours, await sdkToken(cs, { ...h, user }), { endpoint, ...h });
      });
    }

    test('daemon exits 0 on SIGTERM', T, async () => {
      const { code, signal } = await daemon.stop();
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, daemon.stderr());
      assert.ok(!daemon.stderr().includes(KEY), 'AccessKey in log');
    });
  });
}
