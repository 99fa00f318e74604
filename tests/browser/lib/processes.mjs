// SPDX-License-Identifier: Apache-2.0
// Child processes of the browser tests (the daemon, nginx): each is killed when this process
// exits, whatever the path; stop() ends one gracefully first.
import { spawn } from 'node:child_process';

const KILL_AFTER_MS = 5_000;
const running = new Set();
const killAll = () => { for (const child of running) child.kill('SIGKILL'); };
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    killAll();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
  });
}

/** Spawns argv; returns {child, output(), exited, stop(signal)}. */
export function run(argv, { env = process.env, stopSignal = 'SIGTERM' } = {}) {
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env });
  running.add(child);
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((ok) => {
    const done = (result) => { running.delete(child); ok(result); };
    child.on('exit', (code, signal) => done({ code, signal }));
    child.on('error', (error) => done({ code: null, signal: null, error: error.message }));
  });
  return {
    child,
    exited,
    output: () => output,
    /** stopSignal, then SIGKILL after 5 s; resolves to {code, signal}. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill(stopSignal);
      const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Polls probe() (true when ready) every 50 ms until timeoutMs; throws with the process's output. */
export async function waitUntil(proc, what, probe, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let early = null;
  proc.exited.then((r) => { early = r; });
  while (Date.now() < deadline && !early) {
    try {
      if (await probe()) return;
    } catch { /* not ready yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  await proc.stop();
  const why = early ? `exited ${early.error ?? early.code ?? early.signal}` : 'timeout';
  throw new Error(`${what} did not become ready (${why}):\n${proc.output()}`);
}

/** Undo steps, run last-first by runAll(), every one even when some fail; then throws what failed. */
export function cleanupStack() {
  const steps = [];
  return {
    push: (step) => steps.push(step),
    async runAll() {
      const failures = [];
      while (steps.length) await Promise.resolve().then(steps.pop()).catch((e) => failures.push(e.message));
      if (failures.length) throw new Error(`cleanup: ${failures.join('\n')}`);
    },
  };
}
