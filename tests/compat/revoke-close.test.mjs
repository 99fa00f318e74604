// SPDX-License-Identifier: Apache-2.0
// Issue 22 end to end: `negotiated revoke --close` asks the service (the stand-in) to close the
// user's connections and remove it from all groups with the very requests @azure/web-pubsub 1.2.0's
// closeUserConnections(user, {reason: 'revoked'}) and removeUserFromAllGroups(user) send; an
// official @azure/web-pubsub-client 1.1.0 connected with a URL from /negotiate sees its socket
// closed (the time from the CLI's start to the client's `disconnected` is printed); the same old
// URL is then refused at connect, because the stand-in asks negotiated's connect gate first, as the
// service does with an event handler. Loopback only.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubClient } from '@azure/web-pubsub-client';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { bin, startDaemon } from './lib/daemon.mjs';
import { startStandin } from './standin.mjs';

const T = { timeout: 20_000 };
const ACCESS_KEY = randomBytes(33).toString('base64url');
const API_KEYS = { alice: randomBytes(24).toString('hex'), bob: randomBytes(24).toString('hex') };
const USERS = ['alice', 'Zoë "Q" \\ 𝄞 <&>', 'a b+c=d/é?#%', "!'()*~-._"];
const HUB = 'chat';
// short keep-alive: the client's timer loops are not abortable and would keep node alive after stop()
const clientOptions = () => ({ autoReconnect: false, messageRetryOptions: { maxRetries: 0 }, keepAliveIntervalInMs: 500, keepAliveTimeoutInMs: 3000 });

let standin;
let daemon;
const eventHandler = { url: '', origin: '' }; // filled once both are listening
const faults = []; // statuses the stand-in answers the next REST calls with, first first

/** `negotiated revoke ARGS` against the daemon's admin socket; {stdout, stderr}. */
const revoke = (args) => promisify(execFile)(bin, ['revoke', '--socket', `${daemon.dir}/admin.sock`, ...args], { timeout: 10_000 });

/** Waits until `cond()` holds (every 10 ms), or fails after ms. */
async function until(cond, ms, what) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

before(async () => {
  standin = await startStandin({ accessKey: ACCESS_KEY, eventHandler, restStatus: () => faults.shift() });
  daemon = await startDaemon({
    files: { apikeys: Object.entries(API_KEYS).map(([u, k]) => `${u} ${k}\n`).join('') },
    config: (dir) => `[server]
admin_socket = ${dir}/admin.sock
state_directory = ${dir}

[service:main]
connection_string = Endpoint=${standin.endpoint};AccessKey=${ACCESS_KEY};Version=1.0;

[hub:${HUB}]
auth = keys
groups = lobby
connect_gate = yes
remove_from_groups_on_revoke = yes

[auth:keys]
type = apikey
file = ${dir}/apikeys
`,
  });
  eventHandler.url = `${daemon.base}/api/webpubsub/hubs/{hub}/`;
  eventHandler.origin = new URL(standin.endpoint).host;
}, T);
after(async () => {
  await daemon?.stop();
  await standin?.close();
});

/** What must be equal between two recorded REST calls: all but times and ids (and the agent). */
function comparable(call) {
  const skip = ['user-agent', 'host', 'connection', 'x-ms-client-request-id', 'authorization'];
  const headers = Object.fromEntries(Object.keys(call.headers).filter((n) => !skip.includes(n)).sort().map((n) => [n, call.headers[n]]));
  const bearer = /^Bearer (.+)$/.exec(call.headers.authorization ?? '')?.[1];
  const decoded = bearer ? jwt.decode(bearer, { complete: true }) : null;
  return {
    method: call.method,
    url: call.url,
    headers,
    requestId: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(call.headers['x-ms-client-request-id'] ?? ''),
    jwtHeader: decoded?.header,
    jwtClaims: decoded && Object.keys(decoded.payload),
    jwtAud: decoded?.payload.aud,
    jwtLifetime: decoded && decoded.payload.exp - decoded.payload.iat,
    verifies: !!bearer && !!jwt.verify(bearer, ACCESS_KEY, { algorithms: ['HS256'] }),
  };
}

describe('revoke --close: the REST calls equal @azure/web-pubsub 1.2.0\'s', () => {
  for (const user of USERS) {
    test(`user ${JSON.stringify(user)}`, T, async () => {
      const sdk = new WebPubSubServiceClient(`Endpoint=${standin.endpoint};AccessKey=${ACCESS_KEY};Version=1.0;`, HUB,
        { allowInsecureConnection: true }); // the stand-in is plain http on loopback
      const first = standin.restCalls.length;
      await sdk.closeUserConnections(user, { reason: 'revoked' });
      await sdk.removeUserFromAllGroups(user);
      assert.equal(standin.restCalls.length, first + 2);
      const [sdkClose, sdkGroups] = standin.restCalls.slice(first);

      await revoke(['--user', user, '--hub', HUB, '--close', '--reason', 'compat test']);
      await until(() => standin.restCalls.length >= first + 4, 5000, 'negotiated\'s two REST calls');
      const [ourClose, ourGroups] = standin.restCalls.slice(first + 2);
      assert.deepEqual(comparable(ourClose), comparable(sdkClose), 'closeUserConnections');
      assert.deepEqual(comparable(ourGroups), comparable(sdkGroups), 'removeUserFromAllGroups');
      assert.equal(comparable(ourClose).verifies, true);
      await revoke(['--lift', '--user', user]);
    });
  }
});

describe('revoke --close end to end: the official client is closed, its old URL refused at connect', () => {
  let client;
  let url;
  after(() => client?.stop());

  test('alice connects through the connect gate with a URL from /negotiate', T, async () => {
    const res = await fetch(`${daemon.base}/negotiate?hub=${HUB}`, { headers: { 'X-API-Key': API_KEYS.alice } });
    assert.equal(res.status, 200);
    url = (await res.json()).url;
    client = new WebPubSubClient(url, clientOptions());
    const connected = new Promise((ok) => client.on('connected', ok));
    await client.start();
    assert.equal((await connected).userId, 'alice');
    assert.equal(standin.connectionsOf(HUB, 'alice'), 1);
  });

  test('negotiated revoke --user alice --close closes it; the client sees it', T, async () => {
    const disconnected = new Promise((ok) => client.on('disconnected', ok));
    const calls = standin.restCalls.length;
    const start = performance.now();
    await revoke(['--user', 'alice', '--close', '--reason', 'stolen laptop']);
    await disconnected;
    const ms = performance.now() - start;
    console.log(`# revoke --close to the client's disconnected event on loopback: ${ms.toFixed(1)} ms (CLI start included)`);
    await until(() => standin.connectionsOf(HUB, 'alice') === 0, 2000, 'the stand-in to drop the socket');
    const rest = standin.restCalls.slice(calls);
    assert.deepEqual(rest.map((c) => `${c.method} ${c.url.split('?')[0]}`),
      [`POST /api/hubs/${HUB}/users/alice/:closeConnections`, `DELETE /api/hubs/${HUB}/users/alice/groups`]);
  });

  test('the same old URL is refused at connect (the gate answers 401); /negotiate refuses 403', T, async () => {
    const refused = await new Promise((ok, fail) => {
      const ws = new WebSocket(url, 'json.reliable.webpubsub.azure.v1', { handshakeTimeout: 5000 });
      ws.on('unexpected-response', (req, res) => { req.destroy(); ok(res.statusCode); });
      ws.on('open', () => { ws.close(); fail(new Error('the old URL connected')); });
      ws.on('error', fail);
    });
    assert.equal(refused, 401);
    const again = new WebPubSubClient(url, clientOptions());
    await assert.rejects(again.start());
    again.stop();
    const res = await fetch(`${daemon.base}/negotiate?hub=${HUB}`, { headers: { 'X-API-Key': API_KEYS.alice } });
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error.code, 'revoked');
  });

  test('bob, not revoked, still connects through the gate', T, async () => {
    const res = await fetch(`${daemon.base}/negotiate?hub=${HUB}`, { headers: { 'X-API-Key': API_KEYS.bob } });
    const bob = new WebPubSubClient((await res.json()).url, clientOptions());
    await bob.start();
    bob.stop();
  });

  test('every attempt is counted', T, async () => {
    const metrics = await (await fetch(`${daemon.base}/metrics`)).text();
    assert.match(metrics, /negotiated_revoke_close_total\{call="close_connections",result="ok"\} [1-9]/);
    assert.match(metrics, /negotiated_revoke_close_total\{call="remove_from_groups",result="ok"\} [1-9]/);
    assert.match(metrics, /negotiated_connect_gate_total\{result="revoked"\} [1-9]/);
  });
});

describe('revoke --close when the service fails: retried with backoff, never silent', () => {
  const linesAbout = (user) => daemon.stderr().split('\n').filter((l) => l.includes(`user=${user}`));

  test('503, 429, then 204: retried after 0.5 s and 1 s, then done', T, async () => {
    faults.push(503, 429);
    const first = standin.restCalls.length;
    await revoke(['--user', 'flaky', '--hub', HUB, '--close']);
    await until(() => standin.restCalls.length >= first + 4, 8000, 'three closeConnections attempts and the groups call');
    const calls = standin.restCalls.slice(first);
    assert.deepEqual(calls.map((c) => c.method), ['POST', 'POST', 'POST', 'DELETE']);
    const gaps = [calls[1].at - calls[0].at, calls[2].at - calls[1].at];
    assert.ok(gaps[0] >= 450 && gaps[0] < 1500, `first backoff ${gaps[0]} ms`);
    assert.ok(gaps[1] >= 950 && gaps[1] < 2500, `second backoff ${gaps[1]} ms`);
    await until(() => linesAbout('flaky').some((l) => /removeUserFromAllGroups .*done/.test(l)), 3000, 'the last log line');
    const lines = linesAbout('flaky');
    assert.ok(lines.some((l) => /closeUserConnections hub=chat user=flaky: attempt 1 failed \(HTTP 503\); retrying in 500 ms/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /attempt 2 failed \(HTTP 429\); retrying in 1000 ms/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /closeUserConnections hub=chat user=flaky: done \(HTTP 204, attempt 3\)/.test(l)), lines.join('\n'));
    await revoke(['--lift', '--user', 'flaky']);
  });

  test('403 is not retried: one attempt, an error line, the groups call not attempted', T, async () => {
    faults.push(403);
    const first = standin.restCalls.length;
    await revoke(['--user', 'denied', '--hub', HUB, '--close']);
    await until(() => linesAbout('denied').some((l) => /not attempted/.test(l)), 5000, 'the error lines');
    await new Promise((r) => setTimeout(r, 700)); // a retry would come after 500 ms
    assert.equal(standin.restCalls.length, first + 1);
    const lines = linesAbout('denied');
    assert.ok(lines.some((l) => /closeUserConnections hub=chat user=denied failed after 1 attempt \(HTTP 403\): the service refused the credential/.test(l)), lines.join('\n'));
    await revoke(['--lift', '--user', 'denied']);
  });

  test('4 failures: the last one is an error and a failed count', { timeout: 20_000 }, async () => {
    faults.push(500, 502, 503, 504);
    await revoke(['--user', 'down', '--hub', HUB, '--close']);
    await until(() => linesAbout('down').some((l) => /failed after 4 attempts \(HTTP 504\)/.test(l)), 8000, 'the final error line');
    const metrics = await (await fetch(`${daemon.base}/metrics`)).text();
    assert.match(metrics, /negotiated_revoke_close_total\{call="close_connections",result="failed"\} [2-9]/);
    assert.match(metrics, /negotiated_revoke_close_total\{call="close_connections",result="retried"\} [5-9]/);
    await revoke(['--lift', '--user', 'down']);
  });
});
