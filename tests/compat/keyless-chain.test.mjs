// SPDX-License-Identifier: Apache-2.0
// One request, one pass (issue 19): a keyless hub's request runs each authenticator of its chain
// once and makes one generateToken call, each on its own pool. Counted per authenticator: a
// blocking test plugin (tests/plugins/counting_plugin.c) writes a line per call, a webhook
// stand-in counts its hits, the service stand-in its generateToken calls. Loopback only.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { bin, startDaemon } from './lib/daemon.mjs';
import { startEntra, startService, tlsFiles } from './lib/keyless.mjs';

process.env.NEGOTIATED_NO_IMDS = '1';

const ACCESS_KEY = randomBytes(33).toString('base64url');
const SECRET = `s3cr3t-${randomBytes(12).toString('hex')}`;
const T = { timeout: 30_000 };
// The built test plugins: NEGOTIATED_PLUGIN_DIR, or tests/plugins in the binary's build tree.
const PLUGINS = process.env.NEGOTIATED_PLUGIN_DIR || resolve(dirname(bin), '..', 'tests', 'plugins');
const COUNTING = join(PLUGINS, 'counting_plugin.so');
const INLINE = join(PLUGINS, 'counting_inline.so'); // the same, not blocking: on the HTTP thread

/** A webhook stand-in: admits the caller X-Hook names, and counts its calls. */
async function startHook() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hook.hits++;
      const body = JSON.stringify({ userId: req.headers['x-hook'] });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  const hook = {
    hits: 0,
    url: `http://127.0.0.1:${server.address().port}/auth`,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
  return hook;
}

let files, service, entra, hook, d;
before(async () => {
  for (const plugin of [COUNTING, INLINE]) assert.ok(existsSync(plugin), `${plugin} is missing: run \`make check\` in the build tree first (or set NEGOTIATED_PLUGIN_DIR)`);
  files = tlsFiles();
  service = await startService({ accessKey: ACCESS_KEY, tls: files.tls });
  entra = await startEntra();
  hook = await startHook();
  d = await startDaemon({ files: { secret: SECRET }, config: (dir) => `[server]
metrics_allow = 127.0.0.1

[service:cloud]
endpoint = ${service.endpoint}
credential = client_secret
tenant_id = t
client_id = c
client_secret_file = ${dir}/secret
authority_host = ${entra.authority}
tls_ca_file = ${files.cert}
token_cache = 0

[hub:chain]
service = cloud
auth = first hook second

[hub:solo]
service = cloud
auth = hook

[hub:local]
service = cloud
auth = inline

[auth:inline]
type = plugin
path = ${INLINE}
count_file = ${dir}/calls
user_header = X-Inline-User

[auth:first]
type = plugin
path = ${COUNTING}
count_file = ${dir}/calls
user_header = X-First-User

[auth:hook]
type = webhook
url = ${hook.url}
forward_headers = X-Hook
cache_ttl = 0

[auth:second]
type = plugin
path = ${COUNTING}
count_file = ${dir}/calls
user_header = X-Second-User
` });
}, T);
after(async () => {
  if (d) {
    const { code } = await d.stop();
    assert.equal(code, 0, d.stderr());
  }
  await hook?.close();
  await service?.close();
  await entra?.close();
  files?.remove();
});

/** The calls each plugin instance has counted so far, by name. */
function pluginCalls() {
  const path = join(d.dir, 'calls');
  const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
  const n = (name) => lines.filter((l) => l === name).length;
  return { first: n('first'), second: n('second'), inline: n('inline') };
}

const generateTokenCalls = () => service.requests.filter((r) => r.url.includes(':generateToken')).length;

/** One negotiate; what each authenticator and the service were asked meanwhile. */
async function counted(hub, headers) {
  const [plugins, hits, rest] = [pluginCalls(), hook.hits, generateTokenCalls()];
  const res = await fetch(`${d.base}/negotiate?hub=${hub}`, { headers, signal: AbortSignal.timeout(10_000) });
  const body = await res.text();
  assert.equal(res.status, 200, body);
  const now = pluginCalls();
  return {
    sub: jwt.decode(JSON.parse(body).token).sub,
    calls: {
      first: now.first - plugins.first,
      hook: hook.hits - hits,
      second: now.second - plugins.second,
      inline: now.inline - plugins.inline,
      generateToken: generateTokenCalls() - rest,
    },
  };
}

describe('keyless: one pass through the chain', () => {
  test('an authenticator on the HTTP thread runs once, not again on the service\'s pool', T, async () => {
    for (let i = 0; i < 3; i++) {
      const { sub, calls } = await counted('local', { 'X-Inline-User': `local${i}` });
      assert.equal(sub, `local${i}`);
      assert.deepEqual({ inline: calls.inline, generateToken: calls.generateToken }, { inline: 1, generateToken: 1 });
    }
  });

  test('a keyless hub with one webhook: one webhook call, one generateToken call', T, async () => {
    for (let i = 0; i < 3; i++) {
      const { sub, calls } = await counted('solo', { 'X-Hook': `solo${i}` });
      assert.equal(sub, `solo${i}`);
      assert.deepEqual({ hook: calls.hook, generateToken: calls.generateToken }, { hook: 1, generateToken: 1 });
    }
  });

  test('blocking plugin, webhook, plugin: each runs at most once, in order, then one generateToken call', T, async () => {
    let r = await counted('chain', { 'X-Hook': 'alice' });
    assert.equal(r.sub, 'alice');
    assert.deepEqual(r.calls, { first: 1, hook: 1, second: 0, inline: 0, generateToken: 1 }, 'first declines, the webhook admits');
    r = await counted('chain', { 'X-Second-User': 'bob' });
    assert.equal(r.sub, 'bob');
    assert.deepEqual(r.calls, { first: 1, hook: 0, second: 1, inline: 0, generateToken: 1 }, 'the webhook declines without a call');
    r = await counted('chain', { 'X-First-User': 'carol', 'X-Hook': 'alice' });
    assert.equal(r.sub, 'carol');
    assert.deepEqual(r.calls, { first: 1, hook: 0, second: 0, inline: 0, generateToken: 1 }, 'first admits: nothing after it runs');
  });

  test('/metrics counts each decision once', T, async () => {
    const text = await (await fetch(`${d.base}/metrics`)).text();
    const count = (auth, outcome) => Number(new RegExp(`^negotiated_auth_outcomes_total\\{authenticator="${auth}",outcome="${outcome}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    assert.equal(count('first', 'declined'), 2, text);
    assert.equal(count('first', 'ok'), 1, text);
    assert.equal(count('hook', 'ok'), 4, text);
    assert.equal(count('second', 'ok'), 1, text);
    assert.equal(count('inline', 'ok'), 3, text);
  });
});
