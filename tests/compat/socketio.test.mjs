// SPDX-License-Identifier: Apache-2.0
// Socket.IO: the real socket.io-client connects with negotiated's {endpoint, path, token}, as
// io(endpoint, { path, query: { access_token } }) does against Web PubSub for Socket.IO, to a
// stand-in socket.io server mounted at that path that validates the token as the service does.
// What the real service does besides: it terminates Engine.IO itself and forwards packets to the
// app server; the stand-in only checks the handshake (HS256 with the AccessKey, aud, exp).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { startDaemon } from './lib/daemon.mjs';

const T = { timeout: 15_000 };
const ACCESS_KEY = randomBytes(33).toString('base64url');
const HUB = 'chat';
const PATH = `/clients/socketio/hubs/${HUB}`;

/** A socket.io server on loopback at PATH; the handshake's access_token must verify. */
async function startSocketIoStandin() {
  const http = createServer();
  await new Promise((ok) => http.listen(0, '127.0.0.1', ok));
  const endpoint = `http://127.0.0.1:${http.address().port}`;
  const io = new Server(http, { path: PATH, serveClient: false });
  io.use((socket, next) => {
    try {
      socket.data.claims = jwt.verify(String(socket.handshake.query.access_token ?? ''), ACCESS_KEY, {
        algorithms: ['HS256'], audience: endpoint + PATH,
      });
      next();
    } catch (e) {
      next(new Error(`unauthorized: ${e.message}`));
    }
  });
  io.on('connection', (socket) => {
    socket.emit('hello', { user: socket.data.claims.sub });
    socket.on('echo', (text, ack) => ack(`echo: ${text}`));
  });
  return { endpoint, close: () => new Promise((ok) => io.close(() => ok())) };
}

/** Connects with the negotiate answer; resolves {socket, hello} or rejects with connect_error. */
function connectWith(answer, query = { access_token: answer.token }) {
  const socket = connect(answer.endpoint, { path: answer.path, query, reconnection: false, timeout: 5000 });
  return new Promise((ok, fail) => {
    socket.once('hello', (hello) => ok({ socket, hello }));
    socket.once('connect_error', (e) => { socket.close(); fail(e); });
  });
}

describe('socket.io-client through a socketio hub', () => {
  let standin, daemon, answer;
  before(async () => {
    standin = await startSocketIoStandin();
    daemon = await startDaemon({
      config: `[service:main]\nconnection_string = Endpoint=${standin.endpoint};AccessKey=${ACCESS_KEY};Version=1.0;\n`
        + `[auth:web]\ntype = anonymous\nuser = sio-user\n`
        + `[hub:${HUB}]\nauth = web\nclient_protocol = socketio\n`,
    });
    const res = await fetch(`${daemon.base}/negotiate?hub=${HUB}`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200);
    answer = await res.json();
  }, T);
  after(async () => { await daemon?.stop(); await standin?.close(); });

  test('the answer carries the extension\'s endpoint and path', T, () => {
    assert.equal(answer.endpoint, standin.endpoint.replace(/^http/, 'ws'));
    assert.equal(answer.path, PATH);
    assert.equal(answer.baseUrl, answer.endpoint + answer.path);
  });

  test('io(endpoint, { path, query: { access_token } }) connects and exchanges a message', T, async () => {
    const { socket, hello } = await connectWith(answer);
    try {
      assert.deepEqual(hello, { user: 'sio-user' });
      assert.equal(await socket.timeout(5000).emitWithAck('echo', 'hi'), 'echo: hi');
    } finally {
      socket.close();
    }
  });

  test('a token with a changed signature is refused at the handshake', T, async () => {
    const forged = answer.token.slice(0, -2) + (answer.token.endsWith('AA') ? 'BB' : 'AA');
    await assert.rejects(connectWith(answer, { access_token: forged }), /unauthorized: invalid signature/);
  });
});
