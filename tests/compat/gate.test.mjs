// SPDX-License-Identifier: Apache-2.0
// The connect gate against its oracle: @azure/web-pubsub-express 1.1.0's WebPubSubEventHandler (an
// express app whose handleConnect refuses a revoked user with res.fail(401, 'revoked')) and
// negotiated ([hub:chat] connect_gate = yes, the same revocations in its state file) are fed the
// same table of events; statuses and bodies must be equal. Where negotiated checks more than the
// official handler (it does not verify ce-signature, nor the origin of a POST, nor bound the body),
// the row names both answers and says why (docs/stopping-a-user.md, "What the gate checks").
// A second hub, counted, has max_connections_per_user = 2: the same sequence of connect, connected
// and disconnected events goes to negotiated and to an official handler that keeps the same count in
// a Map (the oracle here is the wire form of its answers: res.fail(401, ...), 204, 200). Loopback only.
import assert from 'node:assert/strict';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WebPubSubEventHandler } from '@azure/web-pubsub-express';
import express from 'express';
import { startDaemon } from './lib/daemon.mjs';

const HOST = 'gate-test.webpubsub.azure.com'; // the service's endpoint: its host is the allowed origin
const PRIMARY = randomBytes(33).toString('base64');
const SECONDARY = randomBytes(33).toString('base64');
const STALE = randomBytes(33).toString('base64'); // a key rotated away: in neither slot any more
const NOW = Math.floor(Date.now() / 1000);
const ISSUED_BEFORE = NOW - 600; // "tokens issued before T" for user old-token
const REVOKED = [
  { user: 'mallory', hub: '', reason: 'stolen laptop', by: 'test', set_at: NOW, expires_at: 0, issued_before: 0 },
  { user: 'old-token', hub: '', reason: 'password reset', by: 'test', set_at: NOW, expires_at: 0, issued_before: ISSUED_BEFORE },
  { user: 'other-hub-only', hub: 'lobby', reason: 'x', by: 'test', set_at: NOW, expires_at: 0, issued_before: 0 },
];

/** The oracle's view of the same list: what negotiated's revocations_refuse answers. */
function revoked(hub, user, iat) {
  return REVOKED.some((e) => e.user === user && (!e.hub || e.hub.toLowerCase() === hub.toLowerCase())
    && (!e.issued_before || (iat > 0 && iat < e.issued_before)));
}
const iatOf = (claims) => Number([].concat(claims?.iat ?? [0])[0]) || 0;

const sign = (key, connectionId) => `sha256=${createHmac('sha256', key).update(connectionId).digest('hex')}`;

/** A connect event as the service sends it (binary-mode CloudEvent); `patch` edits headers. */
function connectEvent({ user = 'alice', hub = 'chat', key = PRIMARY, iat = NOW, type = 'azure.webpubsub.sys.connect', body } = {}, patch = {}) {
  const connectionId = randomUUID();
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'ce-specversion': '1.0',
    'ce-type': type,
    'ce-source': `/hubs/${hub}/client/${connectionId}`,
    'ce-id': randomUUID(),
    'ce-time': new Date().toISOString(),
    'ce-awpsversion': '1.0',
    'ce-hub': hub,
    'ce-eventname': type.split('.').pop(),
    'ce-connectionid': connectionId,
    'ce-signature': sign(key, connectionId),
    'webhook-request-origin': HOST,
    ...(user && { 'ce-userid': user }),
  };
  for (const [name, value] of Object.entries(patch)) {
    if (value === undefined) delete headers[name];
    else headers[name] = typeof value === 'function' ? value(headers) : value;
  }
  const claims = { sub: [user ?? ''], iat: [String(iat)], exp: [String(iat + 3600)] };
  const text = body ?? JSON.stringify({ claims, query: { access_token: ['x'] }, headers: {}, subprotocols: [], clientCertificates: [] });
  return { method: 'POST', path: '/api/webpubsub/hubs/chat/', headers, body: text };
}

const preflight = (headers) => ({ method: 'OPTIONS', path: '/api/webpubsub/hubs/chat/', headers, body: undefined });

/** Each row: an event, and either `same` (both answer alike) or the two answers and why they differ. */
const TABLE = [
  { name: 'valid connect', event: connectEvent(), same: true },
  { name: 'valid connect, any case in the path', event: { ...connectEvent(), path: '/API/WebPubSub/hubs/Chat/' }, same: true },
  { name: 'anonymous connection (no ce-userId)', event: connectEvent({ user: null }), same: true },
  { name: 'revoked user', event: connectEvent({ user: 'mallory' }), same: true },
  { name: 'token issued before the revocation', event: connectEvent({ user: 'old-token', iat: ISSUED_BEFORE - 60 }), same: true },
  { name: 'token issued after "issued before"', event: connectEvent({ user: 'old-token', iat: ISSUED_BEFORE + 60 }), same: true },
  { name: 'revoked on another hub only', event: connectEvent({ user: 'other-hub-only' }), same: true },
  { name: 'signed with the secondary key (rotation)', event: connectEvent({ key: SECONDARY }), same: true },
  { name: 'connected event (nothing to decide)', event: connectEvent({ type: 'azure.webpubsub.sys.connected', body: '{}' }), same: true },
  { name: 'wrong hub (ce-hub is not the path\'s)', event: connectEvent({ hub: 'lobby' }), status: [404, 404],
    why: 'both refuse with 404; the official handler passes it to express (an HTML page), negotiated answers a JSON error' },
  { name: 'abuse protection: allowed origin', event: preflight({ 'webhook-request-origin': HOST, 'ce-awpsversion': '1.0' }), same: true },
  { name: 'abuse protection: another origin', event: preflight({ 'webhook-request-origin': 'evil.example', 'ce-awpsversion': '1.0' }), same: true },
  { name: 'abuse protection: no WebHook-Request-Origin', event: preflight({ 'ce-awpsversion': '1.0' }), same: true },
  { name: 'abuse protection: no ce-awpsversion', event: preflight({ 'webhook-request-origin': HOST }), status: [404, 404],
    why: 'not a Web PubSub request: both pass (the official handler to express\'s 404 page, negotiated a JSON error)' },
  { name: 'bad signature', event: connectEvent({}, { 'ce-signature': `sha256=${'0'.repeat(64)}` }), status: [204, 401],
    why: 'the official handler does not verify ce-signature; negotiated does, so only the service can open a connection' },
  { name: 'stale key after rotation', event: connectEvent({ key: STALE }), status: [204, 401],
    why: 'a key no longer configured is not the service: negotiated refuses, the official handler does not look' },
  { name: 'revoked user with a bad signature', event: connectEvent({ user: 'mallory' }, { 'ce-signature': 'sha256=zz' }), status: [401, 401],
    why: 'both refuse; negotiated before reading the list (the signature comes first), with its JSON error' },
  { name: 'POST from another origin', event: connectEvent({}, { 'webhook-request-origin': 'evil.example' }), status: [204, 403],
    why: 'the official handler needs the header present; negotiated also needs it to name the hub\'s service' },
  { name: 'missing ce-connectionId', event: connectEvent({}, { 'ce-connectionid': undefined }), status: [204, 400],
    why: 'the signature is over the connection id: without it nothing can be verified' },
  { name: 'missing ce-signature', event: connectEvent({}, { 'ce-signature': undefined }), status: [204, 400],
    why: 'the official handler does not read ce-signature' },
  { name: 'missing WebHook-Request-Origin', event: connectEvent({}, { 'webhook-request-origin': undefined }), status: [404, 400],
    why: 'the official handler passes it on (express 404); negotiated names the missing header' },
  { name: 'missing ce-awpsversion', event: connectEvent({}, { 'ce-awpsversion': undefined }), status: [404, 400],
    why: 'the official handler passes it on (express 404); negotiated names the missing header' },
  { name: 'oversized body (above max_body_bytes)', event: connectEvent({ body: JSON.stringify({ claims: {}, headers: { cookie: ['x'.repeat(20000)] } }) }), status: [204, 413],
    why: 'the official handler reads any body; negotiated bounds it ([server] max_body_bytes, 16384 here)' },
];

/** Sends one event to base; {status, body, allowed}. */
async function send(base, ev) {
  const res = await fetch(base + ev.path, { method: ev.method, headers: ev.headers, body: ev.body, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text(), allowed: res.headers.get('webhook-allowed-origin') };
}

/** The counting app's view: each user's connection ids, as an app would keep them. */
const held = new Map();
const LIMIT = 2;
const countingHandler = new WebPubSubEventHandler('counted', {
  allowedEndpoints: [`https://${HOST}`],
  handleConnect(req, res) {
    const mine = held.get(req.context.userId) ?? new Set();
    if (mine.size >= LIMIT && !mine.has(req.context.connectionId)) return res.fail(401, 'too many connections');
    held.set(req.context.userId, mine.add(req.context.connectionId));
    return res.success();
  },
  onConnected() {},
  onDisconnected(req) { held.get(req.context.userId)?.delete(req.context.connectionId); },
});

/** An event of the counted hub for USER's connection ID. */
function countedEvent(kind, user, id) {
  const type = `azure.webpubsub.sys.${kind}`;
  const body = kind === 'disconnected' ? JSON.stringify({ reason: 'closed' }) : kind === 'connected' ? '{}' : undefined;
  const ev = connectEvent({ user, hub: 'counted', type, body }, { 'ce-connectionid': id, 'ce-signature': sign(PRIMARY, id),
    'ce-source': `/hubs/counted/client/${id}` });
  return { ...ev, path: '/api/webpubsub/hubs/counted/' };
}

let oracle, daemon;
before(async () => {
  const handler = new WebPubSubEventHandler('chat', {
    allowedEndpoints: [`https://${HOST}`],
    handleConnect(req, res) {
      if (req.context.userId && revoked(req.context.hub, req.context.userId, iatOf(req.claims))) res.fail(401, 'revoked');
      else res.success();
    },
  });
  const app = express();
  app.use(handler.getMiddleware());
  app.use(countingHandler.getMiddleware());
  oracle = await new Promise((ok) => { const s = app.listen(0, '127.0.0.1', () => ok(s)); });
  const state = REVOKED.map((e) => JSON.stringify(e)).join('\n') + '\n';
  daemon = await startDaemon({
    config: (dir) => `[server]\nstate_directory = ${dir}/state\n
[service:main]
connection_string = Endpoint=https://${HOST};AccessKey=${PRIMARY};Version=1.0;
secondary_connection_string = Endpoint=https://${HOST};AccessKey=${SECONDARY};Version=1.0;
[hub:chat]\nauth = anon\nconnect_gate = yes\n[hub:lobby]\nauth = anon\n
[hub:counted]\nauth = anon\nconnect_gate = yes\nmax_connections_per_user = 2\n[auth:anon]\ntype = anonymous\n`,
    files: { 'state/revocations.jsonl': state },
  });
});
after(async () => {
  await daemon?.stop();
  oracle?.closeAllConnections();
  await new Promise((ok) => (oracle ? oracle.close(ok) : ok()));
});

describe(`connect gate vs @azure/web-pubsub-express 1.1.0 (${TABLE.length} events)`, () => {
  const oracleBase = () => `http://127.0.0.1:${oracle.address().port}`;
  for (const row of TABLE) {
    test(row.name, async () => {
      const official = await send(oracleBase(), row.event);
      const ours = await send(daemon.base, row.event);
      if (row.same) {
        assert.deepEqual(
          { status: ours.status, body: ours.body, allowed: ours.allowed },
          { status: official.status, body: official.body, allowed: official.allowed },
          'negotiated answers as the official handler',
        );
        return;
      }
      // a stated difference: both answers exactly as written, and negotiated's never admits
      assert.deepEqual([official.status, ours.status], row.status, row.why);
      assert.ok(ours.status >= 400, 'negotiated refuses');
      assert.match(ours.body, /^\{"error":\{"code":"[a-z_]+","message":/, 'negotiated says why');
    });
  }
  test('the refusals changed nothing: a valid connect is still admitted, mallory still refused', async () => {
    assert.equal((await send(daemon.base, connectEvent())).status, 204);
    assert.equal((await send(daemon.base, connectEvent({ user: 'mallory' }))).status, 401);
    const metrics = await (await fetch(`${daemon.base}/metrics`)).text();
    assert.match(metrics, /negotiated_connect_gate_total\{result="revoked"\} [1-9]/);
    assert.match(metrics, /negotiated_connect_gate_total\{result="bad_signature"\} [1-9]/);
  });
});

describe('max_connections_per_user = 2 vs an official handler counting in a Map', () => {
  const oracleBase = () => `http://127.0.0.1:${oracle.address().port}`;
  const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const SEQUENCE = [
    ['connect', 'alice', a, 204], ['connected', 'alice', a, 200], ['connect', 'alice', b, 204],
    ['connect', 'alice', c, 401], ['connect', 'alice', b, 204], ['connect', 'bob', c, 204],
    ['disconnected', 'alice', a, 200], ['connect', 'alice', c, 204], ['connect', 'alice', d, 401],
  ];
  for (const [kind, user, id, want] of SEQUENCE) {
    test(`${kind} ${user} ${id.slice(0, 8)}: ${want}`, async () => {
      const official = await send(oracleBase(), countedEvent(kind, user, id));
      const ours = await send(daemon.base, countedEvent(kind, user, id));
      assert.equal(official.status, want, 'the oracle counts as the table says');
      assert.deepEqual({ status: ours.status, body: ours.body }, { status: official.status, body: official.body },
        'negotiated answers as the official handler');
    });
  }
});
