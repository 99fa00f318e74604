// SPDX-License-Identifier: Apache-2.0
// A stand-in for the Azure Web PubSub client endpoint, for tests on loopback (plain ws).
// It validates client access tokens as the service and its emulator do, and speaks enough of
// json.webpubsub.azure.v1 / json.reliable.webpubsub.azure.v1 for @azure/web-pubsub-client:
// connected, joinGroup, leaveGroup, sendToGroup, ping, sequenceAck. Other messages are ignored.
// Usage as a program: node standin.mjs ACCESS_KEY [PORT]
import { randomUUID } from 'node:crypto';
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
export async function startStandin({ accessKey, port = 0, tls, onRequest }) {
  const conns = new Set();
  const handler = onRequest ?? ((req, res) => res.writeHead(404).end());
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
    return wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, decodeURIComponent(hub), claims));
  });

  await new Promise((ok, fail) => server.once('error', fail).listen(port, '127.0.0.1', ok));
  const actual = server.address().port;
  return {
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
