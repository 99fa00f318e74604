// SPDX-License-Identifier: Apache-2.0
// Closing a revoked user's connections on a keyless resource: with close_on_revoke = yes, a plain
// `negotiated revoke` (no --close) calls closeUserConnections and removeUserFromAllGroups with the
// service's Microsoft Entra ID bearer, and the requests equal @azure/web-pubsub 1.2.0's with a
// TokenCredential holding the same token, header for header (the bearer included). Loopback only.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { bin, startDaemon } from './lib/daemon.mjs';
import { entraToken, fixedCredential, startEntra, startService, tlsFiles, uuidRe } from './lib/keyless.mjs';

process.env.NEGOTIATED_NO_IMDS = '1';
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; // the SDK trusts the stand-in's self-signed certificate
process.removeAllListeners('warning');

const T = { timeout: 20_000 };
const BEARER = entraToken({ oid: 'negotiated' });
let files, service, entra, daemon;

before(async () => {
  files = tlsFiles();
  service = await startService({ accessKey: randomBytes(33).toString('base64url'), tls: files.tls });
  entra = await startEntra({ token: () => BEARER });
  daemon = await startDaemon({
    files: { secret: `s3cr3t-${randomBytes(8).toString('hex')}\n` },
    config: (dir) => `[server]
admin_socket = ${dir}/admin.sock

[service:main]
endpoint = ${service.endpoint}
credential = client_secret
tenant_id = tenant-a
client_id = 11111111-2222-4333-8444-555555555555
client_secret_file = ${dir}/secret
authority_host = ${entra.authority}
tls_ca_file = ${files.cert}

[hub:chat]
auth = anon
close_on_revoke = yes
remove_from_groups_on_revoke = yes

[auth:anon]
type = anonymous
`,
  });
}, T);
after(async () => {
  await daemon?.stop();
  await service?.close();
  await entra?.close();
  files?.remove();
});

const comparable = (r) => {
  const names = Object.keys(r.headers).filter((n) => !['user-agent', 'host', 'connection', 'x-ms-client-request-id'].includes(n)).sort();
  return { method: r.method, url: r.url, headers: Object.fromEntries(names.map((n) => [n, r.headers[n]])), requestId: uuidRe.test(r.headers['x-ms-client-request-id'] ?? '') };
};

async function until(cond, ms, what) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('close_on_revoke on a keyless hub: the Entra-signed calls equal the SDK\'s', T, async () => {
  const first = service.restCalls.length;
  const sdk = new WebPubSubServiceClient(service.endpoint, fixedCredential(BEARER), 'chat');
  await sdk.closeUserConnections('carol', { reason: 'revoked' });
  await sdk.removeUserFromAllGroups('carol');
  assert.equal(service.restCalls.length, first + 2);
  await promisify(execFile)(bin, ['revoke', '--socket', `${daemon.dir}/admin.sock`, '--user', 'carol'], { timeout: 10_000 });
  await until(() => service.restCalls.length >= first + 4, 5000, 'negotiated\'s two calls');
  const [sdkClose, sdkGroups, ourClose, ourGroups] = service.restCalls.slice(first);
  assert.deepEqual(comparable(ourClose), comparable(sdkClose));
  assert.deepEqual(comparable(ourGroups), comparable(sdkGroups));
  assert.equal(ourClose.headers.authorization, `Bearer ${BEARER}`);
});
