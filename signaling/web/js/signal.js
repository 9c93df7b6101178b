// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
// The signaling WebSocket (docs/protocol.md): hello, requests answered by
// id, server messages as events, and resumption after a dropped socket.

const RECONNECT_MS = [500, 1000, 2000, 4000, 8000];
const REPLY_TIMEOUT_MS = 15000;
const MAX_OUTBOX = 200;

export class SignalError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export function signalingUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

// Events: 'message' (detail: the JSON object, for every server message
// that is not a reply), 'state' (detail: 'connecting' | 'open' |
// 'reconnecting' | 'closed'), 'refused' (detail: the error) when the
// token is refused.
export class Signal extends EventTarget {
  constructor(token) {
    super();
    this.token = token;
    this.welcome = null;
    this.resume = null;
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map();
    this.attempt = 0;
    this.closing = false;
    this.outbox = [];
  }

  // Resolves with `welcome`, rejects with a SignalError when refused.
  connect() {
    return new Promise((resolve, reject) => {
      this.firstWelcome = { resolve, reject };
      this.open();
    });
  }

  open() {
    this.emitState(this.welcome ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(signalingUrl());
    this.ws = ws;
    ws.onopen = () => {
      const hello = { type: 'hello', token: this.token };
      if (this.resume) hello.resume = this.resume;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = (ev) => this.closed(ws, ev);
  }

  receive(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    if (msg.type === 'welcome') {
      this.welcome = msg;
      this.resume = msg.resume;
      this.attempt = 0;
      // What was sent while the socket was down belongs to the session
      // only if the server kept it.
      const outbox = this.outbox;
      this.outbox = [];
      this.emitState('open');
      if (msg.resumed) for (const m of outbox) this.send(m);
      if (this.firstWelcome) {
        this.firstWelcome.resolve(msg);
        this.firstWelcome = null;
      }
    }
    if (msg.type === 'error' && msg.code === 'unauthorized' && msg.id === undefined) {
      this.refuse(new SignalError(msg.code, msg.message));
      return;
    }
    if (msg.id !== undefined && this.pending.has(msg.id)) {
      const { resolve, reject, timer } = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      clearTimeout(timer);
      if (msg.type === 'error') reject(new SignalError(msg.code, msg.message));
      else resolve(msg);
      // consult.start and live are state as well as replies.
      if (msg.type === 'error' || msg.type === 'ack' || msg.type === 'pong') return;
    }
    this.dispatchEvent(new CustomEvent('message', { detail: msg }));
  }

  refuse(error) {
    if (this.refused) return;
    this.refused = error;
    this.closing = true;
    if (this.firstWelcome) {
      this.firstWelcome.reject(error);
      this.firstWelcome = null;
    }
    this.dispatchEvent(new CustomEvent('refused', { detail: error }));
  }

  closed(ws, ev) {
    if (ws !== this.ws) return;
    for (const { reject, timer } of this.pending.values()) {
      clearTimeout(timer);
      reject(new SignalError('closed', 'the connection to the server was lost'));
    }
    this.pending.clear();
    if (ev.code === 1008 && ev.reason === 'unauthorized') {
      this.refuse(new SignalError('unauthorized', 'the server refused the token'));
    }
    if (this.closing) {
      this.emitState('closed');
      return;
    }
    if (!this.welcome && this.attempt >= 2) {
      this.refuse(new SignalError('unreachable', 'the server cannot be reached'));
      this.emitState('closed');
      return;
    }
    // Media keeps flowing peer to peer while the socket is down; coming
    // back within grace_s with `resume` keeps the consultation.
    const delay = RECONNECT_MS[Math.min(this.attempt, RECONNECT_MS.length - 1)];
    this.attempt++;
    this.emitState('reconnecting');
    setTimeout(() => { if (!this.closing) this.open(); }, delay);
  }

  emitState(state) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: state }));
  }

  // Fire and forget; kept for the resumed session while reconnecting.
  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN && this.state === 'open') {
      this.ws.send(JSON.stringify(msg));
      return true;
    }
    if (this.state === 'reconnecting' && this.outbox.length < MAX_OUTBOX) {
      this.outbox.push(msg);
      return true;
    }
    return false;
  }

  // Sends with an id and resolves with the reply (rejects on `error`).
  request(msg) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SignalError('timeout', `no reply to ${msg.type}`));
      }, REPLY_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      if (!this.send({ ...msg, id })) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new SignalError('closed', 'not connected to the server'));
      }
    });
  }

  close() {
    this.closing = true;
    if (this.ws) this.ws.close(1000, 'signed out');
  }
}
