// SPDX-License-Identifier: Apache-2.0
// A browser app on one loopback origin calls /negotiate on negotiated at another, directly and
// through the shipped nginx site (TLS), with a bearer API key and with a cookie (jwt, cookie =),
// then connects to the stand-in service with a raw WebSocket and with @azure/web-pubsub-client.
// Also: a disallowed origin is blocked by the browser; 429s of the daemon and of nginx are
// readable by the page. Screenshots: build/browser/direct.png, nginx.png, refused.png.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startStandin } from '../compat/standin.mjs';
import { appRoutes, launch, screenshotDir } from './lib/browser.mjs';
import { API_KEY, authSections, credentialFiles, sessionCookie } from './lib/credentials.mjs';
import { cleanupStack } from './lib/processes.mjs';
import { makeCertificate, startDaemon, startNginx, startPageServer, tempDir } from './lib/servers.mjs';

const T = { timeout: 30_000 };
const ACCESS_KEY = randomBytes(33).toString('base64url');

const config = ({ dir, standin, origins }) => `
[server]
cors_origins = ${origins.join(' ')}
cors_credentials = yes

[service:main]
connection_string = Endpoint=${standin.endpoint};AccessKey=${ACCESS_KEY};Version=1.0;

[hub:chat]
auth = keys session
roles = webpubsub.joinLeaveGroup.lobby webpubsub.sendToGroup.lobby

[hub:limited]
auth = keys
rate_per_address = 1/min burst 2

${authSections(dir)}`;

const env = {};
const cleanups = cleanupStack();
before(async () => {
  const tmp = tempDir('app');
  cleanups.push(tmp.remove);
  env.dir = tmp.dir;
  credentialFiles(tmp.dir);
  const tls = makeCertificate(tmp.dir);
  env.standin = await startStandin({ accessKey: ACCESS_KEY });
  cleanups.push(() => env.standin.close());
  env.pages = await startPageServer({ routes: await appRoutes(), names: ['app', 'other'], tls });
  cleanups.push(() => env.pages.close());
  const { app, tls: appTls } = env.pages.origins;
  const text = config({ dir: tmp.dir, standin: env.standin, origins: [app, appTls] });
  env.direct = await startDaemon({ config: text, dir: tmp.dir });
  cleanups.push(() => env.direct.stop());
  const behind = tempDir('unix');
  cleanups.push(behind.remove);
  credentialFiles(behind.dir);
  env.unix = await startDaemon({ config: config({ dir: behind.dir, standin: env.standin, origins: [app, appTls] }),
    listen: 'unix', dir: behind.dir });
  cleanups.push(() => env.unix.stop());
  env.nginx = await startNginx({ dir: tmp.dir, socketPath: env.unix.socketPath, corsOrigins: [app, appTls] });
  cleanups.push(() => env.nginx.stop());
  env.browser = await launch();
  cleanups.push(() => env.browser.close());
  // the user logged in earlier: the identity provider left a session cookie for 127.0.0.1
  await env.browser.context.addCookies([sessionCookie('carol')]);
}, { timeout: 90_000 });

after(() => cleanups.runAll(), { timeout: 30_000 });

const claimsOf = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

/** A fresh tab of the app on origin (a page-server origin name). */
async function openApp(origin) {
  const page = await env.browser.context.newPage();
  page.on('pageerror', (e) => { throw e; });
  await page.goto(`${env.pages.origins[origin]}/`);
  return page;
}

const credentials = {
  'bearer API key': { headers: { Authorization: `Bearer ${API_KEY}` }, credentials: 'omit', user: 'alice' },
  cookie: { headers: {}, credentials: 'include', user: 'carol' },
};
const routes = {
  direct: { origin: 'app', base: () => env.direct.base },
  nginx: { origin: 'tls', base: () => env.nginx.origin },
};
const CHAT = { group: 'lobby', forbidden: 'secret' };

for (const [routeName, route] of Object.entries(routes)) {
  describe(`${routeName}: the app's page calls /negotiate on another origin`, () => {
    let page;
    before(async () => { page = await openApp(route.origin); }, T);
    after(async () => {
      await page?.screenshot({ path: join(screenshotDir, `${routeName}.png`), fullPage: true });
      await page?.close();
    }, T);

    for (const [credName, cred] of Object.entries(credentials)) {
      test(`${credName}: {baseUrl,url,token}, then a raw json.webpubsub.azure.v1 WebSocket joins, sends, receives, and is refused a group`, T, async () => {
        const url = `${route.base()}/negotiate?hub=chat`;
        const r = await page.evaluate(([u, c]) => window.app.negotiate(u, c), [url, cred]);
        assert.equal(r.ok, true, r.error);
        assert.equal(r.status, 200, r.body);
        const answer = JSON.parse(r.body);
        assert.deepEqual(Object.keys(answer).sort(), ['baseUrl', 'token', 'url']);
        assert.equal(answer.baseUrl, `ws://127.0.0.1:${env.standin.port}/client/hubs/chat`);
        assert.equal(claimsOf(answer.token).sub, cred.user);
        const text = `hello from ${routeName} with ${credName}`;
        const ws = await page.evaluate(([u, o]) => window.app.raw(u, o), [answer.url, { ...CHAT, text }]);
        assert.equal(ws.protocol, 'json.webpubsub.azure.v1');
        assert.equal(ws.hello.userId, cred.user);
        assert.equal(ws.joined.success, true);
        assert.equal(ws.sent.success, true);
        assert.deepEqual([ws.received.group, ws.received.data, ws.received.fromUserId], ['lobby', text, cred.user]);
        assert.equal(ws.refused.success, false);
        assert.equal(ws.refused.error.name, 'Forbidden');
      });

      test(`${credName}: @azure/web-pubsub-client in the page negotiates, joins, sends, receives, and is refused a group`, T, async () => {
        const url = `${route.base()}/negotiate?hub=chat`;
        const text = `sdk hello from ${routeName} with ${credName}`;
        const r = await page.evaluate(([u, c, o]) => window.app.sdk(u, c, o),
          [url, { headers: cred.headers, credentials: cred.credentials }, { ...CHAT, text }]);
        assert.equal(r.negotiated, 1);
        assert.deepEqual(r.message, { group: 'lobby', data: text, fromUserId: cred.user });
        assert.equal(r.refused?.errorDetail?.name, 'Forbidden', JSON.stringify(r.refused));
      });
    }

    test('without credentials the 401 and its WWW-Authenticate reach the page', T, async () => {
      const r = await page.evaluate((u) => window.app.negotiate(u), `${route.base()}/negotiate?hub=chat`);
      assert.equal(r.ok, true, r.error);
      assert.equal(r.status, 401);
      assert.equal(JSON.parse(r.body).error.code, 'unauthenticated');
      assert.match(r.wwwAuthenticate ?? '', /^Bearer realm="negotiated"/);
    });
  });
}

describe('refusals the page must see', () => {
  test('a page on an origin not in cors_origins: the browser blocks its fetch (direct and through nginx, key and cookie)', T, async () => {
    const page = await openApp('other');
    try {
      // with the bearer key (a preflight first) and with the cookie (a simple request, no preflight)
      for (const base of [env.direct.base, env.nginx.origin]) {
        for (const cred of Object.values(credentials)) {
          const url = `${base}/negotiate?hub=chat`;
          const r = await page.evaluate(([u, c]) => window.app.negotiate(u, c), [url, cred]);
          assert.equal(r.ok, false, `the fetch from a disallowed origin resolved with ${r.status}`);
          assert.match(r.error, /^TypeError: Failed to fetch/);
        }
      }
      // and it is the CORS policy that refused: the daemon's preflight answer names no origin
      const res = await fetch(`${env.direct.base}/negotiate?hub=chat`, { method: 'OPTIONS', headers: {
        Origin: env.pages.origins.other, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('access-control-allow-origin'), null);
    } finally {
      await page.screenshot({ path: join(screenshotDir, 'refused.png'), fullPage: true });
      await page.close();
    }
  });

  test("the daemon's 429 (rate_per_address) is readable by the page: status, Retry-After, code", T, async () => {
    const page = await openApp('app');
    try {
      const url = `${env.direct.base}/negotiate?hub=limited`;
      const statuses = [];
      let last;
      for (let i = 0; i < 3; i++) {
        last = await page.evaluate(([u, c]) => window.app.negotiate(u, c), [url, credentials['bearer API key']]);
        assert.equal(last.ok, true, last.error);
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [200, 200, 429]);
      assert.ok(Number(last.retryAfter) >= 1, `Retry-After: ${last.retryAfter}`);
      assert.equal(JSON.parse(last.body).error.code, 'rate_limited');
    } finally {
      await page.close();
    }
  });

  test("nginx's 429 (limit_req) is readable by the page: status and Retry-After", T, async () => {
    const page = await openApp('tls');
    try {
      // no credentials and no custom header: simple requests, so no preflight is counted or refused
      const r = await page.evaluate((u) => window.app.burst(u, 60), `${env.nginx.origin}/negotiate?hub=chat`);
      await page.screenshot({ path: join(screenshotDir, 'nginx-429.png'), fullPage: true });
      assert.ok(r.statuses[401] >= 1, JSON.stringify(r.statuses)); // the daemon answered those under the limit
      if (!r.limited) {
        await new Promise((ok) => setTimeout(ok, 300)); // nginx logs after the answer has left
        const log = readFileSync(join(env.dir, 'nginx-access.log'), 'utf8');
        const sent = log.split('\n').filter((l) => /"GET \/negotiate" 429 /.test(l)).length;
        assert.fail(`nginx answered ${sent} x 429, but the page could read none: ${JSON.stringify(r.statuses)} `
          + "('refused': the browser hid nginx's own answer, which carries no CORS headers)");
      }
      assert.equal(r.limited.retryAfter, '1');
      assert.equal(JSON.parse(r.limited.body).error.code, 'rate_limited');
    } finally {
      await page.close();
    }
  });
});
