// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
// Connection figures from RTCPeerConnection.getStats(): what the doctor's
// indicator shows and what the console reports to the server (`stats`).

function selectedPair(report) {
  let pair = null;
  report.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId)
      pair = report.get(s.selectedCandidatePairId) || pair;
  });
  if (!pair)
    report.forEach((s) => {
      if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
    });
  return pair;
}

function sum(report, type, kind, field) {
  let total = 0;
  report.forEach((s) => {
    if (s.type === type && (!kind || s.kind === kind) && Number.isFinite(s[field])) total += s[field];
  });
  return total;
}

function mainVideo(report) {
  let best = null;
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video' && (!best || (s.framesDecoded || 0) > (best.framesDecoded || 0)))
      best = s;
  });
  return best;
}

// One sample; `previous` (the last sample's raw counters) gives rates.
export function sample(report, previous) {
  const now = performance.now();
  const pair = selectedPair(report);
  const video = mainVideo(report);
  const raw = {
    time: now,
    bytesReceived: sum(report, 'inbound-rtp', null, 'bytesReceived'),
    bytesSent: sum(report, 'outbound-rtp', null, 'bytesSent'),
    packetsReceived: sum(report, 'inbound-rtp', null, 'packetsReceived'),
    packetsLost: sum(report, 'inbound-rtp', null, 'packetsLost'),
  };
  const q = {
    raw,
    rtt_ms: pair && Number.isFinite(pair.currentRoundTripTime) ? pair.currentRoundTripTime * 1000 : null,
    available_kbps: pair && Number.isFinite(pair.availableOutgoingBitrate) ? pair.availableOutgoingBitrate / 1000 : null,
    bytes_received: raw.bytesReceived,
    bytes_sent: raw.bytesSent,
    frames_decoded: video ? video.framesDecoded || 0 : 0,
    fps: video && Number.isFinite(video.framesPerSecond) ? video.framesPerSecond : (video ? 0 : null),
    freezes: video ? video.freezeCount || 0 : 0,
    width: video ? video.frameWidth || 0 : 0,
    height: video ? video.frameHeight || 0 : 0,
    loss_pct: null,
    bitrate_kbps: null,
    local_candidate_type: null,
    remote_candidate_type: null,
    relay_protocol: null,
  };
  if (pair) {
    const local = report.get(pair.localCandidateId);
    const remote = report.get(pair.remoteCandidateId);
    q.local_candidate_type = local ? local.candidateType : null;
    q.remote_candidate_type = remote ? remote.candidateType : null;
    q.relay_protocol = local && local.relayProtocol ? local.relayProtocol : null;
  }
  if (previous) {
    const dt = (now - previous.time) / 1000;
    const received = raw.packetsReceived - previous.packetsReceived;
    const lost = Math.max(0, raw.packetsLost - previous.packetsLost);
    if (received + lost > 0) q.loss_pct = (100 * lost) / (received + lost);
    else q.loss_pct = 0;
    if (dt > 0) q.bitrate_kbps = ((raw.bytesReceived - previous.bytesReceived) * 8) / dt / 1000;
  }
  q.level = level(q);
  return q;
}

// good / fair / poor, as a doctor would judge the call.
export function level(q) {
  if (q.rtt_ms === null && q.bitrate_kbps === null) return 'unknown';
  const rtt = q.rtt_ms ?? 0;
  const loss = q.loss_pct ?? 0;
  const fps = q.fps;
  if (rtt > 800 || loss > 8 || (fps !== null && fps < 5)) return 'poor';
  if (rtt > 300 || loss > 2 || (fps !== null && fps < 15)) return 'fair';
  return 'good';
}

// The `stats` message (docs/protocol.md "Quality"): only known members,
// only numbers ≥ 0.
export function statsMessage(consultation, q) {
  const msg = { type: 'stats', consultation };
  for (const key of ['rtt_ms', 'loss_pct', 'bitrate_kbps', 'fps', 'bytes_sent', 'bytes_received']) {
    const v = q[key];
    if (Number.isFinite(v) && v >= 0) msg[key] = key === 'loss_pct' ? Math.min(100, v) : v;
  }
  for (const key of ['local_candidate_type', 'remote_candidate_type'])
    if (['host', 'srflx', 'prflx', 'relay'].includes(q[key])) msg[key] = q[key];
  return msg;
}
