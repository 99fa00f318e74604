// SPDX-License-Identifier: Apache-2.0
// Helpers to run the negotiated CLI and to start/stop the daemon on loopback.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Files the tests write hold secrets, and the daemon refuses those every user may read (issue 20).
process.umask(0o077);

const compatDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(compatDir, '..', '..');
export const bin = process.env.NEGOTIATED_BIN || join(repoRoot, 'src', 'negotiated');
const wrapper = (process.env.NEGOTIATED_WRAPPER || '').split(' ').filter(Boolean);

const HEALTH_TIMEOUT_MS = 10_000;
const KILL_AFTER_MS = 5_000;

// Every daemon still running when this process exits is killed.
const running = new Set();
process.on('exit', () => { for (const child of running) child.kill('SIGKILL'); });

/** Runs `negotiated token ARGS... --json`; returns {baseUrl, url, token}, throws on failure. */
export function token(args, input = '') {
  const r = spawnSync(bin, ['token', ...args, '--json'], { encoding: 'utf8', timeout: 10_000, input });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`negotiated token exited ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  }
  return JSON.parse(r.stdout);
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/** A fresh temporary directory, removed when `remove()` is called. */
function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'negotiated-compat-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts the daemon. `config` is the INI text, or a function of the temp dir returning it;
 * `files` maps file names to contents written into that dir first; `env` adds to the environment.
 * Resolves once GET /healthz answers 200; returns {port, base, stderr(), stop()}.
 */
export async function startDaemon({ config, files = {}, env = {} }) {
  const tmp = tempDir();
  // secrets (keys, connection strings): the daemon refuses a file every user may read
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(tmp.dir, name)), { recursive: true, mode: 0o700 }); // "state/x": its folder too
    writeFileSync(join(tmp.dir, name), text, { mode: 0o600 });
  }
  const configPath = join(tmp.dir, 'negotiated.conf');
  writeFileSync(configPath, typeof config === 'function' ? config(tmp.dir) : config, { mode: 0o600 });

  const port = await freePort();
  const argv = [...wrapper, bin, '--config', configPath, '--listen', `127.0.0.1:${port}`];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  running.add(child);
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((ok) => {
    const done = (result) => { running.delete(child); ok(result); };
    child.on('exit', (code, signal) => done({ code, signal }));
    child.on('error', (error) => done({ code: null, signal: null, error: error.message }));
  });

  const daemon = {
    port,
    configPath,
    dir: tmp.dir,
    pid: child.pid,
    base: `http://127.0.0.1:${port}`,
    stderr: () => log,
    /** SIGTERM, then SIGKILL after 5 s; resolves to {code, signal}. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      const result = await exited;
      clearTimeout(timer);
      tmp.remove();
      return result;
    },
  };

  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let early = null;
  exited.then((r) => { early = r; });
  while (Date.now() < deadline && !early) {
    try {
      const res = await fetch(`${daemon.base}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.text();
      if (res.status === 200) return daemon;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  await daemon.stop();
  throw new Error(`daemon did not become healthy (${early ? `exited ${early.error ?? early.code ?? early.signal}` : 'timeout'}):\n${log}`);
}
