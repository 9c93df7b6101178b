// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
//
// The pages' pure functions, in node without a browser: the SDP and
// candidate handling that Chromium ↔ webrtcbin interop rests on, and the
// quality figures.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropAudioRtxSsrcs, isMdnsCandidate } from '../../signaling/web/js/call.js';
import { level, statsMessage } from '../../signaling/web/js/quality.js';
import { queryString } from '../../signaling/web/js/api.js';
import { formatDuration } from '../../signaling/web/js/dom.js';

// The shape of lastmile-client's offer (webrtcbin 1.22, NACK on both
// transceivers), trimmed.
const OFFER = [
  'v=0', 'o=- 1 0 IN IP4 0.0.0.0', 's=-', 't=0 0', 'a=group:BUNDLE video0 audio1',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97', 'a=rtpmap:96 VP8/90000', 'a=rtpmap:97 rtx/90000',
  'a=ssrc-group:FID 11 12', 'a=ssrc:11 cname:x', 'a=ssrc:12 cname:x', 'a=mid:video0',
  'm=audio 0 UDP/TLS/RTP/SAVPF 111 98', 'a=rtpmap:111 OPUS/48000/2', 'a=rtpmap:98 rtx/48000',
  'a=ssrc-group:FID 2061630750 1825212936', 'a=ssrc:2061630750 msid:u webrtctransceiver1',
  'a=ssrc:2061630750 cname:u', 'a=ssrc:1825212936 msid:u webrtctransceiver1',
  'a=ssrc:1825212936 cname:u', 'a=mid:audio1', '',
].join('\r\n');

test('audio RTX SSRCs are dropped, video RTX and the audio SSRC kept', () => {
  const out = dropAudioRtxSsrcs(OFFER);
  assert.ok(!out.includes('a=ssrc-group:FID 2061630750'));
  assert.ok(!out.includes('a=ssrc:1825212936'));
  assert.ok(out.includes('a=ssrc:2061630750 cname:u'));
  assert.ok(out.includes('a=ssrc-group:FID 11 12'));
  assert.ok(out.includes('a=ssrc:12 cname:x'));
  assert.ok(out.includes('a=rtpmap:98 rtx/48000'), 'payload types are left for the answer to settle');
  assert.ok(out.endsWith('\r\n') && !out.includes('\r\r'), 'CRLF kept');
});

test('an offer without audio RTX passes unchanged', () => {
  const plain = OFFER.replace(/a=ssrc-group:FID 2061630750 1825212936\r\n/, '')
    .replace(/a=ssrc:1825212936[^\r]*\r\n/g, '');
  assert.equal(dropAudioRtxSsrcs(plain), plain);
  assert.equal(dropAudioRtxSsrcs(''), '');
});

test('mDNS host candidates are recognised', () => {
  const cases = [
    ['candidate:1 1 udp 2122260223 4b1c8e2f-1d2a-4c1e-9a77-0f7f1b8e3c21.local 53210 typ host generation 0', true],
    ['candidate:1 1 UDP 2122260223 HOST-NAME.LOCAL 53210 typ host', true],
    ['candidate:1 1 udp 2122260223 10.213.7.1 53210 typ host generation 0', false],
    ['candidate:2 1 udp 1686052607 203.0.113.7 40000 typ srflx raddr 0.0.0.0 rport 0', false],
    ['candidate:3 1 udp 41885439 198.51.100.1 3478 typ relay raddr x.local rport 1', false],
    ['', false],
  ];
  for (const [line, mdns] of cases) assert.equal(isMdnsCandidate(line), mdns, line);
});

test('quality levels follow the documented thresholds', () => {
  assert.equal(level({ rtt_ms: null, bitrate_kbps: null, fps: null }), 'unknown');
  assert.equal(level({ rtt_ms: 40, loss_pct: 0, fps: 30, bitrate_kbps: 900 }), 'good');
  assert.equal(level({ rtt_ms: 400, loss_pct: 0, fps: 30, bitrate_kbps: 900 }), 'fair');
  assert.equal(level({ rtt_ms: 40, loss_pct: 3, fps: 30, bitrate_kbps: 900 }), 'fair');
  assert.equal(level({ rtt_ms: 900, loss_pct: 0, fps: 30, bitrate_kbps: 900 }), 'poor');
  assert.equal(level({ rtt_ms: 40, loss_pct: 10, fps: 30, bitrate_kbps: 900 }), 'poor');
  assert.equal(level({ rtt_ms: 40, loss_pct: 0, fps: 2, bitrate_kbps: 900 }), 'poor');
});

test('the stats message carries only valid members', () => {
  const msg = statsMessage('c-1', {
    rtt_ms: 12.5, loss_pct: 140, bitrate_kbps: NaN, fps: -1, bytes_sent: 10, bytes_received: null,
    local_candidate_type: 'host', remote_candidate_type: 'bogus',
  });
  assert.deepEqual(msg, { type: 'stats', consultation: 'c-1', rtt_ms: 12.5, loss_pct: 100, bytes_sent: 10,
                          local_candidate_type: 'host' });
});

test('empty filters are left out of API queries', () => {
  assert.equal(queryString({ status: '', clinic: 'a b', limit: 5, doctor: null }), '?clinic=a+b&limit=5');
  assert.equal(queryString({}), '');
});

test('durations read naturally', () => {
  assert.equal(formatDuration(null), '–');
  assert.equal(formatDuration(42.4), '42 s');
  assert.equal(formatDuration(75), '1 min 15 s');
  assert.equal(formatDuration(3700), '1 h 01 min');
});
