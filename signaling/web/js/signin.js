// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The lastmile developers
// The sign-in form both pages share. The token lives in sessionStorage
// only: it goes when the tab closes, and no other tab or page sees it.

import { $ } from './dom.js';

// check(token) resolves when the token works and rejects with an Error
// whose message is shown to the person; onSignedIn(token, result) then
// builds the page.
export function setupSignIn({ storageKey, check, onSignedIn }) {
  const form = $('#signin-form');
  const input = $('#signin-token');
  const error = $('#signin-error');
  const button = form.querySelector('button[type=submit]');

  async function attempt(token) {
    error.textContent = '';
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const result = await check(token);
      sessionStorage.setItem(storageKey, token);
      input.value = '';
      $('#signin').hidden = true;
      document.body.classList.add('signed-in');
      onSignedIn(token, result);
    } catch (e) {
      sessionStorage.removeItem(storageKey);
      error.textContent = e.message;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    } finally {
      button.disabled = false;
      form.removeAttribute('aria-busy');
    }
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const token = input.value.trim();
    if (token) attempt(token);
  });
  input.addEventListener('input', () => input.removeAttribute('aria-invalid'));

  const saved = sessionStorage.getItem(storageKey);
  if (saved) attempt(saved);
  else input.focus();

  return {
    signOut() {
      sessionStorage.removeItem(storageKey);
      location.reload();
    },
  };
}
