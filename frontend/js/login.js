// Login: POST /api/v1/sessions, then the account page (or the page named by
// ?next=, a page of this site, e.g. the proposal form that sent the person here).
import { initLayout } from './layout.js';
import { api } from './api.js';
import { initNav } from './session.js';
import {
  FormErrors, checkLogin, errorMessage, normalizeLogin, setBusy, setupLoginKind, setupShowPassword,
} from './form.js';

function main() {
  const form = document.getElementById('login-form');
  const alertEl = document.getElementById('login-alert');
  const statusEl = document.getElementById('login-status');
  const loginInput = document.getElementById('login-login');
  const passwordInput = document.getElementById('login-password');
  const errors = new FormErrors(form, alertEl);

  setupLoginKind(form, loginInput, document.getElementById('login-login-label'),
    document.getElementById('login-login-hint'));
  setupShowPassword(document.getElementById('login-show-password'), passwordInput);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    const loginProblem = checkLogin(loginInput.value);
    if (loginProblem) errors.field(loginInput, loginProblem);
    if (passwordInput.value === '') errors.field(passwordInput, 'validation.passwordRequired');
    if (errors.count > 0) {
      errors.alert('validation.summary');
      errors.focusFirst();
      return;
    }
    setBusy(form, statusEl, true);
    try {
      await api.post('/sessions', {
        login: normalizeLogin(loginInput.value).value,
        password: passwordInput.value,
      });
    } catch (err) {
      setBusy(form, statusEl, false);
      errors.alert(errorMessage(err));
      if (err.code === 'invalid_credentials') {
        passwordInput.value = '';
        passwordInput.focus();
      }
      return;
    }
    window.location.assign(nextPage());
  });
}

/** Where to go after logging in: ?next= when it is a page of this site, else the account page. */
function nextPage() {
  const next = new URLSearchParams(window.location.search).get('next') || '';
  return /^[a-z][\w-]*\.html(?:\?[\w=&%.-]*)?$/i.test(next) ? next : 'account.html';
}

// Translate first, so that nothing shows an untranslated key.
initLayout().then(() => {
  main();
  initNav();
});
