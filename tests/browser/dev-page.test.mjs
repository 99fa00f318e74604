// SPDX-License-Identifier: Apache-2.0
// The developer page ([server] dev_page, on in --dev) in chromium: negotiate with the caller's
// credentials, the decoded token and its grants in plain words, the countdown, the copy button,
// Connect/Join/Send against the stand-in service. Also GET / over plain HTTP, with dev_page on and
// off. Screenshots: build/browser/dev-page.png (--dev), dev-page-apikey.png, dev-page-cookie.png.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startStandin } from '../compat/standin.mjs';
import { launch, screenshotDir } from './lib/browser.mjs';
import { API_KEY, authSections, credentialFiles, sessionCookie, sessionToken } from './lib/credentials.mjs';
import { cleanupStack } from './lib/processes.mjs';
import { repoRoot, startDaemon, tempDir } from './lib/servers.mjs';

const T = { timeout: 30_000 };
const ACCESS_KEY = randomBytes(33).toString('base64url');
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; img-src 'self'; "
  + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const config = ({ dir, standin, devPage }) => `
[server]
${devPage ? 'dev_page = yes' : ''}

[service:main]
connection_string = Endpoint=${standin.endpoint};AccessKey=${ACCESS_KEY};Version=1.0;

[hub:chat]
auth = keys session
roles = webpubsub.joinLeaveGroup.lobby webpubsub.sendToGroup.lobby

[hub:rooms]
auth = keys
roles = webpubsub.joinLeaveGroups.room.* webpubsub.sendToGroups.room.*
groups = room.1

${authSections(dir)}`;

const env = {};
const cleanups = cleanupStack();
before(async () => {
  env.standin = await startStandin({ accessKey: ACCESS_KEY });
  cleanups.push(() => env.standin.close());
  const tmp = tempDir('devpage');
  cleanups.push(tmp.remove);
  credentialFiles(tmp.dir);
  const connectionString = `Endpoint=${env.standin.endpoint};AccessKey=${ACCESS_KEY};Version=1.0;`;
  env.dev = await startDaemon({ config: null, dir: tmp.dir, env: { WEBPUBSUB_CONNECTION_STRING: connectionString } });
  cleanups.push(() => env.dev.stop());
  env.on = await startDaemon({ config: config({ dir: tmp.dir, standin: env.standin, devPage: true }), dir: tmp.dir });
  cleanups.push(() => env.on.stop());
  const off = tempDir('devpage-off');
  cleanups.push(off.remove);
  credentialFiles(off.dir);
  env.off = await startDaemon({ config: config({ dir: off.dir, standin: env.standin, devPage: false }), dir: off.dir });
  cleanups.push(() => env.off.stop());
  env.browser = await launch();
  cleanups.push(() => env.browser.close());
}, { timeout: 90_000 });

after(() => cleanups.runAll(), { timeout: 30_000 });

/** The developer page of daemon in a fresh tab; .problems collects CSP violations and page errors. */
async function openDevPage(daemon) {
  const page = await env.browser.context.newPage();
  page.problems = [];
  page.on('console', (m) => {
    // the page has no icon: the browser's own /favicon.ico probe gets the daemon's 404
    if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) page.problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
  const res = await page.goto(`${daemon.base}/`);
  assert.equal(res.status(), 200);
  assert.equal(res.headers()['content-security-policy'], CSP);
  return page;
}

const text = (page, selector) => page.locator(selector).innerText();
const logText = (page) => page.locator('#log').innerText();
const waitForLog = (page, re) => page.waitForFunction((source) => new RegExp(source).test(document.getElementById('log').innerText), re.source, { timeout: 8000 });

describe('the developer page in chromium', () => {
  test('--dev: negotiate, the token explained, the countdown, copy, then connect, join, send and see it', T, async () => {
    await env.browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.dev.base });
    const page = await openDevPage(env.dev);
    try {
      await page.fill('#roles', 'webpubsub.joinLeaveGroup.lobby webpubsub.sendToGroup.lobby');
      await page.fill('#groups', 'lobby');
      await page.fill('#minutes', '30');
      await page.click('#negotiate');
      await page.waitForFunction(() => /^200/.test(document.getElementById('status').textContent), null, { timeout: 8000 });

      const url = await page.inputValue('#url');
      assert.match(url, new RegExp(`^ws://127\\.0\\.0\\.1:${env.standin.port}/client/hubs/chat\\?access_token=ey`));
      const header = JSON.parse(await text(page, '#jwt-header'));
      const claims = JSON.parse(await text(page, '#jwt-claims'));
      assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' });
      assert.equal(claims.exp - claims.iat, 1800);
      assert.equal(claims.aud, `${env.standin.endpoint}/client/hubs/chat`);
      assert.equal(url.split('access_token=')[1].split('.')[1], Buffer.from(JSON.stringify(claims)).toString('base64url'));
      const grants = await page.locator('#grants li').allInnerTexts();
      assert.deepEqual(grants, [
        `connects as user ${claims.sub}`,
        'may join or leave group lobby',
        'may send to group lobby',
        'is put in group lobby on connecting',
        `is valid only for ${claims.aud}`,
      ]);
      assert.match(claims.sub, /^anon-/);

      const left = async () => {
        const m = /^(\d\d):(\d\d):(\d\d) left/.exec(await text(page, '#time-left'));
        assert.ok(m, await text(page, '#time-left'));
        return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
      };
      const first = await left();
      assert.ok(first <= 1800 && first >= 1790, `${first} s left`);
      await page.waitForTimeout(2100);
      const second = await left();
      assert.ok(second < first && second >= first - 4, `counted from ${first} to ${second}`);

      await page.click('#copy');
      await page.waitForFunction(() => document.getElementById('copy').textContent === 'Copied', null, { timeout: 5000 });
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);

      await page.selectOption('#subprotocol', 'json.webpubsub.azure.v1');
      await page.click('#connect');
      await page.waitForFunction(() => /^connected/.test(document.getElementById('ws-state').textContent), null, { timeout: 8000 });
      assert.equal(await text(page, '#ws-state'), 'connected (subprotocol: json.webpubsub.azure.v1)');
      await waitForLog(page, /"event":"connected"/);
      await page.fill('#join-group', 'lobby');
      await page.click('#join');
      await waitForLog(page, /"type":"ack","ackId":1,"success":true/);
      await page.fill('#send-group', 'lobby');
      await page.fill('#send-text', 'hello from the developer page');
      await page.click('#send');
      await waitForLog(page, /"type":"message","from":"group".*"group":"lobby".*"data":"hello from the developer page"/);
      await waitForLog(page, /"type":"ack","ackId":2,"success":true/);
      await page.fill('#join-group', 'secret');
      await page.click('#join');
      await waitForLog(page, /"ackId":3,"success":false,"error":\{"name":"Forbidden"/);
      assert.deepEqual(page.problems, []);
    } finally {
      await page.screenshot({ path: join(screenshotDir, 'dev-page.png'), fullPage: true });
      await page.close();
    }
  });

  test('dev_page = yes: the API key pasted in the page is what authenticates; nothing beyond the caller\'s grant', T, async () => {
    const page = await openDevPage(env.on);
    try {
      const status = async () => {
        await page.waitForFunction(() => /^\d{3}/.test(document.getElementById('status').textContent), null, { timeout: 8000 });
        const s = await text(page, '#status');
        await page.evaluate(() => { document.getElementById('status').textContent = ''; });
        return s;
      };
      await page.click('#negotiate');
      assert.match(await status(), /^401 unauthenticated: /);
      await page.selectOption('#cred-kind', 'apikey');
      await page.fill('#cred-value', 'not-the-key');
      await page.click('#negotiate');
      assert.match(await status(), /^401 invalid_credentials: /);
      await page.fill('#cred-value', API_KEY);
      await page.fill('#roles', 'webpubsub.joinLeaveGroup');
      await page.click('#negotiate');
      assert.match(await status(), /^403 /); // more than the hub grants: the page gets no more than the caller
      await page.fill('#roles', 'webpubsub.joinLeaveGroup.lobby');
      await page.click('#negotiate');
      assert.equal(await status(), '200: token issued');
      const grants = await page.locator('#grants li').allInnerTexts();
      assert.equal(grants[0], 'connects as user alice');
      assert.deepEqual(grants.slice(1, -1), ['may join or leave group lobby']);
      await page.fill('#hub', 'rooms');
      await page.fill('#roles', '');
      await page.click('#negotiate');
      assert.equal(await status(), '200: token issued');
      assert.deepEqual((await page.locator('#grants li').allInnerTexts()).slice(1, -1), [
        'may join or leave any group matching room.*', 'may send to any group matching room.*',
        'is put in group room.1 on connecting']);
      await page.fill('#hub', 'chat');
      await page.fill('#roles', 'webpubsub.joinLeaveGroup.lobby');
      await page.click('#negotiate');
      assert.equal(await status(), '200: token issued');
      await page.selectOption('#subprotocol', 'json.reliable.webpubsub.azure.v1');
      await page.click('#connect');
      await waitForLog(page, /"event":"connected"/);
      await page.click('#join');
      await waitForLog(page, /"type":"ack","ackId":\d+,"success":true/);
      await page.click('#send');
      await waitForLog(page, /"success":false,"error":\{"name":"Forbidden"/); // no sendToGroup role asked
      assert.deepEqual(page.problems.filter((p) => !/status of 40[13]/.test(p)), []);
    } finally {
      await page.screenshot({ path: join(screenshotDir, 'dev-page-apikey.png'), fullPage: true });
      await page.close();
    }
  });
});

describe('the developer page with a session', () => {
  test("dev_page = yes: a pasted bearer token, then this site's cookie, are the caller the page asks as", T, async () => {
    const page = await openDevPage(env.on);
    const user = async () => {
      await page.click('#negotiate');
      await page.waitForFunction(() => /^\d{3}/.test(document.getElementById('status').textContent), null, { timeout: 8000 });
      assert.equal(await text(page, '#status'), '200: token issued');
      await page.evaluate(() => { document.getElementById('status').textContent = ''; });
      return (await page.locator('#grants li').allInnerTexts())[0];
    };
    try {
      await page.selectOption('#cred-kind', 'bearer');
      await page.fill('#cred-value', sessionToken('dave'));
      assert.equal(await user(), 'connects as user dave');
      await env.browser.context.addCookies([sessionCookie('carol')]);
      await page.selectOption('#cred-kind', 'none');
      assert.equal(await user(), 'connects as user carol'); // credentials: 'same-origin' sent the cookie
      assert.deepEqual(page.problems, []);
    } finally {
      await page.screenshot({ path: join(screenshotDir, 'dev-page-cookie.png'), fullPage: true });
      await env.browser.context.clearCookies();
      await page.close();
    }
  });
});

describe('GET / over HTTP', () => {
  const source = (name) => readFileSync(join(repoRoot, 'src', 'http', 'dev_page', name));

  test('dev_page = yes: the three files, as in the tree, under the CSP; HEAD too; other methods 405', T, async () => {
    for (const [path, type, file] of [['/', 'text/html; charset=utf-8', 'index.html'],
      ['/dev-page.js', 'text/javascript; charset=utf-8', 'app.js'], ['/dev-page.css', 'text/css; charset=utf-8', 'style.css']]) {
      const res = await fetch(`${env.on.base}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), type);
      assert.equal(res.headers.get('content-security-policy'), CSP);
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(source(file)), `${path} is not src/http/dev_page/${file}`);
    }
    const head = await fetch(`${env.on.base}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    const post = await fetch(`${env.on.base}/`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    const other = await fetch(`${env.on.base}/dev-page.jsx`);
    assert.equal(other.status, 404);
  });

  test('dev_page off (the default): GET /, the script and the style are 404 not_found, as any unknown path', T, async () => {
    for (const [method, path] of [['GET', '/'], ['GET', '/dev-page.js'], ['GET', '/dev-page.css'], ['POST', '/'], ['GET', '/nothing']]) {
      const res = await fetch(`${env.off.base}${path}`, { method });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.deepEqual(await res.json(), { error: { code: 'not_found', message: 'no such endpoint' } });
      assert.equal(res.headers.get('content-security-policy'), null);
    }
  });
});
