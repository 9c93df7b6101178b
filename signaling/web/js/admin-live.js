// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
// The live view: the `live` object (GET /api/v1/live, then every
// `live` push) as figures and tables, its clocks running between pushes.

import { $, h, formatDuration, formatNumber, formatTime } from './dom.js';
import { level } from './quality.js';

const ALERT_WAIT_S = 600;

// One line per member: its mean figures and how good they are.
function qualityCell(quality) {
  const members = Object.entries(quality || {});
  if (!members.length) return h('td', { class: 'quality-cell' }, h('span', { class: 'help' }, 'no report yet'));
  return h('td', { class: 'quality-cell' }, members.map(([name, q]) => {
    const lv = level({ rtt_ms: q.rtt_ms, loss_pct: q.loss_pct, fps: q.fps ?? null, bitrate_kbps: q.bitrate_kbps });
    const path = q.local_candidate_type ? ` · ${q.local_candidate_type}↔${q.remote_candidate_type}` : '';
    return h('div', { class: `q q-${lv}`, dataset: { level: lv } },
      h('span', { class: `status ${lv === 'good' ? 'completed' : lv === 'poor' ? 'failed' : ''}` }, lv), ' ',
      `${name}: ${formatNumber(q.rtt_ms, 0, 'ms')}, ${formatNumber(q.loss_pct, 1, '% loss')}, ` +
      `${formatNumber(q.bitrate_kbps, 0, 'kbit/s')}${path}`);
  }));
}

export class LiveView {
  constructor({ onNames }) {
    this.onNames = onNames;
    this.live = null;
    this.receivedAt = 0;
    setInterval(() => this.tick(), 1000);
  }

  render(live) {
    if (!live || !live.queue) return;
    this.live = live;
    this.receivedAt = performance.now();
    const queue = live.queue;
    const active = live.active || [];
    const online = live.online || { clinics: [], doctors: [], relays: [] };
    $('#live-queue-length').textContent = String(queue.length);
    $('#live-active-count').textContent = String(active.length);
    const available = online.doctors.filter((d) => d.status === 'available').length;
    $('#live-doctors').textContent = `${available} / ${online.doctors.length}`;
    $('#live-clinics').textContent = String(online.clinics.length);
    $('#live-relays').textContent = String(online.relays.length);
    $('#live-updated').textContent = `updated ${formatTime(new Date().toISOString())}`;

    $('#live-waiting').tBodies[0].replaceChildren(...(queue.waiting || []).map((w) =>
      h('tr', { class: `urgency-${w.urgency}` },
        h('td', {}, h('span', { class: `badge ${w.urgency}` }, w.urgency)),
        h('td', {}, w.clinic), h('td', {}, w.specialty), h('td', { class: 'mono' }, w.patient_ref),
        h('td', { class: 'num wait', dataset: { base: w.waiting_s } }, formatDuration(w.waiting_s)))));
    $('#live-waiting').hidden = !queue.waiting || queue.waiting.length === 0;
    $('#live-waiting-empty').hidden = !$('#live-waiting').hidden;

    $('#live-active').tBodies[0].replaceChildren(...active.map((a) =>
      h('tr', { dataset: { consultation: a.consultation } },
        h('td', {}, a.clinic), h('td', {}, a.doctor), h('td', {}, a.specialty),
        h('td', {}, h('span', { class: `badge ${a.urgency}` }, a.urgency)),
        h('td', {}, a.media_mode),
        h('td', { class: 'wait', dataset: { since: a.started_at } }, formatDuration((Date.now() - Date.parse(a.started_at)) / 1000)),
        qualityCell(a.quality))));
    $('#live-active').hidden = active.length === 0;
    $('#live-active-empty').hidden = active.length !== 0;

    const list = (el, items) => el.replaceChildren(...(items.length ? items : [h('li', { class: 'none' }, 'none')]));
    list($('#online-doctors'), online.doctors.map((d) =>
      h('li', { class: d.status, title: d.status }, `${d.name} (${d.status})`)));
    list($('#online-clinics'), online.clinics.map((c) => h('li', {}, c)));
    list($('#online-relays'), online.relays.map((r) => h('li', {}, r)));
    this.onNames('clinics', online.clinics);
    this.onNames('doctors', online.doctors.map((d) => d.name));
    this.tick();
  }

  tick() {
    if (!this.live) return;
    const extra = (performance.now() - this.receivedAt) / 1000;
    const oldest = this.live.queue.length ? this.live.queue.oldest_wait_s + extra : null;
    $('#live-oldest').textContent = oldest === null ? '–' : formatDuration(oldest);
    $('#stat-oldest').classList.toggle('alert', oldest !== null && oldest > ALERT_WAIT_S);
    for (const cell of document.querySelectorAll('#live-waiting td.wait'))
      cell.textContent = formatDuration(Number(cell.dataset.base) + extra);
    for (const cell of document.querySelectorAll('#live-active td.wait'))
      cell.textContent = formatDuration((Date.now() - Date.parse(cell.dataset.since)) / 1000);
  }
}
