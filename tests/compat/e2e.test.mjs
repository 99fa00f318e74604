// SPDX-License-Identifier: Apache-2.0
// End to end: the official WebPubSubClient gets its URL from negotiated's /negotiate and
// connects to the stand-in service; raw ws connections check the stand-in refuses bad tokens.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { SendMessageError, WebPubSubClient, WebPubSubJsonProtocol } from '@azure/web-pubsub-client';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { startDaemon } from './lib/daemon.mjs';
import { startStandin } from './standin.mjs';

const T = { timeout: 15_000 };
const ACCESS_KEY = randomBytes(33).toString('base64url');
const API_KEYS = { alice: randomBytes(24).toString('hex'), bob: randomBytes(24).toString('hex') };

let standin;
before(async () => { standin = await startStandin({ accessKey: ACCESS_KEY }); }, T);
after(() => standin?.close());

const connectionString = () => `Endpoint=${standin.endpoint};AccessKey=${ACCESS_KEY};Version=1.0;`;
const audience = (hub) => `${standin.endpoint}/client/hubs/${hub}`;
// Short keep-alive: the client's timer loops are not abortable and would keep node alive for
// up to keepAliveTimeoutInMs / 3 after stop(); pings also exercise the stand-in's pong.
// (A fresh object each time: the client fills its defaults into the options it is given.)
const clientOptions = (extra = {}) => ({
  autoReconnect: false, messageRetryOptions: { maxRetries: 0 }, keepAliveIntervalInMs: 500, keepAliveTimeoutInMs: 3000,
  ...extra,
});
const claimsOf = (url) => jwt.decode(new URL(url).searchParams.get('access_token'));

/** Resolves with the first `event` payload of `client` passing `match`; rejects after `ms`. */
function nextEvent(client, event, match = () => true, ms = 5000) {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      client.off(event, listener);
      fail(new Error(`no '${event}' event within ${ms} ms`));
    }, ms);
    function listener(e) {
      if (!match(e)) return;
      clearTimeout(timer);
      client.off(event, listener);
      ok(e);
    }
    client.on(event, listener);
  });
}

/** Opens a raw ws to the stand-in; resolves {status: 101, connected} or {status, body}. */
function rawConnect(url, headers = {}) {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url, 'json.webpubsub.azure.v1', { headers, handshakeTimeout: 5000 });
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => ok({ status: res.statusCode, body }));
    });
    ws.on('message', (data) => {
      ws.close();
      ok({ status: 101, connected: JSON.parse(data) });
    });
    ws.on('error', fail);
  });
}

describe('stand-in token validation (raw ws)', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const url = (token, hub = 'chat') => `ws://127.0.0.1:${standin.port}/client/hubs/${hub}?access_token=${token}`;
  const sign = (claims, key = ACCESS_KEY, options = {}) => jwt.sign(claims, key, { noTimestamp: true, ...options });
  const valid = () => ({ aud: audience('chat'), sub: 'raw', iat: now(), exp: now() + 3600 });

  test('an SDK-minted token is accepted', T, async () => {
    const sdk = new WebPubSubServiceClient(connectionString(), 'chat');
    const { url: sdkUrl } = await sdk.getClientAccessToken({ userId: 'sdk-user' });
    const r = await rawConnect(sdkUrl);
    assert.equal(r.status, 101);
    assert.equal(r.connected.event, 'connected');
    assert.equal(r.connected.userId, 'sdk-user');
  });

  test('a token in Authorization: Bearer is accepted', T, async () => {
    const r = await rawConnect(`ws://127.0.0.1:${standin.port}/client/hubs/chat`,
      { Authorization: `Bearer ${sign(valid())}` });
    assert.equal(r.status, 101);
  });

  test('aud is compared case-insensitively', T, async () => {
    const r = await rawConnect(url(sign({ ...valid(), aud: audience('chat').toUpperCase() })));
    assert.equal(r.status, 101);
  });

  test('a token expired 2 minutes ago is within the 300 s clock tolerance', T, async () => {
    const r = await rawConnect(url(sign({ ...valid(), iat: now() - 3720, exp: now() - 120 })));
    assert.equal(r.status, 101);
  });

  const refused = [
    ['a token expired 10 minutes ago', () => sign({ ...valid(), iat: now() - 4200, exp: now() - 600 }), /expired/],
    ['a token signed with a wrong key', () => sign(valid(), randomBytes(33).toString('base64url')), /signature/],
    ['a token without exp', () => sign({ aud: audience('chat'), iat: now() }), /exp is required/],
    ['a token for another hub', () => sign({ ...valid(), aud: audience('other') }), /aud/],
    ['a token signed with HS512', () => sign(valid(), ACCESS_KEY, { algorithm: 'HS512' }), /algorithm/],
    ['no token at all', () => '', /no access token/],
  ];
  for (const [name, mint, reason] of refused) {
    test(`${name} is refused with 401`, T, async () => {
      const r = await rawConnect(url(mint()));
      assert.equal(r.status, 401);
      assert.match(r.body, reason);
    });
  }
});

describe('WebPubSubClient via negotiated /negotiate (apikey auth)', () => {
  let daemon;
  const clients = [];
  const negotiated = {}; // user -> last client access URL from /negotiate

  before(async () => {
    daemon = await startDaemon({
      files: { apikeys: Object.entries(API_KEYS).map(([u, k]) => `${u} ${k}\n`).join('') },
      config: (dir) => `[service:main]
connection_string = ${connectionString()}

[hub:chat]
auth = keys
roles = webpubsub.joinLeaveGroup.allowed webpubsub.sendToGroup.allowed
groups = lobby

[auth:keys]
type = apikey
file = ${dir}/apikeys
`,
    });
  }, { timeout: 20_000 });
  after(async () => {
    for (const c of clients) c.stop();
    await daemon?.stop();
  });

  /** A started client for `user` (connected event received); options go to WebPubSubClient. */
  async function connect(user, options = {}) {
    const client = new WebPubSubClient({
      getClientAccessUrl: async () => {
        const res = await fetch(`${daemon.base}/negotiate?hub=chat`, {
          headers: { 'X-API-Key': API_KEYS[user] }, signal: AbortSignal.timeout(5000),
        });
        assert.equal(res.status, 200, await res.clone().text());
        negotiated[user] = (await res.json()).url;
        return negotiated[user];
      },
    }, clientOptions(options));
    const connected = nextEvent(client, 'connected');
    await client.start();
    clients.push(client);
    return { client, connected: await connected };
  }

  let alice;
  let bob;

  test('alice connects and the service sees userId alice', T, async () => {
    const { client, connected } = await connect('alice');
    alice = client;
    assert.equal(connected.userId, 'alice');
    const claims = claimsOf(negotiated.alice);
    assert.equal(claims.aud, audience('chat'));
    assert.deepEqual(claims.role, ['webpubsub.joinLeaveGroup.allowed', 'webpubsub.sendToGroup.allowed']);
    assert.deepEqual(claims['webpubsub.group'], ['lobby']);
  });

  test("joinGroup('allowed') succeeds", T, async () => {
    const result = await alice.joinGroup('allowed');
    assert.equal(result.isDuplicated, false);
  });

  test("joinGroup('secret') is refused with Forbidden", T, async () => {
    await assert.rejects(alice.joinGroup('secret'), (err) => {
      assert.ok(err instanceof SendMessageError);
      assert.equal(err.name, 'SendMessageError');
      assert.equal(err.errorDetail?.name, 'Forbidden');
      return true;
    });
  });

  test("sendToGroup('secret') is refused with Forbidden", T, async () => {
    await assert.rejects(alice.sendToGroup('secret', 'x', 'text'), (err) => {
      assert.ok(err instanceof SendMessageError);
      assert.equal(err.name, 'SendMessageError');
      assert.equal(err.errorDetail?.name, 'Forbidden');
      return true;
    });
  });

  test("sendToGroup('allowed') reaches bob (json.webpubsub.azure.v1) in that group", T, async () => {
    ({ client: bob } = await connect('bob', { protocol: WebPubSubJsonProtocol() }));
    await bob.joinGroup('allowed');
    for (const [data, dataType] of [['hello bob', 'text'], [{ n: 1, s: 'ü' }, 'json']]) {
      const received = nextEvent(bob, 'group-message', (e) => e.message.group === 'allowed');
      await alice.sendToGroup('allowed', data, dataType);
      const { message } = await received;
      assert.equal(message.fromUserId, 'alice');
      assert.equal(message.dataType, dataType);
      assert.deepEqual(message.data, data);
      assert.equal(message.sequenceId, undefined);
    }
  });

  test('a message to lobby (from the token, never joined) reaches alice and bob', T, async () => {
    const sdk = new WebPubSubServiceClient(connectionString(), 'chat');
    const { url } = await sdk.getClientAccessToken({ userId: 'carol', roles: ['webpubsub.sendToGroup.lobby'] });
    const carol = new WebPubSubClient(url, clientOptions());
    await carol.start();
    clients.push(carol);
    const inLobby = (e) => e.message.group === 'lobby';
    const atAlice = nextEvent(alice, 'group-message', inLobby);
    const atBob = nextEvent(bob, 'group-message', inLobby);
    await carol.sendToGroup('lobby', 'hello lobby', 'text');
    for (const { message } of [await atAlice, await atBob]) {
      assert.equal(message.data, 'hello lobby');
      assert.equal(message.fromUserId, 'carol');
    }
    assert.equal(typeof (await atAlice).message.sequenceId, 'number'); // alice speaks the reliable protocol
  });

  test('clients stop and the daemon exits 0 on SIGTERM', T, async () => {
    for (const c of clients) {
      const stopped = nextEvent(c, 'stopped');
      c.stop();
      await stopped;
    }
    const { code, signal } = await daemon.stop();
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, daemon.stderr());
    for (const secret of [ACCESS_KEY, ...Object.values(API_KEYS)]) assert.ok(!daemon.stderr().includes(secret), 'secret in log');
  });
});
