// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
//
// Runs inside a test-only Chromium page (page.addScriptTag): protocol
// peers the browser tests need and no shipped program is yet, speaking
// docs/protocol.md over the real server:
// - a clinic without media, to request, cancel, or be left waiting;
// - a relay that registers and offers its fake camera to the doctor
//   member of each consultation it opens, with `streams` naming the clinic
//   as the source, as lastmile-relay does. It never offers to the clinic.
// State for the test is in window.fake.

(() => {
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;

  function connect(token, onMessage) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl);
      let id = 1;
      const waiting = new Map();
      const peer = {
        ws,
        welcome: null,
        send: (m) => ws.send(JSON.stringify(m)),
        request: (m) => new Promise((res, rej) => {
          const rid = `r${id++}`;
          waiting.set(rid, { res, rej });
          ws.send(JSON.stringify({ ...m, id: rid }));
        }),
      };
      ws.onopen = () => ws.send(JSON.stringify({ type: 'hello', token }));
      ws.onclose = () => reject(new Error('closed'));
      ws.onmessage = (ev) => {
        const m = JSON.parse(ev.data);
        if (m.type === 'welcome') {
          peer.welcome = m;
          resolve(peer);
        }
        if (m.id !== undefined && waiting.has(m.id)) {
          const w = waiting.get(m.id);
          waiting.delete(m.id);
          if (m.type === 'error') w.rej(new Error(`${m.code}: ${m.message}`));
          else w.res(m);
        }
        onMessage(m, peer);
      };
    });
  }

  const fake = {
    log: [],
    relay: { opened: [], legs: new Map() },
    clinics: [],
  };
  window.fake = fake;

  fake.clinic = async (token) => {
    const clinic = { events: [], consultation: null };
    clinic.peer = await connect(token, (m) => clinic.events.push(m.type));
    fake.clinics.push(clinic);
    return fake.clinics.length - 1;
  };

  fake.request = async (index, fields) => {
    const clinic = fake.clinics[index];
    const queued = await clinic.peer.request({ type: 'consult.request', ...fields });
    clinic.consultation = queued.consultation;
    return queued.consultation;
  };

  fake.cancel = async (index) => {
    const clinic = fake.clinics[index];
    await clinic.peer.request({ type: 'consult.cancel', consultation: clinic.consultation });
  };

  async function offerTo(relay, open, member, clinic) {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    const leg = { pc, state: 'new', framesDecoded: 0 };
    relay.legs.set(open.consultation, leg);
    pc.onconnectionstatechange = () => { leg.state = pc.connectionState; };
    pc.onicecandidate = (ev) => {
      if (ev.candidate && ev.candidate.candidate)
        relay.peer.send({ type: 'ice', consultation: open.consultation, to: member.peer,
                          candidate: { candidate: ev.candidate.candidate, sdpMLineIndex: ev.candidate.sdpMLineIndex,
                                       sdpMid: ev.candidate.sdpMid } });
    };
    const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    const audio = pc.addTransceiver(media.getAudioTracks()[0], { direction: 'sendrecv' });
    const video = pc.addTransceiver(media.getVideoTracks()[0], { direction: 'sendrecv' });
    await pc.setLocalDescription();
    relay.peer.send({
      type: 'sdp', consultation: open.consultation, to: member.peer,
      sdp: { type: 'offer', sdp: pc.localDescription.sdp },
      streams: [{ mid: audio.mid, kind: 'audio', peer: clinic.peer }, { mid: video.mid, kind: 'video', peer: clinic.peer }],
    });
    leg.timer = setInterval(async () => {
      const report = await pc.getStats();
      report.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') leg.framesDecoded = s.framesDecoded || 0;
      });
    }, 500);
  }

  fake.startRelay = async (token) => {
    const relay = fake.relay;
    relay.peer = await connect(token, async (m) => {
      if (m.type === 'relay.open') {
        relay.opened.push(m.consultation);
        const member = m.peers.find((p) => p.role === 'doctor');
        const clinic = m.peers.find((p) => p.role === 'clinic');
        if (member && clinic) offerTo(relay, m, member, clinic).catch((e) => fake.log.push(String(e)));
      } else if (m.type === 'sdp' && m.sdp.type === 'answer') {
        const leg = relay.legs.get(m.consultation);
        if (leg) await leg.pc.setRemoteDescription(m.sdp);
      } else if (m.type === 'ice') {
        const leg = relay.legs.get(m.consultation);
        if (leg && m.candidate.candidate) await leg.pc.addIceCandidate(m.candidate).catch(() => {});
      } else if (m.type === 'consult.ended') {
        const leg = relay.legs.get(m.consultation);
        if (leg) { clearInterval(leg.timer); leg.pc.close(); leg.state = 'ended'; }
      }
    });
    await relay.peer.request({ type: 'relay.register', max_consultations: 4, max_participants: 4 });
    return relay.peer.welcome.peer;
  };
})();
