// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
//
// The comparison server for bench/run-signaling-bench: a minimal Node.js
// signaling server on the `ws` package that speaks the subset of
// docs/protocol.md the load uses (hello/welcome with a token checked against
// SHA-256 hashes, presence/queue, consult.request/queued,
// consult.accept/start, ice and sdp forwarding with `from`, ping/pong), with
// the same per-connection limits as lastmile-signaling (message size,
// token-bucket rate, hello timeout, connection count). It keeps everything in
// memory: it is the lean-but-reasonable Node implementation the C server is
// measured against, not a second server to deploy.
//
//   node node-ws-server.mjs --accounts FILE [--address 127.0.0.1] [--port 0]
//        [--rate-burst 200] [--rate-per-second 50] [--max-connections 20000]
//
// FILE is JSON: {"accounts": [{"token_sha256": HEX, "role": "clinic",
// "name": "clinic-1", "specialties": []}, ...]}. Prints
// "listening on http://ADDRESS:PORT/" on stdout once it accepts connections.

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const { values: opt } = parseArgs({
  options: {
    accounts: { type: 'string' },
    address: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'rate-burst': { type: 'string', default: '200' },
    'rate-per-second': { type: 'string', default: '50' },
    'max-connections': { type: 'string', default: '20000' },
    'max-message-bytes': { type: 'string', default: '65536' },
    'hello-timeout': { type: 'string', default: '10' },
  },
});
if (!opt.accounts) {
  console.error('usage: node-ws-server.mjs --accounts FILE [--address A] [--port P]');
  process.exit(2);
}

const RATE_BURST = Number(opt['rate-burst']);
const RATE_PER_S = Number(opt['rate-per-second']);
const MAX_CONNECTIONS = Number(opt['max-connections']);
const MAX_MESSAGE = Number(opt['max-message-bytes']);
const HELLO_TIMEOUT_MS = Number(opt['hello-timeout']) * 1000;

const accounts = new Map();
for (const a of JSON.parse(readFileSync(opt.accounts, 'utf8')).accounts)
  accounts.set(a.token_sha256, { role: a.role, name: a.name, specialties: a.specialties ?? [] });

const consultations = new Map(); // id -> {id, clinic, doctor, specialty, urgency, patient_ref, state}
const waiting = [];              // consultations in the order doctors see them
const availableDoctors = new Set();
let connections = 0;

const URGENCY_RANK = { emergency: 0, urgent: 1, routine: 2 };

function newId(prefix) {
  return prefix + randomBytes(9).toString('base64url');
}

function send(peer, obj) {
  if (peer.ws.readyState === 1)
    peer.ws.send(JSON.stringify(obj));
}

function sendError(peer, id, code, message) {
  const e = { type: 'error', code, message };
  if (id !== undefined) e.id = id;
  send(peer, e);
}

function isStr(v, min, max) {
  return typeof v === 'string' && Buffer.byteLength(v) >= min && Buffer.byteLength(v) <= max;
}

function queueFor(doctor) {
  const sp = doctor.account.specialties;
  const now = Date.now();
  return waiting
    .filter((c) => sp.length === 0 || c.specialty === 'general' || sp.includes(c.specialty))
    .map((c) => ({ consultation: c.id, clinic: c.clinic.account.name, specialty: c.specialty,
      urgency: c.urgency, patient_ref: c.patient_ref, waiting_s: Math.floor((now - c.requested) / 1000) }));
}

function broadcastQueue() {
  for (const d of availableDoctors)
    if (!d.consultation) send(d, { type: 'queue', waiting: queueFor(d) });
}

function peerInfo(p) {
  return { peer: p.id, role: p.account.role, name: p.account.name };
}

const handlers = {
  hello(peer, msg) {
    if (peer.account) return sendError(peer, msg.id, 'bad_request', 'hello was already sent');
    if (!isStr(msg.token, 1, 256)) return sendError(peer, msg.id, 'bad_request', 'token must be a string');
    const account = accounts.get(createHash('sha256').update(msg.token).digest('hex'));
    if (!account) {
      sendError(peer, msg.id, 'unauthorized', 'unknown token');
      peer.ws.close(1008, 'unauthorized');
      return;
    }
    clearTimeout(peer.helloTimer);
    peer.helloTimer = null;
    peer.account = account;
    peer.id = newId('p-');
    const w = { type: 'welcome', peer: peer.id, role: account.role, name: account.name,
      specialties: account.specialties, ice_servers: [], resume: newId('r_'), resumed: false, grace_s: 30 };
    if (msg.id !== undefined) w.id = msg.id;
    send(peer, w);
  },

  ping(peer, msg) {
    send(peer, msg.id === undefined ? { type: 'pong' } : { type: 'pong', id: msg.id });
  },

  presence(peer, msg) {
    if (peer.account.role !== 'doctor') return sendError(peer, msg.id, 'forbidden', 'only doctors send presence');
    if (msg.status === 'available') {
      availableDoctors.add(peer);
      if (!peer.consultation) send(peer, { type: 'queue', waiting: queueFor(peer) });
    } else if (msg.status === 'away') {
      availableDoctors.delete(peer);
    } else {
      return sendError(peer, msg.id, 'bad_request', 'status must be available or away');
    }
    if (msg.id !== undefined) send(peer, { type: 'ack', id: msg.id });
  },

  'consult.request'(peer, msg) {
    if (peer.account.role !== 'clinic') return sendError(peer, msg.id, 'forbidden', 'only clinics request');
    if (peer.consultation) return sendError(peer, msg.id, 'conflict', 'a request is already open');
    if (!isStr(msg.specialty, 1, 64)) return sendError(peer, msg.id, 'bad_request', 'specialty');
    if (!(msg.urgency in URGENCY_RANK)) return sendError(peer, msg.id, 'bad_request', 'urgency');
    if (!isStr(msg.patient_ref, 1, 64)) return sendError(peer, msg.id, 'bad_request', 'patient_ref');
    const c = { id: newId('c-'), clinic: peer, doctor: null, specialty: msg.specialty, urgency: msg.urgency,
      patient_ref: msg.patient_ref, requested: Date.now(), state: 'waiting' };
    consultations.set(c.id, c);
    peer.consultation = c;
    let i = waiting.findIndex((w) => URGENCY_RANK[w.urgency] > URGENCY_RANK[c.urgency]);
    if (i < 0) i = waiting.length;
    waiting.splice(i, 0, c);
    const q = { type: 'consult.queued', consultation: c.id, position: i + 1 };
    if (msg.id !== undefined) q.id = msg.id;
    send(peer, q);
    broadcastQueue();
  },

  'consult.accept'(peer, msg) {
    if (peer.account.role !== 'doctor') return sendError(peer, msg.id, 'forbidden', 'only doctors accept');
    if (peer.consultation) return sendError(peer, msg.id, 'conflict', 'already in a consultation');
    const c = consultations.get(msg.consultation);
    if (!c) return sendError(peer, msg.id, 'not_found', 'no such consultation');
    if (c.state !== 'waiting') return sendError(peer, msg.id, 'conflict', 'consultation already taken');
    c.state = 'active';
    c.doctor = peer;
    peer.consultation = c;
    waiting.splice(waiting.indexOf(c), 1);
    const peers = [peerInfo(c.clinic), peerInfo(peer)];
    send(c.clinic, { type: 'consult.start', consultation: c.id, peers, media: { mode: 'direct', offer: true } });
    const s = { type: 'consult.start', consultation: c.id, peers, media: { mode: 'direct', offer: false } };
    if (msg.id !== undefined) s.id = msg.id;
    send(peer, s);
    broadcastQueue();
  },

  ice: forward,
  sdp: forward,
};

function forward(peer, msg) {
  const c = consultations.get(msg.consultation);
  if (!c) return sendError(peer, msg.id, 'not_found', 'no such consultation');
  if (c.state !== 'active' || (c.clinic !== peer && c.doctor !== peer))
    return sendError(peer, msg.id, 'forbidden', 'not a member of this consultation');
  const other = c.clinic === peer ? c.doctor : c.clinic;
  if (msg.to !== other.id) return sendError(peer, msg.id, 'forbidden', 'to is not another member');
  if (msg.type === 'ice' ? typeof msg.candidate !== 'object' || msg.candidate === null
    : typeof msg.sdp !== 'object' || msg.sdp === null)
    return sendError(peer, msg.id, 'bad_request', msg.type === 'ice' ? 'candidate' : 'sdp');
  const id = msg.id;
  delete msg.id;
  msg.from = peer.id;
  send(other, msg);
  if (id !== undefined) send(peer, { type: 'ack', id });
}

function allowed(peer) {
  const now = performance.now();
  peer.tokens = Math.min(RATE_BURST, peer.tokens + ((now - peer.refilled) / 1000) * RATE_PER_S);
  peer.refilled = now;
  if (peer.tokens < 1) return false;
  peer.tokens -= 1;
  return true;
}

function onMessage(data, isBinary) {
  const peer = this.peer;
  if (!allowed(peer)) {
    const now = performance.now();
    if (now - peer.lastLimited >= 1000) {
      peer.lastLimited = now;
      sendError(peer, undefined, 'rate_limited', 'too many messages');
    }
    return;
  }
  if (isBinary) return sendError(peer, undefined, 'bad_request', 'binary frames are not accepted');
  if (data.length > MAX_MESSAGE) return sendError(peer, undefined, 'too_large', 'message too large');
  let msg;
  try {
    msg = JSON.parse(data);
  } catch {
    return sendError(peer, undefined, 'bad_request', 'not JSON');
  }
  if (typeof msg !== 'object' || msg === null || typeof msg.type !== 'string')
    return sendError(peer, undefined, 'bad_request', 'no type');
  const handler = Object.hasOwn(handlers, msg.type) ? handlers[msg.type] : undefined;
  if (!handler) return sendError(peer, msg.id, 'bad_request', `unknown type ${msg.type}`);
  if (!peer.account && msg.type !== 'hello') return sendError(peer, msg.id, 'unauthorized', 'send hello first');
  handler(peer, msg);
}

function onClose() {
  const peer = this.peer;
  connections--;
  clearTimeout(peer.helloTimer);
  availableDoctors.delete(peer);
  const c = peer.consultation;
  if (c) {
    // No grace period here: the load never drops a socket mid-consultation.
    consultations.delete(c.id);
    const w = waiting.indexOf(c);
    if (w >= 0) waiting.splice(w, 1);
    const other = c.clinic === peer ? c.doctor : c.clinic;
    if (other) {
      other.consultation = null;
      send(other, { type: 'consult.ended', consultation: c.id, reason: 'disconnected', by: 'server' });
    }
  }
}

const http = createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'application/json' });
  res.end(req.url === '/healthz' ? '{"status":"ok"}' : '{}');
});
const wss = new WebSocketServer({ server: http, path: '/ws', maxPayload: Math.max(16 * MAX_MESSAGE, 1 << 20),
  clientTracking: false, perMessageDeflate: false });

wss.on('connection', (ws) => {
  connections++;
  if (connections > MAX_CONNECTIONS) {
    ws.on('close', () => connections--);
    ws.close(1013, 'server full');
    return;
  }
  const peer = { ws, id: null, account: null, consultation: null, tokens: RATE_BURST,
    refilled: performance.now(), lastLimited: -Infinity, helloTimer: null };
  peer.helloTimer = setTimeout(() => ws.close(1008, 'no hello'), HELLO_TIMEOUT_MS);
  ws.peer = peer;
  ws.on('message', onMessage);
  ws.on('close', onClose);
  ws.on('error', () => {});
});

http.listen(Number(opt.port), opt.address, () => {
  const { address, port } = http.address();
  console.log(`listening on http://${address}:${port}/`);
});

for (const sig of ['SIGINT', 'SIGTERM'])
  process.on(sig, () => process.exit(0));
