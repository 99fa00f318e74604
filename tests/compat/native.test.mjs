// SPDX-License-Identifier: Apache-2.0
// A native app (iOS, Android, React Native) calls negotiate and connects without a browser: its
// credential in Authorization: Bearer, no Origin, no cookies, so no CORS; the access token goes in
// the WebSocket upgrade's Authorization header rather than the URL; it negotiates again before exp.
// The stand-in accepts the header as the service does; a real phone differs in its TLS stack and
// in dropping the socket when the app is backgrounded, which the client library's reconnect covers.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { startDaemon } from './lib/daemon.mjs';
import { startStandin } from './standin.mjs';

const T = { timeout: 15_000 };
const ACCESS_KEY = randomBytes(33).toString('base64url');
const APP_KEY = randomBytes(24).toString('hex');

/** Opens the WebSocket as a native client does; resolves with the socket and its first message. */
function open(baseUrl, token) {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(baseUrl, 'json.webpubsub.azure.v1', {
      headers: { Authorization: `Bearer ${token}` }, handshakeTimeout: 5000,
    });
    ws.once('unexpected-response', (req, res) => fail(new Error(`upgrade answered ${res.statusCode}`)));
    ws.once('message', (data) => ok({ ws, first: JSON.parse(data) }));
    ws.once('error', fail);
  });
}

/** The next message on ws that passes match, within 5 s. */
function next(ws, match) {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => { ws.off('message', on); fail(new Error('no such message within 5 s')); }, 5000);
    function on(data) {
      const m = JSON.parse(data);
      if (!match(m)) return;
      clearTimeout(timer);
      ws.off('message', on);
      ok(m);
    }
    ws.on('message', on);
  });
}

describe('a native app: bearer API key, no browser, token in the upgrade header', () => {
  let standin, daemon;
  before(async () => {
    standin = await startStandin({ accessKey: ACCESS_KEY });
    daemon = await startDaemon({
      files: { apikeys: `phone-1 ${APP_KEY}\n` },
      config: (dir) => `[service:main]\nconnection_string = Endpoint=${standin.endpoint};AccessKey=${ACCESS_KEY};Version=1.0;\n`
        + `[hub:chat]\nauth = keys\nroles = webpubsub.joinLeaveGroup.room webpubsub.sendToGroup.room\n`
        + `cors_origins = https://app.example\n`
        + `[auth:keys]\ntype = apikey\nfile = ${dir}/apikeys\n`,
    });
  }, { timeout: 20_000 });
  after(async () => { await daemon?.stop(); await standin?.close(); });

  const negotiate = () => fetch(`${daemon.base}/negotiate?hub=chat`, {
    headers: { Authorization: `Bearer ${APP_KEY}` }, signal: AbortSignal.timeout(5000),
  });

  test('negotiate answers without CORS headers, and the token says when to refresh', T, async () => {
    const res = await negotiate();
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    const { baseUrl, token } = await res.json();
    assert.equal(baseUrl, `${standin.endpoint.replace(/^http/, 'ws')}/client/hubs/chat`);
    const { sub, exp, iat } = jwt.decode(token);
    assert.equal(sub, 'phone-1');
    assert.equal(exp - iat, 3600, 'refresh before exp: 60 minutes by default');
  });

  test('the app connects with the token in Authorization, joins, sends and receives', T, async () => {
    const { baseUrl, token } = await (await negotiate()).json();
    const { ws, first } = await open(baseUrl, token);
    try {
      assert.equal(first.event, 'connected');
      assert.equal(first.userId, 'phone-1');
      ws.send(JSON.stringify({ type: 'joinGroup', group: 'room', ackId: 1 }));
      assert.equal((await next(ws, (m) => m.type === 'ack' && m.ackId === 1)).success, true);
      ws.send(JSON.stringify({ type: 'sendToGroup', group: 'room', dataType: 'text', data: 'from the phone', ackId: 2 }));
      const message = await next(ws, (m) => m.type === 'message');
      assert.equal(message.data, 'from the phone');
      ws.send(JSON.stringify({ type: 'joinGroup', group: 'other', ackId: 3 }));
      const refused = await next(ws, (m) => m.type === 'ack' && m.ackId === 3);
      assert.equal(refused.success, false);
      assert.equal(refused.error.name, 'Forbidden');
    } finally {
      ws.close();
    }
  });

  test('a second negotiate (an app restart) gets a fresh token', T, async () => {
    const a = (await (await negotiate()).json()).token;
    await new Promise((r) => setTimeout(r, 1100));
    const b = (await (await negotiate()).json()).token;
    assert.notEqual(a, b);
    assert.ok(jwt.decode(b).exp > jwt.decode(a).exp);
  });
});
