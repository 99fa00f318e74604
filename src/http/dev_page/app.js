// SPDX-License-Identifier: Apache-2.0
// The developer page: asks this server's /negotiate with the caller's own credentials, explains
// the answer, and opens the WebSocket it names. Text goes in with textContent only (no HTML).
'use strict';

const $ = (id) => document.getElementById(id);
let answer = null; // the last /negotiate answer
let expiresAt = 0; // ms since the epoch, from the token's exp
let socket = null;
let ackId = 0;
let lastSequenceId = 0;

/** base64url text to a string; throws on bad input. */
function base64urlDecode(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/** {header, claims} of a JWT, or throws. */
function decodeJwt(token) {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('the token is not a JWT (three dot-separated parts)');
  return { header: JSON.parse(base64urlDecode(parts[0])), claims: JSON.parse(base64urlDecode(parts[1])) };
}

const words = (text) => text.split(/[\s,]+/).filter(Boolean);

/** One role as a sentence, as the service reads it. */
function roleInWords(role) {
  const rules = [
    [/^webpubsub\.joinLeaveGroup$/, () => 'may join or leave any group'],
    [/^webpubsub\.sendToGroup$/, () => 'may send to any group'],
    [/^webpubsub\.joinLeaveGroup\.(.+)$/, (g) => `may join or leave group ${g}`],
    [/^webpubsub\.sendToGroup\.(.+)$/, (g) => `may send to group ${g}`],
    [/^webpubsub\.joinLeaveGroups\.(.+)$/, (p) => `may join or leave any group matching ${p}`],
    [/^webpubsub\.sendToGroups\.(.+)$/, (p) => `may send to any group matching ${p}`],
  ];
  for (const [re, say] of rules) {
    const m = re.exec(role);
    if (m) return say(m[1]);
  }
  return `has role ${role} (not one the service gives a meaning to)`;
}

/** Every grant of the claims, in plain words. */
function grantsInWords(claims) {
  const out = [];
  if (claims.sub !== undefined) out.push(`connects as user ${claims.sub}`);
  else out.push('connects without a user id');
  for (const role of [].concat(claims.role ?? [])) out.push(roleInWords(role));
  for (const group of [].concat(claims['webpubsub.group'] ?? [])) out.push(`is put in group ${group} on connecting`);
  if (![].concat(claims.role ?? []).length) out.push('may not join, leave or send to any group itself');
  if (claims.aud) out.push(`is valid only for ${claims.aud}`);
  return out;
}

function fill(list, items) {
  list.replaceChildren(...items.map((text) => Object.assign(document.createElement('li'), { textContent: text })));
}

function setStatus(text, ok) {
  const s = $('status');
  s.textContent = text;
  s.className = ok ? 'ok' : 'bad';
}

/** The query for /negotiate: only the fields the developer filled. */
function negotiateQuery() {
  const q = new URLSearchParams({ hub: $('hub').value.trim() });
  for (const r of words($('roles').value)) q.append('role', r);
  for (const g of words($('groups').value)) q.append('group', g);
  if ($('minutes').value) q.set('expirationTimeInMinutes', $('minutes').value);
  if ($('protocol').value) q.set('clientProtocol', $('protocol').value);
  return q;
}

function credentialHeaders() {
  const value = $('cred-value').value.trim();
  switch ($('cred-kind').value) {
    case 'apikey': return { 'X-API-Key': value };
    case 'bearer': return { Authorization: `Bearer ${value}` };
    default: return {};
  }
}

async function negotiate(event) {
  event.preventDefault();
  $('negotiate').disabled = true;
  setStatus('asking /negotiate...', true);
  try {
    // GET on this origin: the browser adds this site's cookies and nothing else
    const res = await fetch(`negotiate?${negotiateQuery()}`, { credentials: 'same-origin', headers: credentialHeaders() });
    const text = await res.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    if (!res.ok) {
      const retry = res.headers.get('Retry-After');
      const why = body?.error ? `${body.error.code}: ${body.error.message}` : text.slice(0, 200);
      setStatus(`${res.status} ${why}${retry ? ` (retry after ${retry} s)` : ''}`, false);
      return;
    }
    show(body);
    setStatus(`${res.status}: token issued`, true);
  } catch (e) {
    setStatus(`the request failed: ${e.message}`, false);
  } finally {
    $('negotiate').disabled = false;
  }
}

function show(body) {
  answer = body;
  const { header, claims } = decodeJwt(body.token);
  $('url').value = body.url;
  $('jwt-header').textContent = JSON.stringify(header, null, 2);
  $('jwt-claims').textContent = JSON.stringify(claims, null, 2);
  $('raw').textContent = JSON.stringify({ ...body, token: `${body.token.slice(0, 12)}...` }, null, 2);
  fill($('grants'), grantsInWords(claims));
  expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : 0;
  tick();
  $('answer').hidden = false;
  $('connect-section').hidden = false;
}

function tick() {
  if (!answer) return;
  const left = Math.max(0, Math.floor((expiresAt - Date.now()) / 1000));
  const hms = [Math.floor(left / 3600), Math.floor(left / 60) % 60, left % 60]
    .map((n) => String(n).padStart(2, '0')).join(':');
  const el = $('time-left');
  el.textContent = !expiresAt ? 'the token has no exp'
    : left > 0 ? `${hms} left (expires ${new Date(expiresAt).toLocaleString()})` : 'expired: negotiate again';
  el.className = `big ${left > 60 ? 'ok' : 'bad'}`;
}

async function copyUrl() {
  try {
    await navigator.clipboard.writeText($('url').value);
    $('copy').textContent = 'Copied';
  } catch {
    $('url').select();
    $('copy').textContent = 'Selected: press Ctrl+C';
  }
  setTimeout(() => { $('copy').textContent = 'Copy URL'; }, 2000);
}

/** kind: 'in' (from the service), 'out' (sent), 'err' (the page's own notes); bad: show in red. */
function log(kind, text, bad = kind === 'err') {
  const li = Object.assign(document.createElement('li'), { className: bad ? 'err' : kind });
  li.textContent = `${new Date().toLocaleTimeString()} ${kind === 'in' ? '<-' : kind === 'out' ? '->' : '!!'} ${text}`;
  $('log').append(li);
  li.scrollIntoView({ block: 'nearest' });
}

const jsonProtocol = () => socket && socket.protocol.startsWith('json.');

function setConnected(open) {
  $('connect').disabled = open;
  $('disconnect').disabled = !open;
  for (const id of ['join', 'leave', 'send']) $(id).disabled = !open || (id !== 'send' && !jsonProtocol());
}

function connect() {
  if (!answer) return;
  const sub = $('subprotocol').value;
  lastSequenceId = 0;
  try {
    socket = sub ? new WebSocket(answer.url, sub) : new WebSocket(answer.url);
  } catch (e) {
    return log('err', `cannot open: ${e.message}`);
  }
  const ws = socket; // handlers of a closed socket must not touch the next one
  $('ws-state').textContent = 'connecting...';
  ws.onopen = () => {
    $('ws-state').textContent = `connected (subprotocol: ${ws.protocol || 'none'})`;
    setConnected(true);
  };
  ws.onmessage = (e) => {
    const refused = typeof e.data === 'string' && /"success":false/.test(e.data); // a refused ack, in red
    log('in', typeof e.data === 'string' ? e.data : `(${e.data.size ?? e.data.byteLength} bytes of binary)`, refused);
    if (ws.protocol === 'json.reliable.webpubsub.azure.v1') acknowledge(e.data);
  };
  ws.onerror = () => log('err', 'WebSocket error (the browser gives no detail; see the close code)');
  ws.onclose = (e) => {
    log('err', `closed: code ${e.code}${e.reason ? `, ${e.reason}` : ''}`);
    if (socket !== ws) return;
    $('ws-state').textContent = 'not connected';
    socket = null;
    setConnected(false);
  };
}

/** The reliable protocol wants each sequenceId acknowledged. */
function acknowledge(data) {
  try {
    const msg = JSON.parse(data);
    if (typeof msg.sequenceId === 'number' && msg.sequenceId > lastSequenceId) {
      lastSequenceId = msg.sequenceId;
      transmit({ type: 'sequenceAck', sequenceId: lastSequenceId });
    }
  } catch { /* not JSON: nothing to acknowledge */ }
}

function transmit(msg) {
  const text = typeof msg === 'string' ? msg : JSON.stringify(msg);
  socket.send(text);
  log('out', text);
}

function group(type) {
  const g = $('join-group').value.trim();
  if (socket && g) transmit({ type, group: g, ackId: ++ackId });
}

function send(event) {
  event.preventDefault();
  if (!socket) return;
  const data = $('send-text').value;
  if (!jsonProtocol()) return transmit(data); // a simple client's message goes to the upstream as is
  return transmit({ type: 'sendToGroup', group: $('send-group').value.trim(), dataType: 'text', data, ackId: ++ackId });
}

document.addEventListener('DOMContentLoaded', () => {
  $('cred-kind').addEventListener('change', () => { $('cred-value-label').hidden = $('cred-kind').value === 'none'; });
  $('negotiate-form').addEventListener('submit', negotiate);
  $('copy').addEventListener('click', copyUrl);
  $('connect').addEventListener('click', connect);
  $('disconnect').addEventListener('click', () => socket?.close(1000));
  $('join-form').addEventListener('submit', (e) => { e.preventDefault(); group('joinGroup'); });
  $('leave').addEventListener('click', () => group('leaveGroup'));
  $('send-form').addEventListener('submit', send);
  setInterval(tick, 1000);
});
