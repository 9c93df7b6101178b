// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
// The doctor console (/doctor): sign in, go available, accept a waiting
// clinic, hold the consultation.

import { $, h, formatDuration, formatNumber, announce } from './dom.js';
import { Signal } from './signal.js';
import { setupSignIn } from './signin.js';
import { QueueView } from './queue.js';
import { Call } from './call.js';

const STORAGE_KEY = 'lastmile.doctor.token';
const LEVEL_TEXT = { good: 'good', fair: 'fair', poor: 'poor', unknown: 'connecting…' };
const STATE_TEXT = { connecting: 'Connecting…', open: 'Online', reconnecting: 'Reconnecting…', closed: 'Offline' };

const state = {
  signal: null,
  available: false,
  accepted: null,     // the queue entry the doctor accepted
  call: null,
  consultation: null,
  clinicName: null,
  startedAt: 0,
  elapsedTimer: 0,
  noticeTimer: 0,
};

const queueView = new QueueView({
  table: $('#queue'), empty: $('#queue-empty'), count: $('#queue-count'), onAccept: accept,
});

async function check(token) {
  const signal = new Signal(token);
  let welcome;
  try {
    welcome = await signal.connect();
  } catch (e) {
    if (e.code === 'unauthorized') throw new Error('This token was refused. Check it and try again.');
    throw new Error('The server cannot be reached. Check the network and try again.');
  }
  if (welcome.role !== 'doctor') {
    signal.close();
    throw new Error(`This is a token of a ${welcome.role} account: the doctor console needs a doctor account.`);
  }
  return signal;
}

function onSignedIn(token, signal) {
  state.signal = signal;
  const w = signal.welcome;
  const who = $('#who');
  who.textContent = w.specialties && w.specialties.length ? `${w.name} · ${w.specialties.join(', ')}` : w.name;
  who.hidden = false;
  $('#signout').hidden = false;
  $('#desk').hidden = false;
  showLinkState(signal.state);
  signal.addEventListener('message', (ev) => {
    const handler = handlers[ev.detail.type];
    if (handler) handler(ev.detail);
  });
  signal.addEventListener('state', (ev) => showLinkState(ev.detail));
  signal.addEventListener('refused', () => signIn.signOut());
  queueView.update(null);
}

function showLinkState(s) {
  const pill = $('#link-state');
  pill.hidden = false;
  pill.textContent = STATE_TEXT[s] || s;
  pill.dataset.state = s;
}

// --- presence and queue ---

async function setAvailable(available) {
  const button = $('#presence');
  button.disabled = true;
  const before = state.available;
  // The first `queue` may arrive before the ack.
  state.available = available;
  try {
    await state.signal.request({ type: 'presence', status: available ? 'available' : 'away' });
    button.setAttribute('aria-checked', String(available));
    $('#presence-label').textContent = available ? 'Available' : 'Away';
    $('#presence-help').textContent = available
      ? 'Clinics that wait for your specialties are listed below.'
      : 'Go available to see the waiting queue and receive requests.';
    if (!available) queueView.update(null);
  } catch (e) {
    state.available = before;
    notify(`Could not change presence: ${e.message}`);
  } finally {
    button.disabled = false;
  }
}

// Permission for the camera and microphone is obtained before any
// RTCPeerConnection exists: with it Chromium gathers plain host
// addresses instead of mDNS names libnice cannot resolve.
async function localMedia() {
  const video = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } };
  for (const constraints of [{ audio: true, video }, { audio: true }, { video }]) {
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch {
      // try with less
    }
  }
  return null;
}

async function accept(entry, button) {
  if (state.consultation) return;
  button.disabled = true;
  const stream = await localMedia();
  state.accepted = { ...entry, stream };
  try {
    await state.signal.request({ type: 'consult.accept', consultation: entry.consultation });
  } catch (e) {
    for (const t of stream ? stream.getTracks() : []) t.stop();
    state.accepted = null;
    button.disabled = false;
    const why = { conflict: 'Another doctor has already accepted this request.',
                  not_found: 'The clinic has withdrawn this request.' }[e.code] || e.message;
    notify(why);
  }
}

// --- the consultation ---

function onStart(msg) {
  if (state.consultation === msg.consultation) return;  // resumed: the media never stopped
  const entry = state.accepted && state.accepted.consultation === msg.consultation ? state.accepted : null;
  const clinic = (msg.peers || []).find((p) => p.role === 'clinic');
  state.consultation = msg.consultation;
  state.clinicName = clinic ? clinic.name : (entry && entry.clinic) || 'the clinic';
  state.startedAt = performance.now();
  const stream = entry ? entry.stream : null;
  const call = new Call({ signal: state.signal, start: msg, iceServers: state.signal.welcome.ice_servers,
                          localStream: stream });
  state.call = call;
  call.addEventListener('remote', (ev) => showRemote(ev.detail));
  call.addEventListener('quality', (ev) => showQuality(ev.detail));
  call.addEventListener('state', (ev) => showConnection(ev.detail));
  call.addEventListener('failed', (ev) => end(ev.detail.reason, ev.detail.message));

  $('#c-clinic').textContent = state.clinicName;
  $('#c-patient').textContent = entry ? entry.patient_ref : '–';
  $('#c-specialty').textContent = entry ? entry.specialty : '–';
  $('#c-urgency').replaceChildren(entry ? h('span', { class: `badge ${entry.urgency}` }, entry.urgency) : '–');
  $('#c-mode').textContent = call.mode === 'relay' ? 'through the hospital relay' : 'direct';
  const self = $('#self-video');
  self.srcObject = stream;
  self.hidden = !stream || stream.getVideoTracks().length === 0;
  resetControls(stream);
  showQuality(null);
  $('#desk').hidden = true;
  $('#consult').hidden = false;
  $('#remote-video').srcObject = null;
  $('#remote-tiles').replaceChildren();
  state.elapsedTimer = setInterval(() => {
    $('#c-elapsed').textContent = formatDuration((performance.now() - state.startedAt) / 1000);
  }, 1000);
  if (msg.resumed) notice('The page was reloaded during this consultation: its media is lost. End it, and the clinic can ask again.');
  else notice(`Connecting to ${state.clinicName}…`);
  announce(`Consultation with ${state.clinicName} started`);
}

function resetControls(stream) {
  const mute = $('#mute');
  const camera = $('#camera');
  mute.setAttribute('aria-pressed', 'false');
  mute.textContent = 'Mute microphone';
  mute.disabled = !stream || stream.getAudioTracks().length === 0;
  camera.setAttribute('aria-pressed', 'false');
  camera.textContent = 'Turn camera off';
  camera.disabled = !stream || stream.getVideoTracks().length === 0;
  $('#self-video').classList.remove('off');
}

function showRemote({ stream, main, name, key }) {
  let video;
  if (main) {
    video = $('#remote-video');
  } else {
    const tiles = $('#remote-tiles');
    video = tiles.querySelector(`video[data-key="${CSS.escape(key)}"]`);
    if (!video) {
      video = h('video', { autoplay: true, playsinline: true, dataset: { key }, 'aria-label': `${name || 'participant'}'s video` });
      tiles.append(h('figure', {}, video, h('figcaption', {}, name || 'participant')));
    }
  }
  if (video.srcObject !== stream) video.srcObject = stream;
  video.play().catch(() => {
    // Autoplay with sound needs a gesture on this page: ask for one.
    const play = $('#play');
    play.hidden = false;
  });
}

function showConnection(s) {
  if (s === 'connected') {
    hideNotice();
    announce(`Connected to ${state.clinicName}`);
  } else if (s === 'disconnected') {
    notice('The media connection is interrupted; trying to recover…');
  } else if (s === 'failed') {
    notice('The media connection failed.');
  }
}

function showQuality(q) {
  const box = $('#quality');
  const level = q ? q.level : 'unknown';
  box.dataset.level = level;
  $('#q-level').textContent = LEVEL_TEXT[level];
  $('#q-rtt').textContent = q ? formatNumber(q.rtt_ms, 0, 'ms') : '–';
  $('#q-loss').textContent = q ? formatNumber(q.loss_pct, 1, '%') : '–';
  $('#q-bitrate').textContent = q ? formatNumber(q.bitrate_kbps, 0, 'kbit/s') : '–';
  $('#q-fps').textContent = q && q.fps !== null
    ? `${formatNumber(q.fps, 0, 'fps')}${q.width ? ` · ${q.width}×${q.height}` : ''}` : '–';
  let path = '–';
  if (q && q.local_candidate_type) {
    const via = q.local_candidate_type === 'relay' || q.remote_candidate_type === 'relay' ? 'TURN relay' : 'peer to peer';
    path = `${state.call.mode === 'relay' ? 'hospital relay' : via} (${q.local_candidate_type} ↔ ${q.remote_candidate_type})`;
  }
  $('#q-path').textContent = path;
  // For tests and diagnostics: the raw counters behind the figures.
  box.dataset.framesDecoded = q ? String(q.frames_decoded) : '0';
  box.dataset.bytesReceived = q ? String(q.bytes_received) : '0';
}

function notice(text) {
  clearTimeout(state.noticeTimer);
  const n = $('#notice');
  n.textContent = text;
  n.hidden = false;
}

function hideNotice(afterMs = 0) {
  clearTimeout(state.noticeTimer);
  state.noticeTimer = setTimeout(() => { $('#notice').hidden = true; }, afterMs);
}

// A short message on the desk (queue) view.
function notify(text) {
  const b = $('#last-ended');
  b.textContent = text;
  b.hidden = false;
}

async function end(reason = 'completed', why = null) {
  if (!state.consultation) return;
  const consultation = state.consultation;
  if (why) notice(`Ending: ${why}`);
  if (state.call) state.call.reportFinal();
  try {
    await state.signal.request({ type: 'consult.end', consultation, reason });
  } catch (e) {
    // The server ends it anyway when it is gone; leave the call view.
    if (state.consultation === consultation) finish({ consultation, reason, by: null });
  }
}

function finish(msg) {
  if (msg.consultation !== state.consultation) return;
  clearInterval(state.elapsedTimer);
  if (state.call) state.call.close();
  state.call = null;
  state.consultation = null;
  state.accepted = null;
  $('#remote-video').srcObject = null;
  $('#self-video').srcObject = null;
  $('#play').hidden = true;
  $('#notice').hidden = true;
  $('#consult').hidden = true;
  $('#desk').hidden = false;
  const by = !msg.by ? '' : msg.by === 'server' ? ' by the server'
    : msg.by === state.signal.welcome.peer ? ' by you' : ` by ${state.clinicName}`;
  notify(`The consultation with ${state.clinicName} ended${by}: ${String(msg.reason).replace(/_/g, ' ')}.`);
  announce(`Consultation ended: ${msg.reason}`);
}

function memberName(peer) {
  return peer && typeof peer === 'object' ? peer.name : 'A participant';
}

const handlers = {
  queue: (m) => { if (state.available) queueView.update(Array.isArray(m.waiting) ? m.waiting : []); },
  'consult.start': onStart,
  sdp: (m) => { if (state.call && m.consultation === state.consultation) state.call.onSdp(m); },
  ice: (m) => { if (state.call && m.consultation === state.consultation) state.call.onIce(m); },
  'consult.ended': finish,
  'peer.away': (m) => notice(`${state.clinicName} lost its connection to the server; ` +
                             `waiting up to ${m.grace_s || 30} s for it to come back. The call may go on meanwhile.`),
  'peer.back': () => { notice(`${state.clinicName} is back.`); hideNotice(5000); },
  'peer.joined': (m) => { notice(`${memberName(m.peer)} joined.`); hideNotice(5000); },
  'peer.left': () => { notice('A participant left.'); hideNotice(5000); },
  welcome: (m) => {
    // Back after a dropped socket: the server kept the session or not.
    if (m.resumed) return;
    if (state.consultation) finish({ consultation: state.consultation, reason: 'disconnected', by: 'server' });
    if (state.available) setAvailable(true);
  },
  error: (m) => { if (state.consultation) notice(m.message); else notify(m.message); },
};

const signIn = setupSignIn({ storageKey: STORAGE_KEY, check, onSignedIn });

$('#signout').addEventListener('click', async () => {
  if (state.consultation) await end('completed');
  if (state.signal) state.signal.close();
  signIn.signOut();
});
$('#presence').addEventListener('click', () => setAvailable(!state.available));
$('#end').addEventListener('click', () => end('completed'));
$('#mute').addEventListener('click', (ev) => {
  const muted = ev.currentTarget.getAttribute('aria-pressed') !== 'true';
  state.call && state.call.setMuted(muted);
  ev.currentTarget.setAttribute('aria-pressed', String(muted));
  ev.currentTarget.textContent = muted ? 'Unmute microphone' : 'Mute microphone';
});
$('#camera').addEventListener('click', (ev) => {
  const off = ev.currentTarget.getAttribute('aria-pressed') !== 'true';
  state.call && state.call.setCameraOff(off);
  ev.currentTarget.setAttribute('aria-pressed', String(off));
  ev.currentTarget.textContent = off ? 'Turn camera on' : 'Turn camera off';
  $('#self-video').classList.toggle('off', off);
});
$('#play').addEventListener('click', (ev) => {
  ev.currentTarget.hidden = true;
  for (const v of document.querySelectorAll('#consult video')) v.play().catch(() => {});
});
