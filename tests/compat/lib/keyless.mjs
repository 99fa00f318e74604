// SPDX-License-Identifier: Apache-2.0
// Loopback stand-ins for keyless resources: the service's generateToken REST API (https, on the
// WebSocket stand-in's port) and Microsoft Entra ID's token endpoints (client credentials,
// managed identity). Each records what it was sent; nothing here reaches beyond 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { startStandin } from '../standin.mjs';

export const SCOPE = 'https://webpubsub.azure.com/.default';
export const AUDIENCE = 'https://webpubsub.azure.com';
export const ENTRA_KEY = randomBytes(32).toString('hex');
export const PATHS = { default: 'client/hubs/', mqtt: 'clients/mqtt/hubs/', socketio: 'clients/socketio/hubs/' };
const CLIENT_TYPES = { default: 'default', mqtt: 'mqtt', socketio: 'socketio' };

/** An Entra access token as the stand-ins issue and check it. */
export const entraToken = (extra = {}, lifetimeS = 3600) =>
  jwt.sign({ aud: AUDIENCE, tid: 'tenant', ...extra }, ENTRA_KEY, { algorithm: 'HS256', expiresIn: lifetimeS });

/** A self-signed certificate for 127.0.0.1 (openssl), in a temporary directory. */
export function tlsFiles() {
  const dir = mkdtempSync(join(tmpdir(), 'negotiated-keyless-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
  { stdio: 'ignore' });
  return { dir, key, cert, tls: { key: readFileSync(key), cert: readFileSync(cert) }, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The bearer's claims when it is an Entra token for the Web PubSub scope, else null. */
export function checkBearer(header) {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  try {
    return m ? jwt.verify(m[1], ENTRA_KEY, { algorithms: ['HS256'], audience: AUDIENCE }) : null;
  } catch {
    return null;
  }
}

/**
 * The service: REST API and WebSocket stand-in on one https port. `mode()` may return
 * 'ok' | 'slow' | 'denied' | 'garbage' | 'error' | 'close' for the next generateToken call.
 */
export async function startService({ accessKey, tls, mode = () => 'ok', slowMs = 3000 }) {
  const requests = [];
  let service;
  const onRequest = (req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      requests.push({ method: req.method, url: req.url, headers: req.headers, body, peerPort: req.socket.remotePort });
      const m = /^\/api\/hubs\/([^/?]+)\/:generateToken\?(.*)$/.exec(req.url);
      if (req.method !== 'POST' || !m) return res.writeHead(404).end();
      if (!checkBearer(req.headers.authorization)) return res.writeHead(401).end('{"code":"Unauthorized","message":"secret detail"}');
      const how = mode();
      const answer = () => {
        if (how === 'denied') return res.writeHead(403, { 'content-type': 'application/json' }).end('{"code":"Forbidden","message":"SECRET-BODY"}');
        if (how === 'error') return res.writeHead(500).end('SECRET-BODY');
        if (how === 'close') return res.socket.destroy();
        if (how === 'garbage') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"not a jwt\\" oops"}');
        const q = new URLSearchParams(m[2]);
        const hub = decodeURIComponent(m[1]);
        const path = PATHS[Object.keys(CLIENT_TYPES).find((k) => CLIENT_TYPES[k] === (q.get('clientType') ?? 'default').toLowerCase()) ?? 'default'];
        const claims = {
          aud: `${service.endpoint}/${path}${hub}`,
          ...(q.get('userId') !== null && { sub: q.get('userId') }),
          ...(q.getAll('role').length && { role: q.getAll('role') }),
          ...(q.getAll('group').length && { 'webpubsub.group': q.getAll('group') }),
        };
        const token = jwt.sign(claims, accessKey, { algorithm: 'HS256', expiresIn: 60 * Number(q.get('minutesToExpire') ?? 60) });
        return res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ token }));
      };
      if (how === 'slow') setTimeout(answer, slowMs);
      else answer();
    });
  };
  // the user REST calls (closeUserConnections...) take the same Entra bearer as generateToken
  service = await startStandin({ accessKey, tls, onRequest, authorize: (req) => !!checkBearer(req.headers.authorization) });
  return Object.assign(service, { requests });
}

/**
 * Entra ID's token endpoints on plain http: POST /{tenant}/oauth2/v2.0/token (client secret,
 * certificate, workload identity) and GET /msi (managed identity, both forms). `answer(req)` may
 * override what a call gets: {status, body} or undefined for the normal token.
 */
export async function startEntra({ lifetimeS = () => 3600, answer = () => undefined, token = () => entraToken({}, lifetimeS()) } = {}) {
  const calls = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (d) => chunks.push(d));
    req.on('end', () => {
      const call = { method: req.method, url: req.url, headers: req.headers, form: new URLSearchParams(Buffer.concat(chunks).toString()) };
      calls.push(call);
      const special = answer(call);
      if (special) return res.writeHead(special.status, { 'content-type': 'application/json' }).end(special.body);
      const t = token(call);
      const lifetime = lifetimeS();
      if (req.method === 'GET') {
        // managed identity answers strings
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
          access_token: t, expires_on: String(Math.floor(Date.now() / 1000) + lifetime), resource: AUDIENCE, token_type: 'Bearer',
        }));
      }
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: t,
      }));
    });
  });
  await new Promise((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    calls,
    authority: `http://127.0.0.1:${port}`,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

/** A TokenCredential for the SDK: the fixed token, for the scope it must ask. */
export function fixedCredential(token) {
  return {
    scopes: [],
    async getToken(scopes) {
      this.scopes.push([].concat(scopes));
      return { token, expiresOnTimestamp: Date.now() + 3600_000 };
    },
  };
}

export const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export { randomUUID };
