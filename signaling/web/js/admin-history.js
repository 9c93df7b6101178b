// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
// The session log: filters, the table, one consultation's timeline and
// the CSV export of exactly what the filters select.

import { $, h, formatDuration, formatTime, isoDate, announce } from './dom.js';

const LIMIT = 500;
const KIND_LABEL = {
  'consult.requested': 'requested', 'consult.queued': 'queued', 'consult.offered': 'shown to a doctor',
  'consult.accepted': 'accepted', 'consult.started': 'started', 'peer.away': 'member away',
  'peer.back': 'member back', stats: 'quality report', 'consult.invited': 'doctor invited',
  'consult.joined': 'doctor joined', 'consult.left': 'doctor left', 'recording.consent': 'recording consent',
  'recording.saved': 'recording saved', 'consult.ended': 'ended', 'admin.read': 'read by an administrator',
};

// A local calendar day's start as an ISO instant the API takes.
function dayStart(dateText, plusDays = 0) {
  const [y, m, d] = dateText.split('-').map(Number);
  return new Date(y, m - 1, d + plusDays).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function detailText(detail) {
  if (!detail || typeof detail !== 'object') return detail ? String(detail) : '';
  return Object.entries(detail).map(([k, v]) => {
    if (v && typeof v === 'object') {
      const text = JSON.stringify(v);
      return `${k}: ${text.length > 160 ? `${text.slice(0, 157)}…` : text}`;
    }
    if (typeof v === 'number' && !Number.isInteger(v)) return `${k}: ${v.toFixed(Math.abs(v) < 10 ? 2 : 1)}`;
    return `${k}: ${v}`;
  }).join(' · ');
}

export class HistoryView {
  constructor({ api }) {
    this.api = api;
    this.loaded = false;
    this.names = { clinics: new Set(), doctors: new Set() };
    this.selected = null;
    $('#filters').addEventListener('submit', (ev) => { ev.preventDefault(); this.load(); });
    $('#f-reset').addEventListener('click', () => { $('#filters').reset(); this.load(); });
    $('#f-csv').addEventListener('click', () => this.exportCsv());
    $('#detail-close').addEventListener('click', () => this.closeDetail());
  }

  show() {
    if (!this.loaded) this.load();
  }

  addNames(kind, list) {
    const set = this.names[kind];
    const before = set.size;
    for (const n of list) if (n) set.add(n);
    if (set.size !== before)
      $(`#names-${kind}`).replaceChildren(...[...set].sort().map((n) => h('option', { value: n })));
  }

  params() {
    const since = $('#f-since').value;
    const until = $('#f-until').value;
    return {
      since: since ? dayStart(since) : '',
      until: until ? dayStart(until, 1) : '',
      clinic: $('#f-clinic').value.trim(),
      doctor: $('#f-doctor').value.trim(),
      status: $('#f-status').value,
      limit: LIMIT,
    };
  }

  async load() {
    this.loaded = true;
    // The export takes what the table shows, not unapplied edits.
    this.shown = this.params();
    const count = $('#history-count');
    count.textContent = 'Loading…';
    try {
      const { consultations } = await this.api.json('consultations', this.shown);
      this.render(consultations);
      count.textContent = consultations.length >= LIMIT
        ? `The newest ${LIMIT} consultations that match (narrow the dates to see older ones).`
        : `${consultations.length} consultation${consultations.length === 1 ? '' : 's'} match.`;
    } catch (e) {
      count.textContent = `Could not load the session log: ${e.message}`;
    }
  }

  render(records) {
    this.addNames('clinics', records.map((r) => r.clinic));
    this.addNames('doctors', records.map((r) => r.doctor));
    $('#history-table').tBodies[0].replaceChildren(...records.map((r) => {
      const open = () => this.openDetail(r.id, row);
      const row = h('tr', {
        class: 'clickable', tabindex: 0, dataset: { consultation: r.id },
        'aria-current': r.id === this.selected ? 'true' : 'false',
        onclick: open, onkeydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); open(); } },
      },
        h('td', { class: 'nowrap' }, formatTime(r.requested_at)), h('td', {}, r.clinic), h('td', {}, r.doctor || '–'),
        h('td', {}, r.specialty), h('td', {}, h('span', { class: `badge ${r.urgency}` }, r.urgency)),
        h('td', { class: 'mono' }, r.patient_ref),
        h('td', {}, h('span', { class: `status ${r.status}` }, r.status)),
        h('td', { class: 'num' }, formatDuration(r.wait_s)), h('td', { class: 'num' }, formatDuration(r.duration_s)),
        h('td', {}, r.end_reason || '–'), h('td', {}, r.media_mode || '–'));
      return row;
    }));
  }

  async openDetail(id, row) {
    this.selected = id;
    for (const tr of document.querySelectorAll('#history-table tbody tr'))
      tr.setAttribute('aria-current', tr === row ? 'true' : 'false');
    let record;
    try {
      record = await this.api.json(`consultations/${encodeURIComponent(id)}`);
    } catch (e) {
      announce(`Could not load the consultation: ${e.message}`);
      return;
    }
    const facts = [
      ['Consultation', record.id], ['Clinic', record.clinic], ['Doctor', record.doctor || '–'],
      ['Patient ref.', record.patient_ref], ['Status', record.status], ['End reason', record.end_reason || '–'],
      ['Media', record.relay ? `${record.media_mode} (${record.relay})` : record.media_mode || '–'],
      ['Waited', formatDuration(record.wait_s)], ['Lasted', formatDuration(record.duration_s)],
    ];
    $('#detail-facts').replaceChildren(...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
    const events = record.events || [];
    const t0 = events.length ? Date.parse(events[0].time) : 0;
    $('#timeline').replaceChildren(...events.map((e) => h('li', { class: `kind-${e.kind.replace(/\./g, '-')}` },
      h('div', { class: 't' }, `${formatTime(e.time)}  (+${formatDuration((Date.parse(e.time) - t0) / 1000)})`),
      h('div', {}, h('span', { class: 'k' }, KIND_LABEL[e.kind] || e.kind), e.actor ? ` · ${e.actor}` : ''),
      h('div', { class: 'd' }, detailText(e.detail)))));
    $('#detail-title').textContent = `Timeline of ${record.clinic} · ${formatTime(record.requested_at)}`;
    $('#detail').hidden = false;
    // Keyboard and screen-reader users land on what they opened.
    $('#detail-title').focus({ preventScroll: true });
    $('#detail').scrollIntoView({ block: 'nearest' });
  }

  closeDetail() {
    this.selected = null;
    $('#detail').hidden = true;
    const row = document.querySelector('#history-table tbody tr[aria-current="true"]');
    if (row) row.focus();
  }

  async exportCsv() {
    const p = this.shown || this.params();
    try {
      const blob = await this.api.blob('consultations.csv', p);
      const day = (iso) => (iso ? isoDate(new Date(iso)) : null);
      const until = p.until ? isoDate(new Date(Date.parse(p.until) - 1000)) : isoDate(new Date());
      const name = `lastmile-consultations-${day(p.since) || 'start'}-to-${until}.csv`;
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: name, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      announce(`Exported ${name}`);
    } catch (e) {
      $('#history-count').textContent = `Could not export: ${e.message}`;
    }
  }
}
