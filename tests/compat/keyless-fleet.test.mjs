// SPDX-License-Identifier: Apache-2.0
// Keyless across a fleet: three daemons share generateToken's cache and single flight through a
// [store] (Debian's redis-server, started here on loopback and stopped after). A storm of
// identical asks spread over the three costs one REST call for the whole fleet; with the store
// gone, keyless_on_failure = open falls back to each instance's own call. Loopback only.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { freePort, startDaemon } from './lib/daemon.mjs';
import { startEntra, startService, tlsFiles } from './lib/keyless.mjs';

process.env.NEGOTIATED_NO_IMDS = '1';

const ACCESS_KEY = randomBytes(33).toString('base64url');
const SECRET = `s3cr3t-${randomBytes(12).toString('hex')}`;
const T = { timeout: 30_000 };

const portOpen = (port) => new Promise((ok) => {
  const s = connect(port, '127.0.0.1');
  s.once('connect', () => { s.destroy(); ok(true); });
  s.once('error', () => ok(false));
});

/** redis-server on a free loopback port; fails loudly when the package is missing. */
async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'negotiated-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' });
  const spawned = await new Promise((ok) => { child.once('spawn', () => ok(true)); child.once('error', () => ok(false)); });
  assert.ok(spawned, 'redis-server is not installed (see .ci/install-deps)');
  for (let i = 0; i < 200 && !(await portOpen(port)); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(await portOpen(port), 'redis-server did not listen');
  const stop = () => new Promise((ok) => {
    if (child.exitCode !== null) return ok();
    child.once('exit', () => ok());
    child.kill('SIGKILL');
  });
  return { port, stop: async () => { await stop(); rmSync(dir, { recursive: true, force: true }); } };
}

let files, service, entra, redis;
before(async () => {
  files = tlsFiles();
  service = await startService({ accessKey: ACCESS_KEY, tls: files.tls, mode: () => 'slow', slowMs: 400 });
  entra = await startEntra();
  redis = await startRedis();
}, T);
after(async () => {
  await service?.close();
  await entra?.close();
  await redis?.stop();
  files?.remove();
});

const config = (dir) => `[service:cloud]
endpoint = ${service.endpoint}
credential = client_secret
tenant_id = t
client_id = c
client_secret_file = ${dir}/secret
authority_host = ${entra.authority}
tls_ca_file = ${files.cert}
rest_queue = 16

[hub:keyless]
auth = fixed

[auth:fixed]
type = anonymous
user = u1

[server]
metrics_allow = 127.0.0.1

[store]
url = redis://127.0.0.1:${redis.port}/0
prefix = keyless-fleet
keyless_on_failure = open
revocations_on_failure = open
`;

const negotiate = (d) => fetch(`${d.base}/negotiate?hub=keyless`, { signal: AbortSignal.timeout(10_000) });
const metric = async (d, name) => Number(new RegExp(`^negotiated_${name.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm')
  .exec(await (await fetch(`${d.base}/metrics`)).text())?.[1] ?? 0);

describe('keyless across the fleet: one [store]', () => {
  const fleet = [];
  before(async () => {
    for (let i = 0; i < 3; i++) fleet.push(await startDaemon({ config, files: { secret: SECRET } }));
    for (const d of fleet) { // /readyz once each holds its Entra token
      for (let i = 0; i < 100 && (await fetch(`${d.base}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
    }
  }, T);
  after(async () => {
    for (const d of fleet) {
      const { code } = await d.stop();
      assert.equal(code, 0, d.stderr());
      assert.ok(!d.stderr().includes(SECRET));
    }
  });

  test('30 identical asks spread over three instances: one generateToken call for the fleet', T, async () => {
    const before = service.requests.length;
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => negotiate(fleet[i % 3])
      .then(async (r) => ({ status: r.status, body: await r.json() }))));
    assert.deepEqual(answers.map((a) => a.status), Array(30).fill(200), JSON.stringify(answers.find((a) => a.status !== 200)));
    assert.equal(service.requests.length - before, 1, 'one REST call for the whole fleet');
    assert.equal(new Set(answers.map((a) => a.body.token)).size, 1);
    jwt.verify(answers[0].body.token, ACCESS_KEY, { algorithms: ['HS256'] });
    let fromFleet = 0;
    for (const d of fleet) fromFleet += await metric(d, 'generate_token_total{outcome="fleet"}');
    assert.ok(fromFleet >= 2, `the other instances read the fleet's token (${fromFleet})`);
  });

  test('the store gone: keyless_on_failure = open, each instance calls the service itself', T, async () => {
    await redis.stop();
    const before = service.requests.length;
    const res = await fetch(`${fleet[0].base}/negotiate?hub=keyless&expirationTimeInMinutes=7`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(service.requests.length - before, 1);
  });
});
