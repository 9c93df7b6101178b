// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
//
// The doctor console and the admin dashboard in Debian's Chromium,
// driven by playwright-core, against the real lastmile-signaling and a
// real GStreamer clinic (lastmile-client). Started by run.mjs, which
// gives Chromium a network it can gather ICE candidates on. The tests
// run in order and share one server, one browser and one consultation.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const SIGNALING = process.env.LASTMILE_SIGNALING;
const CLIENT = process.env.LASTMILE_CLIENT;
const MODULES = process.env.LASTMILE_WEB_MODULES || here;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const work = mkdtempSync(path.join(os.tmpdir(), 'lastmile-web-'));
const ARTIFACTS = process.env.LASTMILE_WEB_ARTIFACTS || path.join(work, 'artifacts');
const CALL_SECONDS = 14;
const VIEWPORT = { width: 1366, height: 768 };
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream=fps=30',
];

const NAMES = {
  clinic: 'clinic-kisumu-3', doctor: 'dr-otieno', admin: 'admin-wanjiru',
  relay: 'relay-hospital-1', clinic2: 'clinic-siaya-1',
};
const PATIENT = 'KSM-2291';
const PATIENT2 = 'SIY-0042';

let playwright = null;
let playwrightError = null;
try {
  playwright = createRequire(path.join(MODULES, 'package.json'))('playwright-core');
} catch (e) {
  playwrightError = e;
}

const ctx = {
  server: null, url: null, tokens: {}, browser: null, doctor: null, admin: null,
  clinic: null, consultation: null,
};
mkdirSync(ARTIFACTS, { recursive: true });

function need(...keys) {
  for (const k of keys) assert.ok(ctx[k], `an earlier step failed: no ${k}`);
}

// Resolves with the value of fn() once it is truthy; no fixed sleeps,
// only a deadline.
function until(what, timeoutMs, fn, everyMs = 100) {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const step = async () => {
      let value;
      try {
        value = await fn();
      } catch (e) {
        value = null;
      }
      if (value) resolve(value);
      else if (Date.now() > end) reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      else setTimeout(step, everyMs);
    };
    step();
  });
}

function signaling(...args) {
  return execFileSync(SIGNALING, ['--db', path.join(work, 'lastmile.db'), ...args], { encoding: 'utf8' }).trim();
}

function startServer() {
  const log = createWriteStream(path.join(ARTIFACTS, 'server.log'));
  const child = spawn(SIGNALING, ['--db', path.join(work, 'lastmile.db'), '--address', '127.0.0.1', '--port', '0'],
                      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, G_MESSAGES_DEBUG: 'all' } });
  child.stderr.pipe(log);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the server did not print its URL in 10 s')), 10000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1].replace(/\/?$/, '/') });
      }
    });
    child.on('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
  });
}

function startClinic() {
  const report = path.join(work, 'clinic-report.json');
  const log = createWriteStream(path.join(ARTIFACTS, 'clinic-client.log'));
  const child = spawn(CLIENT, [
    '--server', ctx.url, '--headless', '--video', 'test', '--audio', 'test',
    '--duration', String(CALL_SECONDS), '--report', report,
    '--patient-ref', PATIENT, '--specialty', 'paediatrics', '--urgency', 'emergency',
  ], { stdio: ['ignore', 'pipe', 'pipe'],
       env: { ...process.env, LASTMILE_TOKEN: ctx.tokens.clinic, GST_DEBUG: process.env.GST_DEBUG || 'lmc*:4' } });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  return { child, report, exited, done: false };
}

async function newPage(name) {
  const context = await ctx.browser.newContext({ viewport: VIEWPORT, acceptDownloads: true });
  await context.grantPermissions(['camera', 'microphone'], { origin: ctx.url.replace(/\/$/, '') });
  const page = await context.newPage();
  const log = createWriteStream(path.join(ARTIFACTS, `${name}-console.log`));
  page.on('console', (m) => log.write(`[${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => log.write(`[pageerror] ${e.message}\n`));
  return page;
}

async function shot(page, name, options = {}) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), ...options });
}

async function signIn(page, route, token) {
  await page.goto(`${ctx.url}${route}`);
  await page.fill('#signin-token', token);
  await page.click('#signin-form button[type=submit]');
}

async function refusedWith(page, route, token, pattern) {
  await signIn(page, route, token);
  await page.waitForFunction(() => document.querySelector('#signin-error').textContent.length > 0, null, { timeout: 10000 });
  const text = await page.textContent('#signin-error');
  assert.match(text, pattern);
  assert.equal(await page.isVisible('#signin'), true, 'the sign-in form stays');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'a refused token is not kept');
}

async function adminGet(pathAndQuery) {
  const r = await fetch(`${ctx.url}api/v1/${pathAndQuery}`, { headers: { Authorization: `Bearer ${ctx.tokens.admin}` } });
  assert.equal(r.status, 200, `GET ${pathAndQuery}`);
  return r;
}

after(async () => {
  if (ctx.clinic && !ctx.clinic.done) ctx.clinic.child.kill('SIGTERM');
  if (ctx.browser) await ctx.browser.close().catch(() => {});
  if (ctx.server) {
    const exited = new Promise((resolve) => ctx.server.child.on('exit', resolve));
    ctx.server.child.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

test('Chromium, playwright-core and the lastmile binaries are installed', (t) => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install --no-install-recommends chromium (.ci/setup does)`);
  assert.ok(playwright, `playwright-core cannot be loaded from ${MODULES}: run 'npm ci' in tests/web (${playwrightError && playwrightError.message})`);
  assert.ok(SIGNALING && existsSync(SIGNALING), 'LASTMILE_SIGNALING must name lastmile-signaling');
  assert.ok(CLIENT && existsSync(CLIENT), 'LASTMILE_CLIENT must name lastmile-client');
  t.diagnostic(`network: ${process.env.LASTMILE_WEB_NETWORK || 'as given'}; artifacts: ${ARTIFACTS}`);
});

test('the server starts and Chromium launches', async () => {
  assert.ok(playwright && existsSync(CHROMIUM), 'prerequisites missing');
  ctx.tokens.clinic = signaling('account', 'add', '--role', 'clinic', '--name', NAMES.clinic);
  ctx.tokens.doctor = signaling('account', 'add', '--role', 'doctor', '--name', NAMES.doctor, '--specialty', 'paediatrics');
  ctx.tokens.admin = signaling('account', 'add', '--role', 'admin', '--name', NAMES.admin);
  ctx.tokens.relay = signaling('account', 'add', '--role', 'relay', '--name', NAMES.relay);
  ctx.tokens.clinic2 = signaling('account', 'add', '--role', 'clinic', '--name', NAMES.clinic2);
  ctx.server = await startServer();
  ctx.url = ctx.server.url;
  // A fresh profile in a temporary user-data-dir; never a downloaded browser.
  ctx.browser = await playwright.chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

test('both pages are served from the binary with strict headers', async () => {
  need('url');
  for (const [route, type] of [['doctor', 'text/html'], ['admin', 'text/html'],
                               ['web/js/doctor.js', 'text/javascript'], ['web/lastmile.css', 'text/css']]) {
    const r = await fetch(`${ctx.url}${route}`);
    assert.equal(r.status, 200, route);
    assert.ok(r.headers.get('content-type').startsWith(type), `${route}: ${r.headers.get('content-type')}`);
    assert.match(r.headers.get('content-security-policy'), /default-src 'none'; script-src 'self'/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    const etag = r.headers.get('etag');
    const again = await fetch(`${ctx.url}${route}`, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304, `${route} revalidates`);
  }
  assert.match((await fetch(`${ctx.url}doctor`)).headers.get('permissions-policy'), /camera=\(self\)/);
  assert.match((await fetch(`${ctx.url}admin`)).headers.get('permissions-policy'), /camera=\(\)/);
  for (const route of ['web/nothing.js', 'web/doctor.html', 'web/%2e%2e/x.js', 'doctor/'])
    assert.equal((await fetch(`${ctx.url}${route}`)).status, 404, route);
  assert.equal((await fetch(`${ctx.url}doctor`, { method: 'POST' })).status, 405);
});

test('a wrong token is refused on the doctor console', async () => {
  need('browser');
  const page = await newPage('doctor-refused');
  await refusedWith(page, 'doctor', 'lm_this-is-not-a-token', /refused/);
  await refusedWith(page, 'doctor', ctx.tokens.admin, /doctor account/);
  await shot(page, 'doctor-signin-refused');
  await page.context().close();
});

test('a wrong token is refused on the admin dashboard', async () => {
  need('browser');
  const page = await newPage('admin-refused');
  await refusedWith(page, 'admin', 'lm_this-is-not-a-token', /refused/);
  await refusedWith(page, 'admin', ctx.tokens.doctor, /not an administrator/);
  assert.equal(await page.isVisible('#view-live'), false);
  await shot(page, 'admin-signin-refused');
  await page.context().close();
});

test('the administrator signs in and the live view connects', async () => {
  need('browser');
  ctx.admin = await newPage('admin');
  await signIn(ctx.admin, 'admin', ctx.tokens.admin);
  await ctx.admin.waitForSelector('#view-live:not([hidden])');
  await ctx.admin.waitForFunction(() => document.querySelector('#link-state').dataset.state === 'open');
  assert.equal(await ctx.admin.textContent('#live-queue-length'), '0');
});

test('the doctor signs in and goes available', async () => {
  need('browser');
  ctx.doctor = await newPage('doctor');
  await signIn(ctx.doctor, 'doctor', ctx.tokens.doctor);
  await ctx.doctor.waitForSelector('#desk:not([hidden])');
  assert.match(await ctx.doctor.textContent('#who'), new RegExp(NAMES.doctor));
  await ctx.doctor.click('#presence');
  await ctx.doctor.waitForSelector('#presence[aria-checked="true"]');
  await ctx.doctor.waitForFunction(() => document.querySelector('#queue-empty').textContent.includes('No clinic'));
  await ctx.admin.waitForFunction(() => document.querySelector('#live-doctors').textContent === '1 / 1');
});

test('the clinic\'s emergency request appears in the queue and the live view without a reload', async () => {
  need('doctor', 'admin');
  ctx.clinic = startClinic();
  ctx.clinic.exited.then(() => { ctx.clinic.done = true; });
  const row = await ctx.doctor.waitForSelector(`#queue tbody tr:has-text("${PATIENT}")`, { timeout: 20000 });
  ctx.consultation = await row.getAttribute('data-consultation');
  assert.match(ctx.consultation, /^c-/);
  assert.equal(await row.getAttribute('class'), 'urgency-emergency');
  assert.match(await row.textContent(), /Emergency/i);
  assert.match(await row.textContent(), new RegExp(NAMES.clinic));
  await ctx.admin.waitForSelector(`#live-waiting tbody tr:has-text("${PATIENT}")`, { timeout: 10000 });
  assert.equal(await ctx.admin.textContent('#live-queue-length'), '1');
  await shot(ctx.doctor, 'doctor-queue');
});

test('the doctor accepts and receives the clinic\'s video', async () => {
  need('doctor', 'consultation');
  await ctx.doctor.click(`#queue tbody tr[data-consultation="${ctx.consultation}"] button`);
  await ctx.doctor.waitForSelector('#consult:not([hidden])', { timeout: 10000 });
  // getStats: inbound video frames decoded, counted by the console.
  await ctx.doctor.waitForFunction(() => Number(document.querySelector('#quality').dataset.framesDecoded) > 60,
                                   null, { timeout: 30000 });
  const size = await ctx.doctor.evaluate(() => {
    const v = document.querySelector('#remote-video');
    return { w: v.videoWidth, h: v.videoHeight };
  });
  assert.ok(size.w > 0 && size.h > 0, `the remote video has a size (${size.w}x${size.h})`);
  await ctx.doctor.waitForFunction(() => document.querySelector('#quality').dataset.level !== 'unknown');
  assert.match(await ctx.doctor.textContent('#c-clinic'), new RegExp(NAMES.clinic));
  assert.match(await ctx.doctor.textContent('#q-path'), /host|srflx|prflx|relay/);
  await until('a second of smooth video for the screenshot', 5000,
              () => ctx.doctor.evaluate(() => document.querySelector('#q-fps').textContent.includes('fps')));
  await shot(ctx.doctor, 'doctor-consultation');
});

test('the live view shows the consultation with its mode and quality', async () => {
  need('admin', 'consultation');
  const row = await ctx.admin.waitForSelector(`#live-active tbody tr[data-consultation="${ctx.consultation}"]`, { timeout: 10000 });
  assert.match(await row.textContent(), new RegExp(`${NAMES.clinic}.*${NAMES.doctor}.*direct`));
  // Both members report `stats` every few seconds; the push carries them.
  await ctx.admin.waitForFunction((id) => {
    const tr = document.querySelector(`#live-active tbody tr[data-consultation="${id}"]`);
    return tr && tr.querySelectorAll('.q').length >= 2;
  }, ctx.consultation, { timeout: 15000 });
  assert.equal(await ctx.admin.textContent('#live-active-count'), '1');
  await shot(ctx.admin, 'admin-live');
});

test('the clinic client receives the browser\'s video and the call ends', async () => {
  need('clinic');
  const { code } = await Promise.race([
    ctx.clinic.exited,
    until('the clinic client to exit', (CALL_SECONDS + 40) * 1000, () => ctx.clinic.done && { code: null }),
  ]);
  const report = JSON.parse(readFileSync(ctx.clinic.report, 'utf8'));
  writeFileSync(path.join(ARTIFACTS, 'clinic-report.json'), JSON.stringify(report, null, 2));
  assert.equal(code, 0, `the clinic client exit code (report: ${JSON.stringify(report)})`);
  assert.equal(report.consultation, ctx.consultation);
  assert.ok(report.video_frames_received > 60, `video frames from the browser: ${report.video_frames_received}`);
  assert.ok(report.audio_buffers_received > 0, `audio from the browser: ${report.audio_buffers_received}`);
  assert.equal(report.end_reason, 'completed');
  await ctx.doctor.waitForSelector('#desk:not([hidden])', { timeout: 10000 });
  assert.match(await ctx.doctor.textContent('#last-ended'), /ended.*completed/);
  await ctx.admin.waitForFunction(() => document.querySelector('#live-active-count').textContent === '0');
});

test('the history lists the consultation and shows its timeline', async () => {
  need('admin', 'consultation');
  await ctx.admin.click('#tabs a[data-view=history]');
  const row = await ctx.admin.waitForSelector(`#history-table tbody tr[data-consultation="${ctx.consultation}"]`);
  assert.match(await row.textContent(), /completed/);
  await row.click();
  await ctx.admin.waitForSelector('#detail:not([hidden])');
  await ctx.admin.waitForFunction(() => document.querySelectorAll('#timeline li').length >= 5);
  const kinds = await ctx.admin.$$eval('#timeline li .k', (els) => els.map((e) => e.textContent));
  for (const k of ['requested', 'accepted', 'started', 'ended'])
    assert.ok(kinds.includes(k), `the timeline has '${k}': ${kinds.join(', ')}`);
  await shot(ctx.admin, 'admin-history-direct', { fullPage: true });
});

test('a filter that excludes the consultation hides it', async () => {
  need('admin', 'consultation');
  const visible = () => ctx.admin.$(`#history-table tbody tr[data-consultation="${ctx.consultation}"]`);
  await ctx.admin.fill('#f-since', '2020-01-01');
  await ctx.admin.fill('#f-until', '2020-01-31');
  await ctx.admin.click('#filters button[type=submit]');
  await ctx.admin.waitForFunction(() => document.querySelector('#history-count').textContent.startsWith('0 consultations'));
  assert.equal(await visible(), null);
  await ctx.admin.click('#f-reset');
  await ctx.admin.fill('#f-doctor', 'dr-nobody');
  await ctx.admin.click('#filters button[type=submit]');
  await ctx.admin.waitForFunction(() => document.querySelector('#history-count').textContent.startsWith('0 consultations'));
  assert.equal(await visible(), null);
  await ctx.admin.fill('#f-doctor', NAMES.doctor);
  await ctx.admin.selectOption('#f-status', 'completed');
  await ctx.admin.click('#filters button[type=submit]');
  await ctx.admin.waitForSelector(`#history-table tbody tr[data-consultation="${ctx.consultation}"]`);
});

test('the CSV export holds what the filter shows', async () => {
  need('admin', 'consultation');
  const [download] = await Promise.all([ctx.admin.waitForEvent('download'), ctx.admin.click('#f-csv')]);
  const file = path.join(ARTIFACTS, download.suggestedFilename());
  await download.saveAs(file);
  const lines = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  assert.match(lines[0], /^id,clinic,doctor,/);
  assert.equal(lines.length, 2, 'a header and the one consultation');
  assert.ok(lines[1].startsWith(`${ctx.consultation},${NAMES.clinic},${NAMES.doctor},`), lines[1]);
  assert.match(download.suggestedFilename(), /^lastmile-consultations-.*\.csv$/);
});

test('every admin read is itself logged', async () => {
  need('consultation');
  const readsOf = async () => (await (await adminGet(`consultations/${ctx.consultation}`)).json())
    .events.filter((e) => e.kind === 'admin.read');
  const reads = await readsOf();
  assert.ok(reads.length >= 1, 'the dashboard\'s read of the timeline is logged');
  for (const e of reads) assert.equal(e.actor, NAMES.admin);
  assert.ok(reads.some((e) => e.detail && e.detail.path === `/api/v1/consultations/${ctx.consultation}`));
  assert.equal((await readsOf()).length, reads.length + 1, 'and so is this read');
});

test('relay mode: the doctor answers the relay\'s offer and receives the clinic\'s stream', async () => {
  need('doctor', 'admin');
  // The server's default media policy (auto) uses a relay once one is
  // registered. The relay and a media-less clinic are protocol peers in a
  // test-only page (fake-peers.js).
  const fake = await newPage('fake-peers');
  await fake.goto(`${ctx.url}healthz`);
  await fake.addScriptTag({ path: path.join(here, 'fake-peers.js') });
  await fake.evaluate((token) => window.fake.startRelay(token), ctx.tokens.relay);
  await ctx.admin.click('#tabs a[data-view=live]');
  await ctx.admin.waitForSelector(`#online-relays li:has-text("${NAMES.relay}")`);

  // A request withdrawn before any doctor took it: the log's 'cancelled'.
  const clinic = await fake.evaluate((token) => window.fake.clinic(token), ctx.tokens.clinic2);
  await fake.evaluate((i) => window.fake.request(i, { specialty: 'general', urgency: 'routine', patient_ref: 'SIY-0041' }), clinic);
  await ctx.doctor.waitForSelector('#queue tbody tr:has-text("SIY-0041")');
  await fake.evaluate((i) => window.fake.cancel(i), clinic);
  await ctx.doctor.waitForSelector('#queue tbody tr:has-text("SIY-0041")', { state: 'detached' });

  const id = await fake.evaluate((i) => window.fake.request(i, { specialty: 'paediatrics', urgency: 'urgent', patient_ref: 'SIY-0042' }), clinic);
  await ctx.doctor.click(`#queue tbody tr[data-consultation="${id}"] button`);
  await ctx.doctor.waitForSelector('#consult:not([hidden])');
  assert.match(await ctx.doctor.textContent('#c-mode'), /relay/);
  await ctx.doctor.waitForFunction(() => Number(document.querySelector('#quality').dataset.framesDecoded) > 30,
                                   null, { timeout: 30000 });
  // The doctor's camera reached the relay.
  await until('the relay to decode the doctor\'s video', 20000,
              () => fake.evaluate((c) => (window.fake.relay.legs.get(c) || {}).framesDecoded > 30, id));
  const row = await ctx.admin.waitForSelector(`#live-active tbody tr[data-consultation="${id}"]`);
  assert.match(await row.textContent(), /relay/);
  await shot(ctx.doctor, 'doctor-relay');
  await ctx.doctor.click('#end');
  await ctx.doctor.waitForSelector('#desk:not([hidden])');
  assert.match(await ctx.doctor.textContent('#last-ended'), /ended by you: completed/);
  const record = await (await adminGet(`consultations/${id}`)).json();
  assert.equal(record.media_mode, 'relay');
  assert.equal(record.relay, NAMES.relay);
  assert.equal(record.status, 'completed');
  assert.equal(record.patient_ref, PATIENT2);
  await fake.context().close();

  // The whole log so far, with the relay consultation's timeline.
  await ctx.admin.click('#tabs a[data-view=history]');
  await ctx.admin.click('#f-reset');
  await ctx.admin.waitForFunction(() => document.querySelector('#history-count').textContent.startsWith('3 consultations'));
  await ctx.admin.click(`#history-table tbody tr[data-consultation="${id}"]`);
  await ctx.admin.waitForFunction((c) => document.querySelector('#detail-facts').textContent.includes(c) &&
                                         document.querySelectorAll('#timeline li').length >= 5, id);
  assert.match(await ctx.admin.textContent('#detail-facts'), new RegExp(`relay \\(${NAMES.relay}\\)`));
  await shot(ctx.admin, 'admin-history', { fullPage: true });
});

test('the charts are drawn', async () => {
  need('admin');
  await ctx.admin.click('#tabs a[data-view=charts]');
  await ctx.admin.waitForFunction(() => document.querySelectorAll('#charts figure.chart svg').length >= 5);
  const captions = await ctx.admin.$$eval('#charts figcaption', (els) => els.map((e) => e.firstChild.textContent));
  assert.deepEqual(captions, ['Consultations per day', 'Time to a doctor', 'End reasons', 'Call quality over time']);
  assert.ok(await ctx.admin.$('#charts svg rect.s0'), 'a bar for the completed consultation');
  await shot(ctx.admin, 'admin-charts', { fullPage: true });
});

