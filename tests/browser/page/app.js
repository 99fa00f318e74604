// SPDX-License-Identifier: Apache-2.0
// The test app: what a browser page does with negotiated. The test calls window.app.* and each
// step writes a line on the page (for the screenshot). Plain browser APIs only, plus the
// @azure/web-pubsub-client bundle (/wps-client.js, global WebPubSub).
'use strict';

const TIMEOUT_MS = 8000;

function log(text, ok = true) {
  const li = Object.assign(document.createElement('li'), { textContent: text, className: ok ? 'ok' : 'bad' });
  document.getElementById('out').append(li);
}

const short = (text) => (text.length > 140 ? `${text.slice(0, 140)}...` : text);

/** fetch, answered as {ok, status, retryAfter, body} or, when the browser refuses, {ok: false, error}. */
async function negotiate(url, { headers = {}, credentials = 'omit', quiet = false } = {}) {
  try {
    const res = await fetch(url, { headers, credentials, cache: 'no-store' });
    const body = await res.text();
    const retryAfter = res.headers.get('Retry-After');
    if (!quiet) log(`GET ${url} -> ${res.status}${retryAfter ? ` Retry-After: ${retryAfter}` : ''} ${short(body)}`, res.ok);
    return { ok: true, status: res.status, retryAfter, wwwAuthenticate: res.headers.get('WWW-Authenticate'), body };
  } catch (e) {
    if (!quiet) log(`GET ${url} -> the browser refused: ${e.name}: ${e.message}`, false);
    return { ok: false, error: `${e.name}: ${e.message}` };
  }
}

/** n requests at once: how many of each status, the first 429 as the page read it, the refusals. */
async function burst(url, n) {
  const all = await Promise.all(Array.from({ length: n }, () => negotiate(url, { quiet: true })));
  const statuses = {};
  for (const r of all) statuses[r.ok ? r.status : 'refused'] = (statuses[r.ok ? r.status : 'refused'] ?? 0) + 1;
  const limited = all.find((r) => r.ok && r.status === 429) ?? null;
  log(`${n} x GET ${url} -> ${JSON.stringify(statuses)}${limited ? `; a 429 read with Retry-After: ${limited.retryAfter}` : ''}`, !!limited);
  return { statuses, limited };
}

/** Resolves with the first parsed message of ws passing match; rejects after TIMEOUT_MS. */
function nextMessage(ws, match) {
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('no such message in time')), TIMEOUT_MS);
    ws.addEventListener('message', function listener(e) {
      const msg = JSON.parse(e.data);
      if (!match(msg)) return;
      clearTimeout(timer);
      ws.removeEventListener('message', listener);
      ok(msg);
    });
  });
}

/** The raw JSON subprotocol: connect, join `group`, send `text` to it, then try to join `forbidden`. */
async function raw(url, { group, forbidden, text }) {
  const ws = new WebSocket(url, 'json.webpubsub.azure.v1');
  ws.addEventListener('message', (e) => log(`ws <- ${short(e.data)}`, !/"success":false/.test(e.data)));
  const connected = nextMessage(ws, (m) => m.type === 'system' && m.event === 'connected');
  const failed = new Promise((ok, fail) => {
    ws.addEventListener('error', () => fail(new Error('WebSocket error')));
    ws.addEventListener('close', (e) => fail(new Error(`WebSocket closed ${e.code}`)));
  });
  const send = (msg) => {
    ws.send(JSON.stringify(msg));
    log(`ws -> ${JSON.stringify(msg)}`);
  };
  const ack = (id) => nextMessage(ws, (m) => m.type === 'ack' && m.ackId === id);
  try {
    const hello = await Promise.race([connected, failed]);
    send({ type: 'joinGroup', group, ackId: 1 });
    const joined = await Promise.race([ack(1), failed]);
    const message = nextMessage(ws, (m) => m.type === 'message' && m.group === group);
    send({ type: 'sendToGroup', group, dataType: 'text', data: text, ackId: 2 });
    const [sent, received] = await Promise.race([Promise.all([ack(2), message]), failed]);
    send({ type: 'joinGroup', group: forbidden, ackId: 3 });
    const refused = await Promise.race([ack(3), failed]);
    return { protocol: ws.protocol, hello, joined, sent, received, refused };
  } finally {
    ws.close(1000);
  }
}

/** The same with @azure/web-pubsub-client, which calls negotiate itself when it starts. */
async function sdk(negotiateUrl, fetchOptions, { group, forbidden, text }) {
  let negotiated = 0;
  const client = new WebPubSub.WebPubSubClient({
    getClientAccessUrl: async () => {
      negotiated++;
      const res = await fetch(negotiateUrl, { cache: 'no-store', ...fetchOptions });
      if (!res.ok) throw new Error(`negotiate answered ${res.status}`);
      return (await res.json()).url;
    },
  }, { autoReconnect: false, messageRetryOptions: { maxRetries: 0 } });
  const received = new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('no group-message in time')), TIMEOUT_MS);
    client.on('group-message', (e) => {
      if (e.message.group !== group) return;
      clearTimeout(timer);
      ok(e.message);
    });
  });
  try {
    await client.start();
    log(`WebPubSubClient started after ${negotiated} negotiate call(s)`);
    await client.joinGroup(group);
    log(`WebPubSubClient joined ${group}`);
    await client.sendToGroup(group, text, 'text');
    const message = await received;
    log(`WebPubSubClient got ${JSON.stringify(message.data)} in ${message.group} from ${message.fromUserId}`);
    let refused = null;
    try {
      await client.joinGroup(forbidden);
      log(`WebPubSubClient joined ${forbidden}, which it should not have`, false);
    } catch (e) {
      refused = { name: e.name, errorDetail: e.errorDetail ?? null };
      log(`WebPubSubClient joinGroup(${forbidden}) refused: ${e.errorDetail?.name}: ${e.errorDetail?.message}`);
    }
    return { negotiated, message: { group: message.group, data: message.data, fromUserId: message.fromUserId }, refused };
  } finally {
    client.stop();
  }
}

window.app = { log, negotiate, burst, raw, sdk };
document.addEventListener('DOMContentLoaded', () => { document.getElementById('origin').textContent = location.origin; });
