// SPDX-License-Identifier: Apache-2.0
// The negotiate latency the generateToken REST hop adds, on loopback: p50/p99 of sequential
// GET /negotiate (keep-alive) on a keyless hub (token_cache = 0: every ask is a REST call to the
// https stand-in) against a hub with an access key, alternating, same daemon, same machine.
// Usage: (cd tests/compat && npm ci) && NEGOTIATED_BIN=build/dev/src/negotiated node bench/keyless-latency.mjs [N]
import { randomBytes } from 'node:crypto';
import { startDaemon } from '../tests/compat/lib/daemon.mjs';
import { startEntra, startService, tlsFiles } from '../tests/compat/lib/keyless.mjs';

process.env.NEGOTIATED_NO_IMDS = '1';
const N = Number(process.argv[2] ?? 2000);
const files = tlsFiles();
const service = await startService({ accessKey: randomBytes(33).toString('base64url'), tls: files.tls });
const entra = await startEntra();
const daemon = await startDaemon({
  config: (dir) => `[service:cloud]
endpoint = ${service.endpoint}
credential = client_secret
tenant_id = t
client_id = c
client_secret_file = ${dir}/s
authority_host = ${entra.authority}
tls_ca_file = ${files.cert}
token_cache = 0

[service:local]
connection_string = Endpoint=https://x.webpubsub.azure.com;AccessKey=${randomBytes(33).toString('base64url')};Version=1.0;

[hub:keyless]
service = cloud
auth = anon

[hub:keyed]
service = local
auth = anon

[auth:anon]
type = anonymous
user = u

[server]
log_level = error
`,
  files: { s: 'secret' },
});

const times = { keyless: [], keyed: [] };
async function once(hub) {
  const t = process.hrtime.bigint();
  const res = await fetch(`${daemon.base}/negotiate?hub=${hub}`);
  await res.text();
  if (res.status !== 200) throw new Error(`${hub}: ${res.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
}
for (let i = 0; i < 200; i++) await once(i % 2 ? 'keyed' : 'keyless'); // warm-up
for (let i = 0; i < 2 * N; i++) {
  const hub = i % 2 ? 'keyed' : 'keyless';
  times[hub].push(await once(hub));
}
const pct = (a, p) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor((p / 100) * a.length))];
for (const [hub, a] of Object.entries(times)) console.log(`${hub}: n=${a.length} p50=${pct(a, 50).toFixed(3)} ms p99=${pct(a, 99).toFixed(3)} ms`);
console.log(`added by the REST hop: p50 +${(pct(times.keyless, 50) - pct(times.keyed, 50)).toFixed(3)} ms, p99 +${(pct(times.keyless, 99) - pct(times.keyed, 99)).toFixed(3)} ms`);
console.log(`REST calls recorded by the stand-in: ${service.requests.length}, over ${new Set(service.requests.map((r) => r.peerPort)).size} TLS connection(s)`);
await daemon.stop();
await service.close();
await entra.close();
files.remove();
