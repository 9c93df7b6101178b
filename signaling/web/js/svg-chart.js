// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
// Small charts in plain SVG: bars (stacked), horizontal bars and lines,
// each with a text alternative and its numbers in a table.

import { h, svg } from './dom.js';

const W = 560;
const H = 230;
const M = { left: 46, right: 12, top: 24, bottom: 42 };

const TICKS = 4;

// The axis top: TICKS times a round step (1, 2, 2.5 or 5 × 10^k), so that
// every tick label is round. Counts get whole-number steps.
function niceMax(max, whole = false) {
  if (!(max > 0)) return whole ? TICKS : 1;
  const raw = max / TICKS;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of whole ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10]) {
    const step = Math.max(whole ? 1 : 0, m * p);
    if (step >= raw) return step * TICKS;
  }
  return 10 * p * TICKS;
}

function countMax(max) {
  return niceMax(max, true);
}

function fmt(v) {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toFixed(v < 1 ? 2 : v < 10 ? 1 : 0)));
}

function frame(label) {
  return svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label });
}

function yAxis(root, max, unit) {
  const innerH = H - M.top - M.bottom;
  for (let i = 0; i <= TICKS; i++) {
    const v = (max * i) / TICKS;
    const y = M.top + innerH - (innerH * i) / TICKS;
    root.append(svg('line', { class: i ? 'gridline' : 'axis', x1: M.left, x2: W - M.right, y1: y, y2: y }));
    root.append(svg('text', { x: M.left - 6, y: y + 4, 'text-anchor': 'end' }, fmt(v)));
  }
  if (unit) root.append(svg('text', { x: 4, y: 12 }, unit));
}

// Every nth category gets a label so that 90 days stay legible.
function xLabels(root, categories, xOf) {
  const every = Math.max(1, Math.ceil(categories.length / 10));
  categories.forEach((c, i) => {
    if (i % every) return;
    root.append(svg('text', { x: xOf(i), y: H - M.bottom + 16, 'text-anchor': 'middle' }, c));
  });
}

export function legend(series) {
  if (series.length < 2) return null;
  return h('div', { class: 'legend', 'aria-hidden': 'true' },
    series.map((s, i) => h('span', {}, h('span', { class: `sw s${i}` }), s.name)));
}

// categories: x labels; series: [{name, values}] stacked in order.
export function barChart({ label, categories, series, unit = '' }) {
  const root = frame(label);
  root.append(svg('title', {}, label));
  const totals = categories.map((_, i) => series.reduce((a, s) => a + (s.values[i] || 0), 0));
  const max = countMax(Math.max(0, ...totals));
  const innerW = W - M.left - M.right;
  const innerH = H - M.top - M.bottom;
  const step = innerW / Math.max(1, categories.length);
  const barW = Math.max(2, step * 0.7);
  yAxis(root, max, unit);
  categories.forEach((c, i) => {
    let y = M.top + innerH;
    series.forEach((s, k) => {
      const v = s.values[i] || 0;
      if (!v) return;
      const bh = (innerH * v) / max;
      y -= bh;
      root.append(svg('rect', { class: `s${k}`, x: M.left + i * step + (step - barW) / 2, y, width: barW, height: bh },
        svg('title', {}, `${c}: ${s.name} ${fmt(v)}`)));
    });
  });
  xLabels(root, categories, (i) => M.left + i * step + step / 2);
  return root;
}

// labels and values, one bar per row, longest first.
export function hbarChart({ label, labels, values }) {
  const rowH = 24;
  const height = Math.max(60, labels.length * rowH + 24);
  const left = 150;
  const root = svg('svg', { viewBox: `0 0 ${W} ${height}`, role: 'img', 'aria-label': label });
  root.append(svg('title', {}, label));
  const max = countMax(Math.max(0, ...values));
  const innerW = W - left - 50;
  labels.forEach((l, i) => {
    const y = 8 + i * rowH;
    const bw = (innerW * values[i]) / max;
    root.append(svg('text', { x: left - 8, y: y + 14, 'text-anchor': 'end' }, l));
    root.append(svg('rect', { class: 's0', x: left, y, width: Math.max(1, bw), height: rowH - 8 },
      svg('title', {}, `${l}: ${values[i]}`)));
    root.append(svg('text', { x: left + bw + 6, y: y + 14 }, String(values[i])));
  });
  return root;
}

// series: [{name, values}], values may hold null (no data that day).
// `floor`: the least axis top, so that a trace of loss does not fill it.
export function lineChart({ label, categories, series, unit = '', floor = 0 }) {
  const root = frame(label);
  root.append(svg('title', {}, label));
  const all = series.flatMap((s) => s.values.filter((v) => v !== null && Number.isFinite(v)));
  const max = niceMax(Math.max(floor, ...all));
  const innerW = W - M.left - M.right;
  const innerH = H - M.top - M.bottom;
  const xOf = (i) => M.left + (categories.length > 1 ? (innerW * i) / (categories.length - 1) : innerW / 2);
  const yOf = (v) => M.top + innerH - (innerH * v) / max;
  yAxis(root, max, unit);
  series.forEach((s, k) => {
    let d = '';
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      d += `${d && s.values[i - 1] !== null ? 'L' : 'M'}${xOf(i).toFixed(1)},${yOf(v).toFixed(1)}`;
      root.append(svg('circle', { class: `pt${k}`, cx: xOf(i), cy: yOf(v), r: 3 },
        svg('title', {}, `${categories[i]}: ${s.name} ${fmt(v)}${unit ? ` ${unit}` : ''}`)));
    });
    if (d) root.insertBefore(svg('path', { class: `line${k}`, d }), root.querySelector('circle'));
  });
  xLabels(root, categories, xOf);
  return root;
}

export function dataTable(headers, rows) {
  return h('details', {},
    h('summary', {}, 'The numbers'),
    h('table', { class: 'data' },
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c)))))));
}

export function figure(caption, note, ...content) {
  return h('figure', { class: 'chart' },
    h('figcaption', {}, caption, note ? h('div', { class: 'note' }, note) : null), ...content);
}
