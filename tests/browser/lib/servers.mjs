// SPDX-License-Identifier: Apache-2.0
// What the browser tests start on loopback: the daemon (TCP or unix socket, or --dev), nginx from
// the shipped site with a certificate made here, and the page server (the pages' own origins).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../compat/lib/daemon.mjs';
import { run, waitUntil } from './processes.mjs';

export const browserDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoRoot = resolve(browserDir, '..', '..');
const bin = process.env.NEGOTIATED_BIN || join(repoRoot, 'src', 'negotiated');
const wrapper = (process.env.NEGOTIATED_WRAPPER || '').split(' ').filter(Boolean);
export { freePort };

/** A fresh directory that nginx's workers can read; remove() deletes it. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `negotiated-browser-${prefix}-`));
  chmodSync(dir, 0o755);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** GET on a unix socket, TCP or TLS (any certificate: it is ours); resolves to the status. */
function probe({ socketPath, port, tls }, path) {
  return new Promise((ok, fail) => {
    const request = tls ? httpsRequest : httpRequest;
    const options = { socketPath, host: '127.0.0.1', port, path, timeout: 1000, rejectUnauthorized: false };
    const req = request(options, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode));
    });
    req.on('error', fail).on('timeout', () => req.destroy(new Error('timeout'))).end();
  });
}

/**
 * Starts negotiated with `config` (INI text) on `listen` ("tcp" or "unix"), or with --dev when
 * config is null (env: its environment). Resolves when /healthz answers 200:
 * {base (TCP only), socketPath (unix only), output(), stop()}.
 */
export async function startDaemon({ config, listen = 'tcp', env = {}, dir }) {
  const argv = [...wrapper, bin];
  if (config !== null) {
    writeFileSync(join(dir, 'negotiated.conf'), config, { mode: 0o600 }); // it may hold a connection string
    argv.push('--config', join(dir, 'negotiated.conf'));
  } else {
    argv.push('--dev');
  }
  const where = listen === 'unix' ? { socketPath: join(dir, 'negotiated.sock') } : { port: await freePort() };
  argv.push('--listen', where.socketPath ? `unix:${where.socketPath}` : `127.0.0.1:${where.port}`);
  const proc = run(argv, { env: { ...process.env, ...env } });
  await waitUntil(proc, 'negotiated', async () => (await probe(where, '/healthz')) === 200);
  // a clean stop exits 0: anything else (a crash, a NEGOTIATED_WRAPPER valgrind error) fails the file
  const stop = async () => {
    const r = await proc.stop();
    if (r.code !== 0) throw new Error(`negotiated did not stop cleanly (${r.error ?? r.code ?? r.signal}):\n${proc.output()}`);
  };
  return { ...where, base: where.port && `http://127.0.0.1:${where.port}`, output: proc.output, stop };
}

/** A self-signed certificate for 127.0.0.1 in dir (cert.pem, key.pem). */
export function makeCertificate(dir) {
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj',
    '/CN=negotiate.example.com', '-addext', 'subjectAltName=DNS:negotiate.example.com,IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) throw new Error(`openssl failed (see .ci/install-deps): ${r.error?.message ?? r.stderr}`);
  return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
}

/** The shipped site with only what a test must change (as tests/integration/test_nginx.py does). */
function siteForTest(dir, port, socketPath, corsOrigins) {
  let text = readFileSync(join(repoRoot, 'etc', 'nginx', 'negotiated.conf'), 'utf8');
  const replacements = [
    ['listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`],
    ['listen [::]:443 ssl;', ''],
    ['/etc/ssl/certs/negotiate.example.com.pem', join(dir, 'cert.pem')],
    ['/etc/ssl/private/negotiate.example.com.key', join(dir, 'key.pem')],
    ['unix:/run/negotiated/negotiated.sock', `unix:${socketPath}`],
    ['/var/log/nginx/negotiated.access.log', join(dir, 'nginx-access.log')],
  ];
  for (const [from, to] of replacements) {
    if (text.split(from).length !== 2) throw new Error(`the shipped nginx site no longer has ${JSON.stringify(from)}`);
    text = text.replace(from, to);
  }
  // the site's map of origins for nginx's own errors (when it has one), as its comment says to fill it
  const example = '# "https://app.example.com" $http_origin;';
  if (text.includes(example)) text = text.replace(example, corsOrigins.map((o) => `"${o}" $http_origin;`).join('\n\t'));
  return text;
}

const nginxMain = (dir) => `${process.getuid() === 0 ? 'user root root;' : ''}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log info;
events { worker_connections 64; }
http {
	client_body_temp_path ${dir}/tmp-body;
	proxy_temp_path ${dir}/tmp-proxy;
	fastcgi_temp_path ${dir}/tmp-fastcgi;
	uwsgi_temp_path ${dir}/tmp-uwsgi;
	scgi_temp_path ${dir}/tmp-scgi;
	include ${dir}/site.conf;
}
`;

const nginxBinary = () => ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => spawnSync(p, ['-v']).status === 0);

/** nginx (TLS, 127.0.0.1) in front of the daemon's socket; dir holds cert.pem/key.pem. {origin, stop()}. */
export async function startNginx({ dir, socketPath, corsOrigins = [] }) {
  const nginx = nginxBinary();
  if (!nginx) throw new Error('nginx is not installed: apt-get install nginx-light (see .ci/install-deps)');
  const port = await freePort();
  writeFileSync(join(dir, 'site.conf'), siteForTest(dir, port, socketPath, corsOrigins));
  writeFileSync(join(dir, 'nginx.conf'), nginxMain(dir));
  const argv = [nginx, '-p', dir, '-e', join(dir, 'nginx-error.log'), '-c', join(dir, 'nginx.conf')];
  const check = spawnSync(argv[0], [...argv.slice(1), '-t'], { encoding: 'utf8', timeout: 30_000 });
  if (check.status !== 0) throw new Error(`nginx -t failed: ${check.stderr}`);
  const proc = run([...argv, '-g', 'daemon off;'], { stopSignal: 'SIGQUIT' });
  const healthy = async () => (await probe({ port, tls: true }, '/healthz')) === 200;
  await waitUntil(proc, 'nginx', healthy);
  return { origin: `https://127.0.0.1:${port}`, port, output: proc.output, stop: proc.stop };
}

/**
 * The pages' own origins: `routes` maps a path to [content type, body]; every other path is 404.
 * Listens on `http` plain ports and, with tls {cert, key}, one HTTPS port.
 * Resolves to {origins: {name: 'http(s)://127.0.0.1:PORT'}, close()}.
 */
export async function startPageServer({ routes, names = ['page'], tls }) {
  const handler = (req, res) => {
    const route = routes[new URL(req.url, 'http://x').pathname];
    if (!route) return res.writeHead(404).end();
    return res.writeHead(200, { 'Content-Type': route[0], 'Cache-Control': 'no-store' }).end(route[1]);
  };
  const servers = [];
  const origins = {};
  const listen = (server) => new Promise((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  for (const name of names) {
    const server = createHttpServer(handler);
    await listen(server);
    servers.push(server);
    origins[name] = `http://127.0.0.1:${server.address().port}`;
  }
  if (tls) {
    const server = createHttpsServer(tls, handler);
    await listen(server);
    servers.push(server);
    origins.tls = `https://127.0.0.1:${server.address().port}`;
  }
  return {
    origins,
    close: () => Promise.all(servers.map((s) => new Promise((ok) => {
      s.closeAllConnections();
      s.close(() => ok());
    }))),
  };
}
