// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
//
// Runs browser.test.mjs (TAP on stdout) where Chromium can do ICE.
// Chromium never gathers 127.0.0.1 candidates, so the test needs another
// interface. As root it makes one that is the test's alone: a network
// namespace holding only loopback and a veth pair on 10.213.7.0/24, with
// no route anywhere else; the server, the GStreamer client and Chromium
// all run inside it. Without root it uses the machine's own network if
// that has a non-loopback IPv4 address; otherwise it fails, saying why.
//
// Environment (set by tests/web/meson.build): LASTMILE_SIGNALING,
// LASTMILE_CLIENT, LASTMILE_WEB_MODULES (the folder holding
// node_modules), LASTMILE_WEB_ARTIFACTS (screenshots and logs),
// CHROMIUM (default /usr/bin/chromium).

import { spawn, spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const testFile = path.join(here, 'browser.test.mjs');
const nodeArgs = ['--test-reporter=tap', testFile];
const PREFIX = 'lmweb-';

function ip(...args) {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || r.error || '').toString().trim()}`);
  return r.stdout;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

// Namespaces left by a run that was killed before it could clean up.
function removeStale() {
  for (const line of ip('netns', 'list').split('\n')) {
    const m = new RegExp(`^${PREFIX}(\\d+)\\b`).exec(line);
    if (m && !alive(Number(m[1]))) spawnSync('ip', ['netns', 'delete', `${PREFIX}${m[1]}`]);
  }
}

function makeNamespace() {
  removeStale();
  const ns = `${PREFIX}${process.pid}`;
  ip('netns', 'add', ns);
  try {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'add', 'lmweb0', 'type', 'veth', 'peer', 'name', 'lmweb1');
    ip('-n', ns, 'addr', 'add', '10.213.7.1/24', 'dev', 'lmweb0');
    ip('-n', ns, 'addr', 'add', '10.213.7.2/24', 'dev', 'lmweb1');
    ip('-n', ns, 'link', 'set', 'lmweb0', 'up');
    ip('-n', ns, 'link', 'set', 'lmweb1', 'up');
  } catch (e) {
    spawnSync('ip', ['netns', 'delete', ns]);
    throw e;
  }
  return ns;
}

function hostHasNonLoopback() {
  return Object.values(networkInterfaces()).flat()
    .some((a) => a && a.family === 'IPv4' && !a.internal);
}

function bail(reason) {
  // A plan of one failing test: meson counts a failure, not a skip.
  process.stdout.write(`TAP version 13\nnot ok 1 - the browser tests could run\n  ---\n  message: ${JSON.stringify(reason)}\n  ...\n1..1\n`);
  process.exit(1);
}

let command = process.execPath;
let args = nodeArgs;
let ns = null;
const env = { ...process.env };

if (process.getuid && process.getuid() === 0) {
  try {
    ns = makeNamespace();
  } catch (e) {
    bail(`could not make a network namespace for the browser: ${e.message}`);
  }
  command = 'ip';
  args = ['netns', 'exec', ns, process.execPath, ...nodeArgs];
  env.LASTMILE_WEB_NETWORK = `network namespace ${ns} (veth 10.213.7.1/24)`;
} else if (hostHasNonLoopback()) {
  env.LASTMILE_WEB_NETWORK = 'the host network (not root: no namespace)';
} else {
  bail('not root (no network namespace) and no non-loopback IPv4 address: Chromium cannot gather ICE candidates');
}

const child = spawn(command, args, { stdio: 'inherit', env });
const cleanup = () => {
  if (ns) spawnSync('ip', ['netns', 'delete', ns]);
  ns = null;
};
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    child.kill(signal);
  });
}
child.on('exit', (code, signal) => {
  cleanup();
  process.exit(code ?? (signal ? 1 : 0));
});
