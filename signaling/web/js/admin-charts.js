// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
// What a programme manager asks for, computed in the page from the
// session log of the chosen period (GET /api/v1/consultations).

import { $, h, isoDate, formatDuration } from './dom.js';
import { barChart, hbarChart, lineChart, dataTable, figure, legend } from './svg-chart.js';

const LIMIT = 1000;
const WAIT_BUCKETS = [
  ['< 1 min', 60], ['1–5 min', 300], ['5–15 min', 900], ['15–30 min', 1800], ['30–60 min', 3600], ['≥ 1 h', Infinity],
];
const STATUS_SERIES = [
  ['completed', ['completed']],
  ['cancelled', ['cancelled']],
  ['failed or disconnected', ['failed', 'disconnected']],
  ['still open', ['waiting', 'active']],
];

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function mean(values) {
  const v = values.filter((x) => x !== null && x !== undefined && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

// A consultation's call quality: the mean over its members' means.
function recordQuality(r) {
  const members = Object.values(r.quality || {});
  return { rtt: mean(members.map((m) => m.rtt_ms)), loss: mean(members.map((m) => m.loss_pct)) };
}

export class ChartsView {
  constructor({ api }) {
    this.api = api;
    this.loadedDays = null;
    $('#c-days').addEventListener('change', () => this.load());
  }

  show() {
    if (this.loadedDays !== $('#c-days').value) this.load();
  }

  async load() {
    const days = Number($('#c-days').value);
    this.loadedDays = String(days);
    const today = new Date();
    const first = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1));
    const since = first.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const note = $('#charts-note');
    note.textContent = 'Loading…';
    let records;
    try {
      ({ consultations: records } = await this.api.json('consultations', { since, limit: LIMIT }));
    } catch (e) {
      note.textContent = `Could not load the session log: ${e.message}`;
      return;
    }
    const dates = [];
    for (let i = 0; i < days; i++)
      dates.push(isoDate(new Date(first.getFullYear(), first.getMonth(), first.getDate() + i)));
    note.textContent = `${records.length} consultation${records.length === 1 ? '' : 's'} requested since ${dates[0]}` +
      (records.length >= LIMIT ? ` (the newest ${LIMIT} only)` : '') + '; days in this browser\'s time zone.';
    $('#charts').replaceChildren(
      this.perDay(records, dates), this.waits(records), this.reasons(records), this.quality(records, dates));
  }

  perDay(records, dates) {
    const labels = dates.map((d) => d.slice(5));
    const series = STATUS_SERIES.map(([name, statuses]) => ({
      name,
      values: dates.map((d) => records.filter((r) => isoDate(new Date(r.requested_at)) === d &&
                                                    statuses.includes(r.status)).length),
    }));
    return figure('Consultations per day', 'by how they ended',
      legend(series),
      barChart({ label: `Consultations per day over ${dates.length} days, by outcome`, categories: labels, series }),
      dataTable(['day', ...series.map((s) => s.name)], dates.map((d, i) => [d, ...series.map((s) => s.values[i])])));
  }

  waits(records) {
    const waits = records.filter((r) => r.started_at && Number.isFinite(r.wait_s)).map((r) => r.wait_s).sort((a, b) => a - b);
    const counts = WAIT_BUCKETS.map(() => 0);
    for (const w of waits) counts[WAIT_BUCKETS.findIndex(([, max]) => w < max)]++;
    const median = percentile(waits, 50);
    const p90 = percentile(waits, 90);
    const note = waits.length ? `median ${formatDuration(median)}, 90% within ${formatDuration(p90)} (${waits.length} answered requests)`
                              : 'no request was answered in this period';
    return figure('Time to a doctor', note,
      barChart({ label: `Wait before a doctor accepted: ${note}`, categories: WAIT_BUCKETS.map(([l]) => l),
                 series: [{ name: 'requests', values: counts }] }),
      dataTable(['wait', 'requests'], WAIT_BUCKETS.map(([l], i) => [l, counts[i]])));
  }

  reasons(records) {
    const counts = new Map();
    for (const r of records) if (r.end_reason) counts.set(r.end_reason, (counts.get(r.end_reason) || 0) + 1);
    const rows = [...counts.entries()].sort((a, b) => b[1] - a[1]);
    return figure('End reasons', rows.length ? `${records.filter((r) => r.end_reason).length} ended consultations` : 'none ended in this period',
      hbarChart({ label: `End reasons: ${rows.map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`,
                  labels: rows.map(([k]) => k), values: rows.map(([, v]) => v) }),
      dataTable(['reason', 'consultations'], rows));
  }

  quality(records, dates) {
    const byDay = dates.map((d) => records.filter((r) => r.started_at && isoDate(new Date(r.requested_at)) === d)
      .map(recordQuality));
    const rttValues = byDay.map((q) => {
      const sorted = q.map((x) => x.rtt).filter((x) => x !== null).sort((a, b) => a - b);
      return percentile(sorted, 50);
    });
    const lossValues = byDay.map((q) => mean(q.map((x) => x.loss)));
    const labels = dates.map((d) => d.slice(5));
    return figure('Call quality over time', 'per day: the median consultation\'s round trip, and the mean packet loss',
      lineChart({ label: 'Median round-trip time per day, in milliseconds', categories: labels,
                  series: [{ name: 'round trip', values: rttValues }], unit: 'ms', floor: 100 }),
      lineChart({ label: 'Mean packet loss per day, in percent', categories: labels,
                  series: [{ name: 'loss', values: lossValues }], unit: '%', floor: 2 }),
      dataTable(['day', 'median RTT (ms)', 'mean loss (%)'], dates.map((d, i) => [d,
        rttValues[i] === null ? '–' : rttValues[i].toFixed(0), lossValues[i] === null ? '–' : lossValues[i].toFixed(2)])));
  }
}
