// SPDX-License-Identifier: Apache-2.0
// Debian's chromium through playwright-core, with the flags that keep it off the network, a fresh
// profile, and certificate errors ignored (the nginx certificate is self-signed, made by the test).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { browserDir, repoRoot } from './servers.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const screenshotDir = join(repoRoot, 'build', 'browser');

/** A persistent context on a fresh --user-data-dir; close() ends chromium and removes the profile. */
export async function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (see .ci/install-deps)`);
  const profile = mkdtempSync(join(tmpdir(), 'negotiated-chromium-'));
  let context;
  try {
    // launchPersistentContext passes the profile as --user-data-dir itself
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--ignore-certificate-errors'],
    });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  mkdirSync(screenshotDir, { recursive: true });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** @azure/web-pubsub-client as one browser script (global WebPubSub), bundled by esbuild now. */
export async function webPubSubClientBundle() {
  const r = await build({
    stdin: { contents: "export { WebPubSubClient } from '@azure/web-pubsub-client';", resolveDir: browserDir },
    bundle: true, format: 'iife', globalName: 'WebPubSub', platform: 'browser', write: false, logLevel: 'silent',
  });
  return r.outputFiles[0].text;
}

/** The test app's files (tests/browser/page/) and the bundle, as page-server routes. */
export async function appRoutes() {
  const file = (name) => readFileSync(join(browserDir, 'page', name));
  return {
    '/': ['text/html; charset=utf-8', file('index.html')],
    '/app.js': ['text/javascript', file('app.js')],
    '/style.css': ['text/css', file('style.css')],
    '/wps-client.js': ['text/javascript', await webPubSubClientBundle()],
  };
}
