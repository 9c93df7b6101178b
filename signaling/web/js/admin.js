// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
// The admin dashboard (/admin): sign in, then three views chosen by the
// URL's fragment (#live, #history, #charts).

import { $ } from './dom.js';
import { Api } from './api.js';
import { Signal } from './signal.js';
import { setupSignIn } from './signin.js';
import { LiveView } from './admin-live.js';
import { HistoryView } from './admin-history.js';
import { ChartsView } from './admin-charts.js';

const STORAGE_KEY = 'lastmile.admin.token';
const STATE_TEXT = { connecting: 'Connecting…', open: 'Live', reconnecting: 'Reconnecting…', closed: 'Offline' };

let views = null;

async function check(token) {
  const api = new Api(token);
  try {
    const live = await api.json('live');
    return { api, live };
  } catch (e) {
    if (e.status === 401) throw new Error('This token was refused. Check it and try again.');
    if (e.status === 403) throw new Error('This token is not an administrator\'s: the dashboard needs an admin account.');
    throw new Error(`The server cannot be reached (${e.message}).`);
  }
}

function onSignedIn(token, { api, live }) {
  const history = new HistoryView({ api });
  views = {
    live: new LiveView({ onNames: (kind, list) => history.addNames(kind, list) }),
    history,
    charts: new ChartsView({ api }),
  };
  views.live.render(live);
  $('#tabs').hidden = false;
  $('#signout').hidden = false;

  // The live view follows the server's pushes (`live.subscribe`); a
  // dropped socket resumes and subscribes again.
  const signal = new Signal(token);
  signal.addEventListener('message', (ev) => {
    if (ev.detail.type === 'live') views.live.render(ev.detail);
  });
  signal.addEventListener('state', (ev) => {
    const pill = $('#link-state');
    pill.hidden = false;
    pill.textContent = STATE_TEXT[ev.detail] || ev.detail;
    pill.dataset.state = ev.detail;
    if (ev.detail === 'open') signal.request({ type: 'live.subscribe' }).catch(() => {});
  });
  signal.addEventListener('refused', () => signIn.signOut());
  signal.connect().then((welcome) => {
    const who = $('#who');
    who.textContent = welcome.name;
    who.hidden = false;
  }).catch(() => {});
  route();
}

function route() {
  if (!views) return;
  const name = ['live', 'history', 'charts'].includes(location.hash.slice(1)) ? location.hash.slice(1) : 'live';
  for (const section of document.querySelectorAll('main > section[data-view]'))
    section.hidden = section.dataset.view !== name;
  for (const a of document.querySelectorAll('#tabs a')) {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const view = views[name];
  if (view && view.show) view.show();
}

window.addEventListener('hashchange', route);
const signIn = setupSignIn({ storageKey: STORAGE_KEY, check, onSignedIn });
$('#signout').addEventListener('click', () => signIn.signOut());
