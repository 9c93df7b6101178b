// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
// The waiting queue as the doctor sees it: most urgent first (the server
// orders it), emergencies marked, the wait counting up between updates.

import { h, formatDuration, announce } from './dom.js';

const URGENCY_LABEL = { emergency: 'Emergency', urgent: 'Urgent', routine: 'Routine' };

export class QueueView {
  constructor({ table, empty, count, onAccept }) {
    this.table = table;
    this.body = table.tBodies[0];
    this.empty = empty;
    this.count = count;
    this.onAccept = onAccept;
    this.entries = [];
    this.receivedAt = 0;
    this.known = new Set();
    this.timer = setInterval(() => this.tick(), 1000);
  }

  // `waiting` from a `queue` message, or null when away.
  update(waiting) {
    this.entries = waiting || [];
    this.receivedAt = performance.now();
    const fresh = this.entries.filter((e) => !this.known.has(e.consultation));
    this.known = new Set(this.entries.map((e) => e.consultation));
    const emergencies = fresh.filter((e) => e.urgency === 'emergency');
    if (emergencies.length)
      announce(`New emergency request from ${emergencies[0].clinic}`);
    else if (fresh.length)
      announce(`New request from ${fresh[0].clinic}`);
    this.render(waiting === null);
  }

  render(away) {
    this.count.textContent = String(this.entries.length);
    document.title = `${this.entries.length ? `(${this.entries.length}) ` : ''}Doctor console · lastmile`;
    this.body.replaceChildren(...this.entries.map((e) => this.row(e)));
    this.table.hidden = this.entries.length === 0;
    this.empty.hidden = this.entries.length !== 0;
    this.empty.textContent = away ? 'You are away: the queue is not shown.'
                                  : 'No clinic is waiting.';
  }

  row(e) {
    const urgency = URGENCY_LABEL[e.urgency] || e.urgency;
    const button = h('button', {
      type: 'button', class: e.urgency === 'emergency' ? 'primary danger' : 'primary',
      'aria-label': `Accept ${urgency.toLowerCase()} request from ${e.clinic}, patient ${e.patient_ref}`,
      onclick: () => this.onAccept(e, button),
    }, 'Accept');
    return h('tr', { class: `urgency-${e.urgency}`, dataset: { consultation: e.consultation } },
      h('td', {}, h('span', { class: `badge ${e.urgency}` }, urgency)),
      h('td', {}, e.specialty),
      h('td', {}, e.clinic),
      h('td', { class: 'mono' }, e.patient_ref),
      h('td', { class: 'wait', dataset: { base: e.waiting_s } }, formatDuration(e.waiting_s)),
      h('td', { class: 'action' }, button));
  }

  tick() {
    const extra = (performance.now() - this.receivedAt) / 1000;
    for (const cell of this.body.querySelectorAll('td.wait'))
      cell.textContent = formatDuration(Number(cell.dataset.base) + extra);
  }
}
