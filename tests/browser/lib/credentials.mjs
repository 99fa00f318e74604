// SPDX-License-Identifier: Apache-2.0
// The callers' credentials of the browser tests: an API key (apikey authenticator) and a session
// JWT from a pretend identity provider (jwt authenticator, HS256, read from the cookie or a bearer
// header). Fresh secrets per run; credentialFiles() writes what the daemon's config names.
import { createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const API_KEY = randomBytes(24).toString('hex');
const SESSION_SECRET = randomBytes(32).toString('hex');
const ISSUER = 'https://login.test';

/** The [auth:keys] (user alice) and [auth:session] (cookie "session") sections, for files in dir. */
export const authSections = (dir) => `
[auth:keys]
type = apikey
file = ${dir}/apikeys

[auth:session]
type = jwt
issuer = ${ISSUER}
audience = negotiated
algorithms = HS256
secret_file = ${dir}/session-secret
cookie = session
`;

export function credentialFiles(dir) {
  writeFileSync(join(dir, 'apikeys'), `alice ${API_KEY}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'session-secret'), SESSION_SECRET, { mode: 0o600 });
}

/** A session token for sub, valid 10 minutes, as the identity provider's login would leave it. */
export function sessionToken(sub) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: ISSUER, aud: 'negotiated', sub, iat: now, exp: now + 600 })}`;
  return `${body}.${createHmac('sha256', SESSION_SECRET).update(body).digest('base64url')}`;
}

/** The session cookie for 127.0.0.1 (every port), for context.addCookies. */
export const sessionCookie = (sub) => ({ name: 'session', value: sessionToken(sub), domain: '127.0.0.1', path: '/',
  httpOnly: true, sameSite: 'Lax' });
