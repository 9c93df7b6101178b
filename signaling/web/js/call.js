// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
// One consultation's media: an RTCPeerConnection that answers the offer
// of the clinic's lastmile-client (direct mode) or of lastmile-relay
// (relay mode), trickles candidates through the signaling socket and
// samples getStats() for the indicator and the server's `stats`.

import { sample, statsMessage } from './quality.js';

const STATS_INTERVAL_MS = 1000;
const REPORT_EVERY_SAMPLES = 5;
const CONNECT_TIMEOUT_MS = 30000;
const MAX_REMOTE_CANDIDATES = 500;

// Chromium hides a host address behind a random "….local" mDNS name
// unless the page holds camera or microphone permission. The clinic's
// webrtcbin and the relay use libnice, which cannot resolve those names,
// so sending them only costs the peer a failed lookup (docs/web.md).
export function isMdnsCandidate(line) {
  const fields = line.split(' ');
  return fields.length > 4 && fields[4].toLowerCase().endsWith('.local');
}

// mid → a=sendrecv/sendonly/recvonly/inactive of an SDP's m-sections.
function directions(sdp) {
  const result = new Map();
  for (const section of sdp.split(/\r?\nm=/).slice(1)) {
    const mid = /\na=mid:(\S+)/.exec(section);
    const dir = /\na=(sendrecv|sendonly|recvonly|inactive)/.exec(section);
    if (mid) result.set(mid[1], dir ? dir[1] : 'sendrecv');
  }
  return result;
}

// webrtcbin asked for NACK on audio (do-nack) announces an RTX stream
// there (a=ssrc-group:FID); Chromium has no audio RTX and refuses the
// whole offer ("Failed to add remote stream ssrc"). Keep only each audio
// section's primary SSRC; the answer then leaves out audio RTX.
export function dropAudioRtxSsrcs(sdp) {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/);
  let audio = false;
  let repair = new Set();
  const out = [];
  for (const line of lines) {
    if (line.startsWith('m=')) {
      audio = line.startsWith('m=audio');
      repair = new Set();
      if (audio) {
        const start = lines.indexOf(line);
        for (let i = start + 1; i < lines.length && !lines[i].startsWith('m='); i++) {
          const g = /^a=ssrc-group:FID (\d+) (\d+)/.exec(lines[i]);
          if (g) repair.add(g[2]);
        }
      }
    }
    if (audio && line.startsWith('a=ssrc-group:FID')) continue;
    const ssrc = audio && /^a=ssrc:(\d+) /.exec(line);
    if (ssrc && repair.has(ssrc[1])) continue;
    out.push(line);
  }
  return out.join(eol);
}

// Events: 'remote' {key, stream, main, name}, 'state' (connection state),
// 'quality' (a sample from quality.js), 'failed' {reason, message}.
export class Call extends EventTarget {
  constructor({ signal, start, iceServers, localStream }) {
    super();
    this.signal = signal;
    this.consultation = start.consultation;
    this.mode = (start.media && start.media.mode) || 'direct';
    this.peers = start.peers || [];
    this.self = signal.welcome.peer;
    const other = this.peers.find((p) => p.peer !== this.self);
    this.remote = this.mode === 'relay' ? start.media.relay : other && other.peer;
    this.localStream = localStream;
    this.streamsByMid = new Map();
    this.remoteStreams = new Map();
    this.pendingCandidates = [];
    this.remoteCandidates = 0;
    this.mdnsDropped = 0;
    this.chain = Promise.resolve();
    this.previous = null;
    this.samples = 0;
    this.lastQuality = null;
    this.closed = false;

    this.pc = new RTCPeerConnection({ iceServers: iceServers || [], bundlePolicy: 'max-bundle' });
    this.pc.onicecandidate = (ev) => this.onLocalCandidate(ev.candidate);
    this.pc.ontrack = (ev) => this.onTrack(ev);
    this.pc.onconnectionstatechange = () => this.onConnectionState();
    this.statsTimer = setInterval(() => this.collectStats(), STATS_INTERVAL_MS);
    this.connectTimer = setTimeout(() => {
      if (this.pc.connectionState !== 'connected')
        this.fail('ice_failed', 'the media connection did not come up in 30 s');
    }, CONNECT_TIMEOUT_MS);
    if (start.media && start.media.offer) this.run(() => this.offer());
  }

  run(step) {
    this.chain = this.chain.then(step).catch((e) => this.fail('bad_sdp', e.message || String(e)));
  }

  fail(reason, message) {
    if (this.closed) return;
    console.error(`[${this.consultation}] ${reason}: ${message}`);
    this.dispatchEvent(new CustomEvent('failed', { detail: { reason, message } }));
  }

  // Only in case a server ever asks this side to offer: the protocol has
  // the clinic (direct) or the relay offer to doctors.
  async offer() {
    for (const track of this.localStream ? this.localStream.getTracks() : [])
      this.pc.addTransceiver(track, { direction: 'sendrecv', streams: [this.localStream] });
    for (const kind of ['audio', 'video'])
      if (!this.pc.getTransceivers().some((t) => t.receiver.track.kind === kind))
        this.pc.addTransceiver(kind, { direction: 'recvonly' });
    await this.pc.setLocalDescription();
    this.sendDescription();
  }

  sendDescription() {
    const d = this.pc.localDescription;
    this.signal.send({ type: 'sdp', consultation: this.consultation, to: this.remote,
                       sdp: { type: d.type, sdp: d.sdp } });
  }

  onSdp(msg) {
    if (!msg.sdp || typeof msg.sdp.sdp !== 'string') return;
    if (msg.from) this.remote = msg.from;
    if (Array.isArray(msg.streams))
      for (const s of msg.streams) if (s && s.mid) this.streamsByMid.set(String(s.mid), s.peer);
    const desc = { type: msg.sdp.type, sdp: dropAudioRtxSsrcs(msg.sdp.sdp) };
    this.run(async () => {
      await this.pc.setRemoteDescription(desc);
      if (desc.type === 'offer') {
        await this.attachLocal(directions(desc.sdp));
        await this.pc.setLocalDescription();
        this.sendDescription();
      }
      await this.flushCandidates();
    });
  }

  // Puts the camera and microphone on the first offered m-line of each
  // kind that lets this side send; the others stay receive-only.
  async attachLocal(offered) {
    const tracks = this.localStream ? this.localStream.getTracks() : [];
    for (const t of this.pc.getTransceivers()) {
      if (t.stopped || t.sender.track || !t.mid) continue;
      const dir = offered.get(t.mid) || 'sendrecv';
      const canSend = dir === 'sendrecv' || dir === 'recvonly';
      const track = canSend && tracks.find((tr) => tr.kind === t.receiver.track.kind &&
        !this.pc.getSenders().some((s) => s.track === tr));
      if (track) {
        await t.sender.replaceTrack(track);
        t.sender.setStreams(this.localStream);
        t.direction = dir === 'recvonly' ? 'sendonly' : 'sendrecv';
      } else {
        t.direction = dir === 'sendonly' || dir === 'sendrecv' ? 'recvonly' : 'inactive';
      }
    }
  }

  onIce(msg) {
    const c = msg.candidate;
    if (!c || typeof c.candidate !== 'string' || c.candidate === '') return;
    if (++this.remoteCandidates > MAX_REMOTE_CANDIDATES) return;
    const init = { candidate: c.candidate, sdpMLineIndex: c.sdpMLineIndex ?? 0 };
    if (typeof c.sdpMid === 'string') init.sdpMid = c.sdpMid;
    if (!this.pc.remoteDescription) this.pendingCandidates.push(init);
    else this.addCandidate(init);
  }

  async flushCandidates() {
    const list = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const init of list) await this.addCandidate(init);
  }

  async addCandidate(init) {
    try {
      await this.pc.addIceCandidate(init);
    } catch (e) {
      // One bad candidate is not fatal: others may still connect.
      console.warn(`[${this.consultation}] candidate refused: ${e.message}`);
    }
  }

  onLocalCandidate(candidate) {
    if (!candidate || !candidate.candidate || this.closed) return;
    if (isMdnsCandidate(candidate.candidate)) {
      this.mdnsDropped++;
      return;
    }
    const init = { candidate: candidate.candidate, sdpMLineIndex: candidate.sdpMLineIndex ?? 0 };
    if (candidate.sdpMid) init.sdpMid = candidate.sdpMid;
    this.signal.send({ type: 'ice', consultation: this.consultation, to: this.remote, candidate: init });
  }

  onTrack(ev) {
    const mid = ev.transceiver && ev.transceiver.mid;
    const peer = this.streamsByMid.get(mid);
    const member = this.peers.find((p) => p.peer === peer);
    const main = !member || member.role === 'clinic';
    const key = main ? 'main' : peer;
    let stream = this.remoteStreams.get(key);
    if (!stream) {
      stream = new MediaStream();
      this.remoteStreams.set(key, stream);
    }
    stream.addTrack(ev.track);
    this.dispatchEvent(new CustomEvent('remote', {
      detail: { key, stream, main, name: member ? member.name : null },
    }));
  }

  onConnectionState() {
    const state = this.pc.connectionState;
    if (state === 'connected') clearTimeout(this.connectTimer);
    this.dispatchEvent(new CustomEvent('state', { detail: state }));
  }

  async collectStats() {
    if (this.closed) return;
    const report = await this.pc.getStats();
    const q = sample(report, this.previous);
    this.previous = q.raw;
    this.lastQuality = q;
    this.dispatchEvent(new CustomEvent('quality', { detail: q }));
    if (++this.samples % REPORT_EVERY_SAMPLES === 0 && this.pc.connectionState === 'connected')
      this.signal.send(statsMessage(this.consultation, q));
  }

  setMuted(muted) {
    for (const t of this.localStream ? this.localStream.getAudioTracks() : []) t.enabled = !muted;
  }

  // A disabled track sends black frames at a trickle: the m-line and the
  // clinic's decoder stay as they are, and turning it back on is instant.
  setCameraOff(off) {
    for (const t of this.localStream ? this.localStream.getVideoTracks() : []) t.enabled = !off;
  }

  // The last figures go to the server before the consultation ends.
  reportFinal() {
    if (this.lastQuality && this.pc.connectionState === 'connected')
      this.signal.send(statsMessage(this.consultation, this.lastQuality));
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.statsTimer);
    clearTimeout(this.connectTimer);
    this.pc.close();
    for (const t of this.localStream ? this.localStream.getTracks() : []) t.stop();
  }
}
