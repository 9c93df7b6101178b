// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
//
// Load generator for a signaling server that speaks docs/protocol.md
// (lastmile-signaling, or bench/node-ws-server.mjs for comparison).
//
//   node signaling-load.mjs run --url ws://127.0.0.1:PORT/ws --pid SERVER_PID
//        --idle-token T --clinic-token T --doctor-token T [options] > result.json
//   node signaling-load.mjs table result.json...      (Markdown table)
//
// `run` has two phases against one server process:
//  1. Connections: opens --connections sockets (at most --concurrency
//     handshakes in flight), each sends `hello` and waits for `welcome`;
//     the server's VmRSS (/proc/PID/status) is read before the first one and
//     --settle seconds after each checkpoint of --steps has all its sockets
//     welcomed and idle. They stay open through phase 2.
//  2. Forwarding: --pairs clinic/doctor pairs (consult.request, then the
//     doctor's presence + consult.accept → consult.start on both) exchange
//     `ice` messages at --rate messages/s in all, spread evenly over both
//     directions of every pair (40 per pair and second by default, well
//     under the per-connection limit of 50/s); meanwhile --probe-pairs send
//     --probe-rate messages/s in all. Each pair set runs in its own worker
//     process with its own event loop, so the probe's timings are not delayed
//     by the 2,000 msg/s the background worker handles. One-way latency is
//     receive time minus send time of each `ice`, both from performance.now()
//     in the same worker (the sender's timestamp is kept in a side table
//     indexed by the sequence number carried in the candidate's foundation).
//     Messages sent during --warmup are not sampled. The server's CPU is read
//     from /proc/PID/stat over the sampled window, as % of one core.
//
// Every phase is bounded in time; the whole run gives up after --timeout s.
// Every address it connects to comes from --url: use 127.0.0.1.

import { execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

function log(...args) {
  console.error(`[load ${process.pid}]`, ...args);
}

function clientOptions(deflate) {
  // Clients offer permessage-deflate, as browsers, libsoup's SoupSession and
  // the ws client all do by default; the server decides whether to take it.
  // --no-deflate offers nothing.
  return { perMessageDeflate: deflate, skipUTF8Validation: true, handshakeTimeout: 10000 };
}

// One socket that has sent hello and got welcome; `next(type)` waits for the
// next message of that type (errors reject it).
function connect(url, token, deflate, onOther) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, clientOptions(deflate));
    const conn = { ws, peer: null, waiters: new Map(), onIce: null, errors: 0, errorCodes: {} };
    let welcomed = false;
    conn.next = (type, ms = 10000) => withTimeout(new Promise((res, rej) => {
      conn.waiters.set(type, { res, rej });
    }), ms, `waiting for ${type}`);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', token })));
    ws.on('message', (data) => {
      const t = performance.now();
      const msg = JSON.parse(data);
      if (msg.type === 'ice' && conn.onIce) return conn.onIce(msg, t);
      if (msg.type === 'welcome' && !welcomed) {
        welcomed = true;
        conn.peer = msg.peer;
        conn.deflate = ws.extensions.includes('permessage-deflate');
        return resolve(conn);
      }
      if (msg.type === 'error') {
        conn.errors++;
        conn.errorCodes[msg.code] = (conn.errorCodes[msg.code] ?? 0) + 1;
        for (const [k, w] of conn.waiters) {
          conn.waiters.delete(k);
          w.rej(new Error(`server error ${msg.code}: ${msg.message}`));
        }
        if (!welcomed) reject(new Error(`hello refused: ${msg.code}`));
        return;
      }
      const w = conn.waiters.get(msg.type);
      if (w) {
        conn.waiters.delete(msg.type);
        return w.res(msg);
      }
      if (onOther) onOther(msg);
    });
    ws.on('error', (e) => { if (!welcomed) reject(e); });
    ws.on('close', (code, reason) => {
      conn.closed = { code, reason: String(reason) };
      if (!welcomed) reject(new Error(`closed before welcome: ${code} ${reason}`));
    });
  });
}

function readProc(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5); fields[0] is field 3.
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM'), cpuTicks: Number(fields[11]) + Number(fields[12]), at: performance.now() };
}

function percentiles(samples) {
  const a = Float64Array.from(samples).sort();
  const q = (p) => (a.length ? a[Math.min(a.length - 1, Math.ceil(p * a.length) - 1)] : NaN);
  const r3 = (x) => Math.round(x * 1000) / 1000;
  let sum = 0;
  for (const x of a) sum += x;
  return { n: a.length, mean: r3(sum / a.length), p50: r3(q(0.5)), p90: r3(q(0.9)), p99: r3(q(0.99)),
    p999: r3(q(0.999)), max: r3(a.length ? a[a.length - 1] : NaN) };
}

// ---------------------------------------------------------------------------
// Worker: a set of consultation pairs that exchange ice messages.

async function worker() {
  let pairs = [];
  let senders = [];
  let cfg;

  async function setup(m) {
    cfg = m;
    // A few handshakes at a time, as for the idle connections.
    const all = [];
    for (let i = 0; i < m.pairs; i += 5) {
      const batch = [];
      for (let j = i; j < Math.min(m.pairs, i + 5); j++)
        batch.push(connect(m.url, m.clinicToken, m.deflate), connect(m.url, m.doctorToken, m.deflate));
      all.push(...await Promise.all(batch));
    }
    // One pair at a time, so each doctor sees exactly its clinic's request.
    for (let i = 0; i < m.pairs; i++) {
      const clinic = all[2 * i];
      const doctor = all[2 * i + 1];
      const queued = clinic.next('consult.queued');
      clinic.ws.send(JSON.stringify({ type: 'consult.request', id: 1, specialty: 'general', urgency: 'routine',
        patient_ref: `BENCH-${process.pid}-${i}` }));
      const { consultation } = await queued;
      const queue = doctor.next('queue');
      doctor.ws.send(JSON.stringify({ type: 'presence', status: 'available' }));
      await queue;
      const startC = clinic.next('consult.start');
      const startD = doctor.next('consult.start');
      doctor.ws.send(JSON.stringify({ type: 'consult.accept', id: 2, consultation }));
      await Promise.all([startC, startD]);
      pairs.push({ clinic, doctor, consultation });
    }
    const capacity = Math.ceil((m.rate / (2 * m.pairs)) * (m.warmup + m.duration + 5) * 1.5) + 64;
    for (const p of pairs) {
      for (const [from, to] of [[p.clinic, p.doctor], [p.doctor, p.clinic]]) {
        const s = { from, to, seq: 0, received: 0, sendTimes: new Float64Array(capacity),
          prefix: `{"type":"ice","consultation":"${p.consultation}","to":"${to.peer}","candidate":{"candidate":"candidate:`,
          suffix: ` 1 udp 2122260223 127.0.0.1 ${40000 + senders.length} typ host generation 0 ufrag bnch network-id 1","sdpMLineIndex":0,"sdpMid":"0"}}` };
        senders.push(s);
      }
    }
    // The receiver finds the sender by `from`.
    const byPeer = new Map(senders.map((s) => [s.from.peer, s]));
    for (const s of senders) {
      s.to.onIce = (msg, t) => {
        const src = byPeer.get(msg.from);
        const c = msg.candidate?.candidate;
        if (!src || src.to !== s.to || typeof c !== 'string') return void worker.bad++;
        const seq = parseInt(c.slice(10), 10);
        src.received++;
        const sent = src.sendTimes[seq];
        if (sent >= worker.windowStart && sent < worker.windowEnd) worker.samples.push(t - sent);
      };
    }
    process.send({ ev: 'ready', conns: all.length });
  }

  async function run(m) {
    worker.samples = [];
    worker.bad = 0;
    const t0 = performance.now() + 20;
    worker.windowStart = t0 + m.warmup * 1000;
    worker.windowEnd = worker.windowStart + m.duration * 1000;
    const end = worker.windowEnd;
    const rate = cfg.rate;
    let sent = 0;
    let next = 0;
    let cpu0;
    await new Promise((resolve) => {
      const tick = () => {
        const now = performance.now();
        if (!cpu0 && now >= worker.windowStart) cpu0 = process.cpuUsage();
        const due = Math.min(Math.floor(((Math.min(now, end) - t0) * rate) / 1000), Math.ceil(((end - t0) * rate) / 1000));
        for (; sent < due; sent++) {
          const s = senders[next];
          next = (next + 1) % senders.length;
          s.sendTimes[s.seq] = performance.now();
          s.from.ws.send(s.prefix + s.seq + s.suffix);
          s.seq++;
        }
        if (now >= end) return resolve();
        // Timers fire every ~1 ms, so at 2,000 msg/s about two go out per tick.
        setTimeout(tick, rate >= 1000 ? 1 : Math.max(1, Math.floor(1000 / rate / 2)));
      };
      setTimeout(tick, Math.max(0, t0 - performance.now()));
    });
    const cpu = process.cpuUsage(cpu0);
    const cpuPct = ((cpu.user + cpu.system) / 1000 / (m.duration * 1000)) * 100;
    // Drain: wait until everything arrived or --drain seconds passed.
    const totalSent = () => senders.reduce((a, s) => a + s.seq, 0);
    const totalRecv = () => senders.reduce((a, s) => a + s.received, 0);
    const drainEnd = performance.now() + m.drain * 1000;
    while (totalRecv() < totalSent() && performance.now() < drainEnd) await sleep(20);
    const errorCodes = {};
    let errors = 0;
    for (const p of pairs) {
      for (const c of [p.clinic, p.doctor]) {
        errors += c.errors;
        for (const [k, v] of Object.entries(c.errorCodes)) errorCodes[k] = (errorCodes[k] ?? 0) + v;
      }
    }
    process.send({ ev: 'done', sent: totalSent(), received: totalRecv(), bad: worker.bad, errors, errorCodes,
      cpuPct, latency: percentiles(worker.samples), closed: pairs.filter((p) => p.clinic.closed || p.doctor.closed).length });
  }

  process.on('message', (m) => {
    const fail = (e) => { process.send({ ev: 'fail', error: String(e?.stack ?? e) }); };
    if (m.cmd === 'setup') setup(m).catch(fail);
    else if (m.cmd === 'run') run(m).catch(fail);
    else if (m.cmd === 'exit') {
      for (const p of pairs) { p.clinic.ws.terminate(); p.doctor.ws.terminate(); }
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------
// Main: idle connections, RSS and CPU readings, workers.

function startWorker(name) {
  const child = fork(fileURLToPath(import.meta.url), ['worker'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const w = { name, child, pending: null };
  child.on('message', (m) => {
    const p = w.pending;
    w.pending = null;
    if (!p) return;
    if (m.ev === 'fail') p.reject(new Error(`${name}: ${m.error}`));
    else p.resolve(m);
  });
  child.on('exit', (code) => {
    if (w.pending) w.pending.reject(new Error(`${name} exited with ${code}`));
  });
  w.call = (msg, ms) => withTimeout(new Promise((resolve, reject) => {
    w.pending = { resolve, reject };
    child.send(msg);
  }), ms, `${name} ${msg.cmd}`);
  return w;
}

// Opens idle connections until `target` are welcomed, at most
// o.concurrency handshakes in flight. A handshake that fails is retried (a
// real client reconnects), up to 3 attempts per connection; every failure is
// counted by its error.
async function openIdle(o, target, idle) {
  let failed = 0;
  let given = 0;
  const errors = {};
  let started = idle.length;
  const deadline = performance.now() + o.connectTimeout * 1000;
  async function lane() {
    while (started < target && performance.now() < deadline) {
      started++;
      for (let attempt = 1; ; attempt++) {
        try {
          idle.push(await connect(o.url, o.idleToken, o.deflate));
          break;
        } catch (e) {
          failed++;
          const k = String(e.message).slice(0, 80);
          errors[k] = (errors[k] ?? 0) + 1;
          if (attempt >= 3 || performance.now() >= deadline) {
            given++;
            break;
          }
        }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(o.concurrency, target - started) }, lane));
  return { failed, given, errors };
}

async function main(o) {
  const watchdog = setTimeout(() => { log(`gave up after ${o.timeout} s`); process.exit(3); }, o.timeout * 1000);
  const clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const result = { label: o.label, url: o.url, deflate: o.deflate, connections: {}, rss: [], load: {} };

  // Phase 1: idle authenticated connections.
  const base = readProc(o.pid);
  result.rss.push({ connections: 0, rss_kb: base.rssKb });
  log(`server RSS ${(base.rssKb / 1024).toFixed(1)} MB with 0 connections`);
  const idle = [];
  const steps = [...new Set([...o.steps.filter((s) => s < o.connections), o.connections])];
  let failed = 0;
  let givenUp = 0;
  const failures = {};
  let connectMs = 0;
  for (const step of steps) {
    const c0 = performance.now();
    const r = await openIdle(o, step, idle);
    connectMs += performance.now() - c0;
    failed += r.failed;
    givenUp += r.given;
    for (const [k, v] of Object.entries(r.errors)) failures[k] = (failures[k] ?? 0) + v;
    await sleep(o.settle * 1000);
    const open = idle.filter((c) => !c.closed).length;
    const p = readProc(o.pid);
    result.rss.push({ connections: open, rss_kb: p.rssKb });
    log(`server RSS ${(p.rssKb / 1024).toFixed(1)} MB with ${open} connections (${failed} handshakes failed, ${givenUp} given up)`);
  }
  const open = idle.filter((c) => !c.closed).length;
  const top = result.rss[result.rss.length - 1];
  result.connections = { target: o.connections, open, failed_handshakes: failed, given_up: givenUp, failures,
    deflate_taken: idle.filter((c) => c.deflate).length,
    seconds: Math.round(connectMs / 100) / 10 };
  result.rss_kb = top.rss_kb;
  result.rss_per_conn_kb = open ? Math.round(((top.rss_kb - base.rssKb) / open) * 100) / 100 : null;

  // Phase 2: forwarding under load, with the idle connections still open.
  if (o.pairs > 0 && o.duration > 0) {
    const workers = [];
    const plan = [{ name: 'background', pairs: o.pairs, rate: o.rate }];
    if (o.probePairs > 0) plan.push({ name: 'probe', pairs: o.probePairs, rate: o.probeRate });
    try {
      for (const p of plan) {
        const w = startWorker(p.name);
        workers.push(w);
        await w.call({ cmd: 'setup', url: o.url, clinicToken: o.clinicToken, doctorToken: o.doctorToken,
          deflate: o.deflate, pairs: p.pairs, rate: p.rate, warmup: o.warmup, duration: o.duration }, 60000);
        log(`${p.name}: ${p.pairs} pairs in consultation`);
      }
      const runMsg = { cmd: 'run', warmup: o.warmup, duration: o.duration, drain: o.drain };
      const done = workers.map((w) => w.call(runMsg, (o.warmup + o.duration + o.drain + 30) * 1000));
      await sleep(o.warmup * 1000 + 20);
      const c0 = readProc(o.pid);
      await sleep(o.duration * 1000);
      const c1 = readProc(o.pid);
      const results = await Promise.all(done);
      result.load = {
        pairs: o.pairs, rate: o.rate, probe_pairs: o.probePairs, probe_rate: o.probeRate,
        warmup_s: o.warmup, duration_s: o.duration,
        server_cpu_pct: Math.round((((c1.cpuTicks - c0.cpuTicks) / clkTck) / ((c1.at - c0.at) / 1000)) * 1000) / 10,
        server_rss_kb: c1.rssKb, server_hwm_kb: c1.hwmKb,
      };
      plan.forEach((p, i) => {
        const r = results[i];
        result.load[p.name] = { sent: r.sent, received: r.received, lost: r.sent - r.received, errors: r.errors,
          error_codes: r.errorCodes, bad: r.bad, closed_pairs: r.closed,
          client_cpu_pct: Math.round(r.cpuPct * 10) / 10, latency_ms: r.latency };
        log(`${p.name}: ${JSON.stringify(result.load[p.name])}`);
      });
      const lat = (result.load.probe ?? result.load.background).latency_ms;
      log(`latency p50 ${lat.p50} p99 ${lat.p99} max ${lat.max} ms; server CPU ${result.load.server_cpu_pct}%`);
    } finally {
      for (const w of workers) {
        try { w.child.send({ cmd: 'exit' }); } catch { /* already gone */ }
      }
      await sleep(200);
      for (const w of workers) w.child.kill('SIGKILL');
    }
  }
  result.connections.open_at_end = idle.filter((c) => !c.closed).length;
  for (const c of idle) c.ws.terminate();
  clearTimeout(watchdog);
  console.log(JSON.stringify(result, null, 2));
}

// ---------------------------------------------------------------------------
// Table: one column per result file, as docs/benchmarks.md shows them.

function table(files) {
  const rs = files.map((f) => JSON.parse(readFileSync(f, 'utf8')));
  const mb = (kb) => (kb / 1024).toFixed(1);
  const lat = (r) => (r.load.probe ?? r.load.background)?.latency_ms ?? {};
  const bg = (r) => r.load.background?.latency_ms ?? {};
  const lost = (r) => ['background', 'probe'].reduce((a, k) => a + (r.load[k]?.lost ?? 0), 0);
  const errs = (r) => ['background', 'probe'].reduce((a, k) => a + (r.load[k]?.errors ?? 0), 0);
  const rows = [
    ['connections open (of target)', (r) => `${r.connections.open} (${r.connections.target})`],
    ['permessage-deflate offered / taken by the server', (r) => `${r.deflate ? 'yes' : 'no'} / ${r.connections.deflate_taken ? 'yes' : 'no'}`],
    ['time to open and authenticate them, s', (r) => r.connections.seconds],
    ['handshakes that failed and were retried', (r) => r.connections.failed_handshakes],
    ['server RSS, idle, MB', (r) => mb(r.rss[0].rss_kb)],
    ...rs[0].rss.slice(1).map((_, i) => [`server RSS at ~${rs[0].rss[i + 1].connections} connections, MB`,
      (r) => (r.rss[i + 1] ? mb(r.rss[i + 1].rss_kb) : '')]),
    ['RSS per connection, KB', (r) => r.rss_per_conn_kb?.toFixed(1)],
    ['messages/s (background + probe)', (r) => `${r.load.rate} + ${r.load.probe_rate}`],
    ['probe one-way p50, ms', (r) => lat(r).p50?.toFixed(3)],
    ['probe one-way p90, ms', (r) => lat(r).p90?.toFixed(3)],
    ['probe one-way p99, ms', (r) => lat(r).p99?.toFixed(3)],
    ['probe one-way max, ms', (r) => lat(r).max?.toFixed(3)],
    ['probe samples', (r) => lat(r).n],
    ['background p50 / p99 / max, ms', (r) => `${bg(r).p50?.toFixed(3)} / ${bg(r).p99?.toFixed(3)} / ${bg(r).max?.toFixed(3)}`],
    ['server CPU under load, % of a core', (r) => r.load.server_cpu_pct?.toFixed(1)],
    ['server RSS under load (peak), MB', (r) => `${mb(r.load.server_rss_kb)} (${mb(r.load.server_hwm_kb)})`],
    ['load generator CPU (background), %', (r) => r.load.background?.client_cpu_pct?.toFixed(1)],
    ['messages lost', (r) => lost(r)],
    ['errors received', (r) => errs(r)],
  ];
  const out = [`| | ${rs.map((r) => r.label).join(' | ')} |`, `|---|${rs.map(() => '---:').join('|')}|`];
  for (const [name, f] of rows) out.push(`| ${name} | ${rs.map((r) => { try { return f(r) ?? ''; } catch { return ''; } }).join(' | ')} |`);
  console.log(out.join('\n'));
}

// ---------------------------------------------------------------------------

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'worker') {
  worker();
} else if (cmd === 'table') {
  table(rest);
} else if (cmd === 'run') {
  const { values: v } = parseArgs({
    args: rest,
    options: {
      url: { type: 'string' },
      pid: { type: 'string' },
      label: { type: 'string', default: 'server' },
      'idle-token': { type: 'string' },
      'clinic-token': { type: 'string' },
      'doctor-token': { type: 'string' },
      connections: { type: 'string', default: '5000' },
      steps: { type: 'string', default: '1000,2000' },
      concurrency: { type: 'string', default: '50' },
      settle: { type: 'string', default: '2' },
      'connect-timeout': { type: 'string', default: '120' },
      pairs: { type: 'string', default: '50' },
      rate: { type: 'string', default: '2000' },
      'probe-pairs': { type: 'string', default: '2' },
      'probe-rate': { type: 'string', default: '100' },
      warmup: { type: 'string', default: '2' },
      duration: { type: 'string', default: '20' },
      drain: { type: 'string', default: '3' },
      'no-deflate': { type: 'boolean', default: false },
      timeout: { type: 'string', default: '300' },
    },
  });
  for (const k of ['url', 'pid', 'idle-token', 'clinic-token', 'doctor-token']) {
    if (!v[k]) {
      console.error(`signaling-load.mjs run: --${k} is required`);
      process.exit(2);
    }
  }
  const o = {
    url: v.url, pid: Number(v.pid), label: v.label, deflate: !v['no-deflate'],
    idleToken: v['idle-token'], clinicToken: v['clinic-token'], doctorToken: v['doctor-token'],
    connections: Number(v.connections), steps: v.steps.split(',').filter(Boolean).map(Number),
    concurrency: Number(v.concurrency), settle: Number(v.settle), connectTimeout: Number(v['connect-timeout']),
    pairs: Number(v.pairs), rate: Number(v.rate), probePairs: Number(v['probe-pairs']), probeRate: Number(v['probe-rate']),
    warmup: Number(v.warmup), duration: Number(v.duration), drain: Number(v.drain), timeout: Number(v.timeout),
  };
  main(o).catch((e) => { log(e.stack ?? e); process.exit(1); });
} else {
  console.error('usage: signaling-load.mjs run --url URL --pid PID --idle-token T --clinic-token T --doctor-token T [...]\n'
    + '       signaling-load.mjs table RESULT.json...');
  process.exit(2);
}
