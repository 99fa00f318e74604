// SPDX-License-Identifier: Apache-2.0
// A stand-in for the Azure Web PubSub client endpoint, for tests on loopback (plain ws).
// It validates client access tokens as the service and its emulator do, and speaks enough of
// json.webpubsub.azure.v1 / json.reliable.webpubsub.azure.v1 for @azure/web-pubsub-client:
// connected, joinGroup, leaveGroup, sendToGroup, ping, sequenceAck. Other messages are ignored.
// It also serves the REST API's closeUserConnections and removeUserFromAllGroups (bearer JWT
// signed with the access key, aud = the request URL, as @azure/web-pubsub signs it) and, given
// `eventHandler`, calls its connect event before accepting a WebSocket, as the service does.
// What the real service does differently: it also sends `connected`/`disconnected` events and user
// events to the handler, retries a failed event delivery, checks the abuse-protection OPTIONS once
// when the handler is configured (not per connection), sends the client a `disconnected` system
// message with the reason before closing it, and checks a token's exp again only at reconnect.
// Usage as a program: node standin.mjs ACCESS_KEY [PORT]
import { createHmac, randomUUID } from 'node:crypto';
import { STATUS_CODES, createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';
import { WebSocketServer } from 'ws';

const PROTOCOLS = ['json.reliable.webpubsub.azure.v1', 'json.webpubsub.azure.v1'];
const CLOCK_TOLERANCE_S = 300;
const CLIENT_PATH = /^\/client\/hubs\/([^/]+)$/;

const refusal = (status, message) => Object.assign(new Error(message), { status });

/** Validates a token as the service does; returns its claims or throws an Error with .status. */
export function verifyToken(token, accessKey, audience) {
  let claims;
  try {
    claims = jwt.verify(token, accessKey, { algorithms: ['HS256'], clockTolerance: CLOCK_TOLERANCE_S });
  } catch (e) {
    throw refusal(401, e.message);
  }
  if (typeof claims.exp !== 'number') throw refusal(401, 'exp is required');
  const auds = [].concat(claims.aud ?? []);
  if (!auds.some((a) => typeof a === 'string' && a.toLowerCase() === audience.toLowerCase())) {
    throw refusal(401, `aud ${JSON.stringify(claims.aud)} is not ${audience}`);
  }
  const groups = [].concat(claims['webpubsub.group'] ?? []);
  if (groups.some((g) => typeof g !== 'string' || !g.trim() || g.length > 1024)) {
    throw refusal(400, 'invalid webpubsub.group');
  }
  return claims;
}

const USER_REST = /^\/api\/hubs\/([^/]+)\/users\/([^/]+)\/(:closeConnections|groups)$/;

/** A REST bearer as the service checks it: HS256 with the access key, aud = the request's URL. */
export function restBearerOk(header, accessKey, url) {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  try {
    return !!m && !!jwt.verify(m[1], accessKey, { algorithms: ['HS256'], audience: url });
  } catch {
    return false;
  }
}

/** webpubsub.<action> grants every group, webpubsub.<action>.<group> exactly one. */
const permitted = (roles, action, group) =>
  roles.includes(`webpubsub.${action}`) || roles.includes(`webpubsub.${action}.${group}`);

function refuse(socket, status, message) {
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain\r\n`
    + `Content-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`);
}

/**
 * Starts the stand-in on 127.0.0.1; resolves to {port, endpoint, close()}. With `tls` ({key, cert})
 * it serves https/wss; `onRequest(req, res)` answers plain HTTP requests (the REST API's stand-in).
 */
export async function startStandin({ accessKey, port = 0, tls, onRequest, eventHandler, authorize, restStatus }) {
  const conns = new Set();
  const restCalls = []; // {method, url, headers, at} of each closeUserConnections / removeUserFromAllGroups
  const fallback = onRequest ?? ((req, res) => res.writeHead(404).end());
  const handler = (req, res) => {
    if (!USER_REST.test(req.url.split('?')[0])) return fallback(req, res);
    req.resume();
    return req.on('end', () => userRest(req, res));
  };
  const server = tls ? createTlsServer(tls, handler) : createServer(handler);
  const scheme = tls ? 'https' : 'http';
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });

  const send = (conn, msg) => conn.ws.send(JSON.stringify(msg));
  const ack = (conn, ackId, error) => {
    if (ackId == null) return;
    send(conn, error ? { type: 'ack', ackId, success: false, error } : { type: 'ack', ackId, success: true });
  };
  const forbidden = (action, group) => ({ name: 'Forbidden', message: `No permission to ${action} '${group}'.` });

  function onMessage(conn, msg) {
    switch (msg.type) {
      case 'joinGroup':
      case 'leaveGroup':
        if (!permitted(conn.roles, 'joinLeaveGroup', msg.group)) return ack(conn, msg.ackId, forbidden(msg.type, msg.group));
        if (msg.type === 'joinGroup') conn.groups.add(msg.group);
        else conn.groups.delete(msg.group);
        return ack(conn, msg.ackId);
      case 'sendToGroup':
        if (!permitted(conn.roles, 'sendToGroup', msg.group)) return ack(conn, msg.ackId, forbidden(msg.type, msg.group));
        for (const c of conns) {
          if (c.hub !== conn.hub || !c.groups.has(msg.group) || (msg.noEcho && c === conn)) continue;
          send(c, {
            type: 'message', from: 'group', fromUserId: conn.userId, group: msg.group,
            dataType: msg.dataType, data: msg.data, ...(c.reliable && { sequenceId: ++c.sequenceId }),
          });
        }
        return ack(conn, msg.ackId);
      case 'ping':
        return send(conn, { type: 'pong' });
      default: // sequenceAck and anything else
        return undefined;
    }
  }

  function onConnection(ws, hub, claims) {
    const conn = {
      ws, hub, userId: claims.sub ?? null, roles: [].concat(claims.role ?? []),
      groups: new Set([].concat(claims['webpubsub.group'] ?? [])),
      reliable: ws.protocol === PROTOCOLS[0], sequenceId: 0,
    };
    conns.add(conn);
    ws.on('close', () => conns.delete(conn));
    ws.on('message', (data) => {
      let msg;
      try {
        msg = JSON.parse(data);
      } catch {
        return ws.close(1003, 'invalid JSON');
      }
      return onMessage(conn, msg);
    });
    send(conn, {
      type: 'system', event: 'connected', userId: conn.userId,
      connectionId: randomUUID(), reconnectionToken: randomUUID(),
    });
  }

  /** closeUserConnections / removeUserFromAllGroups: the bearer must be the access key's, for this URL. */
  function userRest(req, res) {
    const [path, query = ''] = req.url.split('?', 2);
    const [, hub, user, what] = USER_REST.exec(path);
    restCalls.push({ method: req.method, url: req.url, headers: req.headers, at: performance.now() });
    const ok = authorize ? authorize(req) : restBearerOk(req.headers.authorization, accessKey, `${scheme}://${req.headers.host}${req.url}`);
    if (!ok) return res.writeHead(401).end();
    const forced = restStatus?.(req); // a fault the test asks for: 429, 5xx, 403...
    if (forced) return res.writeHead(forced).end();
    if (!new URLSearchParams(query).get('api-version')) return res.writeHead(400).end();
    const mine = [...conns].filter((c) => c.hub === decodeURIComponent(hub) && c.userId === decodeURIComponent(user));
    if (what === ':closeConnections' && req.method === 'POST') {
      for (const c of mine) c.ws.close(1008, new URLSearchParams(query).get('reason') ?? '');
    } else if (what === 'groups' && req.method === 'DELETE') {
      for (const c of mine) c.groups.clear();
    } else {
      return res.writeHead(405).end();
    }
    return res.writeHead(204).end();
  }

  /** The connect event to the event handler: resolves to its status (the service refuses non-2xx). */
  async function connectEvent(hub, claims, query) {
    const connectionId = randomUUID();
    const res = await fetch(eventHandler.url.replace('{hub}', hub).replace('{event}', 'connect'), {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8', 'ce-specversion': '1.0', 'ce-type': 'azure.webpubsub.sys.connect',
        'ce-source': `/hubs/${hub}/client/${connectionId}`, 'ce-id': randomUUID(), 'ce-time': new Date().toISOString(),
        'ce-awpsversion': '1.0', 'ce-hub': hub, 'ce-eventname': 'connect', 'ce-connectionid': connectionId,
        'ce-signature': `sha256=${createHmac('sha256', accessKey).update(connectionId).digest('hex')}`,
        'webhook-request-origin': eventHandler.origin, ...(claims.sub && { 'ce-userid': claims.sub }),
      },
      body: JSON.stringify({
        claims: Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, [].concat(v).map(String)])),
        query: Object.fromEntries([...query.keys()].map((k) => [k, query.getAll(k)])), headers: {}, subprotocols: [], clientCertificates: [],
      }),
      signal: AbortSignal.timeout(5000),
    });
    await res.text();
    return res.status;
  }

  server.on('upgrade', (req, socket, head) => {
    const [path, query = ''] = req.url.split('?', 2);
    const hub = CLIENT_PATH.exec(path)?.[1];
    if (!hub) return refuse(socket, 404, 'unknown path');
    const token = new URLSearchParams(query).get('access_token')
      ?? /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return refuse(socket, 401, 'no access token');
    let claims;
    try {
      claims = verifyToken(token, accessKey, `${scheme}://${req.headers.host}${path}`);
    } catch (e) {
      return refuse(socket, e.status, e.message);
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (!offered.some((p) => PROTOCOLS.includes(p))) return refuse(socket, 400, 'unsupported subprotocol');
    const accept = () => wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, decodeURIComponent(hub), claims));
    if (!eventHandler) return accept();
    return connectEvent(decodeURIComponent(hub), claims, new URLSearchParams(query)).then(
      (status) => (status >= 200 && status < 300 ? accept() : refuse(socket, 401, `the event handler answered ${status}`)),
      (e) => refuse(socket, 500, `the event handler failed: ${e.message}`),
    );
  });

  await new Promise((ok, fail) => server.once('error', fail).listen(port, '127.0.0.1', ok));
  const actual = server.address().port;
  return {
    restCalls,
    /** The user's open WebSockets on the hub. */
    connectionsOf: (hub, user) => [...conns].filter((c) => c.hub === hub && c.userId === user).length,
    port: actual,
    endpoint: `${scheme}://127.0.0.1:${actual}`,
    close: () => new Promise((ok) => {
      for (const c of conns) c.ws.terminate();
      wss.close();
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [accessKey, port = '0'] = process.argv.slice(2);
  if (!accessKey) {
    console.error('usage: node standin.mjs ACCESS_KEY [PORT]');
    process.exit(2);
  }
  const s = await startStandin({ accessKey, port: Number(port) });
  console.log(`Endpoint=${s.endpoint};AccessKey=<ACCESS_KEY>;Version=1.0;`);
}
