// SPDX-License-Identifier: Apache-2.0
// Keyless faults: the service refusing (403), failing (500), answering garbage, slow, down; Entra
// down. Callers get 503 unavailable with Retry-After, never the service's body; a key hub on the
// same daemon keeps answering; identical asks in flight share one call; the bounds hold. Loopback only.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { freePort, startDaemon } from './lib/daemon.mjs';
import { startEntra, startService, tlsFiles } from './lib/keyless.mjs';

process.env.NEGOTIATED_NO_IMDS = '1';

const ACCESS_KEY = randomBytes(33).toString('base64url');
const LOCAL_KEY = randomBytes(33).toString('base64url');
const SECRET = `s3cr3t-${randomBytes(12).toString('hex')}`;
/** SIGTERM; the daemon must exit 0 (under ASan: no leak, no error) and never log the secret. */
async function stopClean(d) {
  const { code, signal } = await d.stop();
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, d.stderr());
  assert.ok(!d.stderr().includes(SECRET));
}

const T = { timeout: 20_000 };

let files, service, entra, mode = 'ok', entraDown = false;
before(async () => {
  files = tlsFiles();
  service = await startService({ accessKey: ACCESS_KEY, tls: files.tls, mode: () => mode, slowMs: 1500 });
  entra = await startEntra({ answer: () => (entraDown ? { status: 503, body: '{"error":"temporarily_unavailable","error_description":"SECRET-ENTRA"}' } : undefined) });
}, T);
after(async () => {
  await service?.close();
  await entra?.close();
  files?.remove();
});

const keyless = (name, endpoint, extra = '') => (dir) => `[service:${name}]
endpoint = ${endpoint}
credential = client_secret
tenant_id = t
client_id = c
client_secret_file = ${dir}/secret
authority_host = ${entra.authority}
tls_ca_file = ${files.cert}
${extra}
`;

function config(dir, { endpoint = service.endpoint, extra = '' } = {}) {
  return `${keyless('cloud', endpoint, extra)(dir)}
[service:local]
connection_string = Endpoint=http://127.0.0.1:1;AccessKey=${LOCAL_KEY};Version=1.0;

[hub:keyless]
service = cloud
auth = fixed

[hub:random]
service = cloud
auth = random

[hub:keyed]
service = local
auth = fixed

[auth:fixed]
type = anonymous
user = u1

[auth:random]
type = anonymous

[server]
metrics_allow = 127.0.0.1
`;
}

const negotiate = (d, hub) => fetch(`${d.base}/negotiate?hub=${hub}`, { signal: AbortSignal.timeout(10_000) });
const metric = async (d, name) => Number(new RegExp(`^negotiated_${name.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm')
  .exec(await (await fetch(`${d.base}/metrics`)).text())?.[1]);

async function expect503(d, hub) {
  const res = await negotiate(d, hub);
  const body = await res.text();
  assert.equal(res.status, 503, body);
  assert.equal(JSON.parse(body).error.code, 'unavailable');
  assert.ok(Number(res.headers.get('retry-after')) >= 1, 'Retry-After');
  assert.ok(!body.includes('SECRET'), body);
}

describe('keyless faults: the service', () => {
  let d;
  before(async () => {
    d = await startDaemon({ config: (dir) => config(dir, { extra: 'rest_timeout = 500\ntoken_cache = 0' }), files: { secret: SECRET } });
    mode = 'ok';
    assert.equal((await negotiate(d, 'keyless')).status, 200, 'warm-up: the kept-alive TLS connection'); // slow runs (valgrind)
  }, T);
  after(() => d && stopClean(d));

  test('403: 503 to the caller, a log line naming the role and the permission, not the body', T, async () => {
    mode = 'denied';
    await expect503(d, 'keyless');
    const log = d.stderr();
    assert.match(log, /generateToken was refused with HTTP 403/);
    assert.match(log, /Web PubSub Service Owner/);
    assert.match(log, /Microsoft\.SignalRService\/WebPubSub\/clientConnection\/generateToken\/action/);
    assert.ok(!log.includes('SECRET-BODY'), log);
    assert.ok(await metric(d, 'generate_token_total{outcome="denied"}') >= 1);
  });

  test('500: 503 to the caller', T, async () => {
    mode = 'error';
    await expect503(d, 'keyless');
    assert.match(d.stderr(), /generateToken answered HTTP 500/);
  });

  test('garbage (200 without {"token":"<JWT>"}): refused, 503', T, async () => {
    mode = 'garbage';
    await expect503(d, 'keyless');
    assert.match(d.stderr(), /without \{"token":"<JWT>"\}; refused/);
    assert.ok(await metric(d, 'generate_token_total{outcome="invalid_answer"}') >= 1);
  });

  test('connection dropped: 503', T, async () => {
    mode = 'close';
    await expect503(d, 'keyless');
    assert.ok(await metric(d, 'generate_token_total{outcome="unreachable"}') >= 1);
  });

  test('slow (1.5 s > rest_timeout 500 ms): 503 within the timeout; the key hub answers meanwhile', T, async () => {
    mode = 'slow';
    const started = Date.now();
    const slow = expect503(d, 'keyless');
    const keyed = await negotiate(d, 'keyed');
    const keyedMs = Date.now() - started;
    assert.equal(keyed.status, 200, await keyed.text());
    assert.ok(keyedMs < 400, `the key hub waited ${keyedMs} ms`);
    await slow;
    const ms = Date.now() - started;
    assert.ok(ms < 1400, `answered after ${ms} ms`);
  });

  test('after the faults, the service answers again: 200', T, async () => {
    mode = 'ok';
    const res = await negotiate(d, 'keyless');
    assert.equal(res.status, 200, await res.text());
    assert.ok(!d.stderr().includes(SECRET));
  });
});

describe('keyless faults: the service is down', () => {
  let d;
  before(async () => {
    const port = await freePort(); // nothing listens there
    d = await startDaemon({ config: (dir) => config(dir, { endpoint: `https://127.0.0.1:${port}`, extra: 'rest_timeout = 1000' }), files: { secret: SECRET } });
  }, T);
  after(() => d && stopClean(d));

  test('connection refused: 503 at once; the key hub answers', T, async () => {
    const started = Date.now();
    await expect503(d, 'keyless');
    assert.ok(Date.now() - started < 1500);
    assert.equal((await negotiate(d, 'keyed')).status, 200);
    assert.match(d.stderr(), /generateToken failed: /);
  });
});

describe('keyless: single flight, the cache, the bounds', () => {
  let d;
  before(async () => { d = await startDaemon({ config: (dir) => config(dir, { extra: 'rest_concurrency = 1\nrest_queue = 8\ntoken_cache = 16' }), files: { secret: SECRET } }); }, T);
  after(() => d && stopClean(d));

  test('8 identical asks at once: one REST call, one token for all', T, async () => {
    mode = 'slow';
    const before = service.requests.length;
    const answers = await Promise.all(Array.from({ length: 8 }, () => negotiate(d, 'keyless').then((r) => r.json())));
    assert.equal(service.requests.length, before + 1, 'one call');
    assert.equal(new Set(answers.map((a) => a.token)).size, 1, answers.map((a) => a.error).join());
    assert.ok(await metric(d, 'generate_token_total{outcome="shared"}') >= 7);
  });

  test('the same ask again within its reuse window: answered from the cache, no call', T, async () => {
    mode = 'ok';
    const before = service.requests.length;
    const res = await negotiate(d, 'keyless');
    assert.equal(res.status, 200);
    assert.equal(service.requests.length, before);
    assert.ok(await metric(d, 'generate_token_total{outcome="cached"}') >= 1);
  });

  test('a burst of 120 asks (identical and distinct) against a slow service: each 200 or 503, tokens valid', T, async () => {
    mode = 'slow';
    const answers = await Promise.all(Array.from({ length: 120 }, (_, i) => negotiate(d, i % 3 ? 'keyless' : 'random')
      .then(async (r) => ({ status: r.status, body: await r.json() }))));
    for (const a of answers) assert.ok(a.status === 200 || (a.status === 503 && a.body.error.code === 'unavailable'), JSON.stringify(a));
    assert.ok(answers.some((a) => a.status === 200));
    for (const a of answers.filter((x) => x.status === 200)) jwt.verify(a.body.token, ACCESS_KEY, { algorithms: ['HS256'] });
    mode = 'ok';
  });

  test('a distinct ask while the one call allowed is in flight: 503 busy at once', T, async () => {
    mode = 'slow';
    const first = negotiate(d, 'random');
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await expect503(d, 'random');
    assert.ok(Date.now() - started < 500);
    assert.equal((await first).status, 200);
    assert.ok(await metric(d, 'generate_token_total{outcome="busy"}') >= 1);
    mode = 'ok';
  });
});

describe('keyless faults: Entra is down', () => {
  let d;
  before(async () => {
    entraDown = true;
    d = await startDaemon({ config: (dir) => config(dir), files: { secret: SECRET } });
  }, T);
  after(() => { entraDown = false; return d && stopClean(d); });

  test('no token: /readyz 503, /negotiate 503 without a REST call, the key hub answers', T, async () => {
    const ready = await fetch(`${d.base}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(await ready.text(), /holds no Microsoft Entra ID token/);
    const before = service.requests.length;
    await expect503(d, 'keyless');
    assert.equal(service.requests.length, before);
    assert.equal((await negotiate(d, 'keyed')).status, 200);
    assert.match(d.stderr(), /Microsoft Entra ID token fetch failed \(HTTP status 503, error temporarily_unavailable\)/);
    assert.ok(!d.stderr().includes('SECRET-ENTRA'));
    assert.ok(await metric(d, 'entra_token_refresh_errors_total') >= 1);
  });

  test('Entra back: the next retry fetches a token, /readyz 200, /negotiate 200', T, async () => {
    entraDown = false;
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline && (await fetch(`${d.base}/readyz`)).status !== 200) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await fetch(`${d.base}/readyz`)).status, 200);
    assert.equal((await negotiate(d, 'keyless')).status, 200);
    assert.match(d.stderr(), /Microsoft Entra ID token fetched again/);
  });
});
