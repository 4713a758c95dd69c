// Set a password with a one-time code (POST /api/v1/accounts/password-setup): for an account a
// volunteer created (no password yet) or a forgotten password. Then the person logs in on the
// login page with the new password (the code does not log them in: every session ends).
import { initLayout } from './layout.js';
import { api } from './api.js';
import { initNav } from './session.js';
import {
  FormErrors, checkLogin, checkNewPassword, errorMessage, fieldMessage, normalizeLogin, setBusy, setupLoginKind,
  setupShowPassword,
} from './form.js';

/** The 8 digits of a code as typed ("1234 5678", "1234-5678"), or null. */
function codeDigits(text) {
  const digits = String(text || '').replace(/[\s-]/g, '');
  return /^[0-9]{8}$/.test(digits) ? digits : null;
}

function main() {
  const $ = (id) => document.getElementById(id);
  const form = $('sp-form');
  const statusEl = $('sp-status');
  const loginInput = $('sp-login');
  const codeInput = $('sp-code');
  const passwordInput = $('sp-password');
  const confirmInput = $('sp-confirm');
  const errors = new FormErrors(form, $('sp-alert'));

  setupLoginKind(form, loginInput, $('sp-login-label'), $('sp-login-hint'));
  const showBox = $('sp-show-password');
  setupShowPassword(showBox, passwordInput);
  setupShowPassword(showBox, confirmInput);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    const loginProblem = checkLogin(loginInput.value);
    if (loginProblem) errors.field(loginInput, loginProblem);
    const code = codeDigits(codeInput.value);
    if (!code) errors.field(codeInput, codeInput.value.trim() === '' ? 'validation.codeRequired' : 'validation.codeInvalid');
    const passwordProblem = checkNewPassword(passwordInput.value);
    if (passwordProblem) errors.field(passwordInput, passwordProblem);
    else if (confirmInput.value !== passwordInput.value) errors.field(confirmInput, 'validation.passwordMismatch');
    if (errors.count > 0) {
      errors.alert('validation.summary');
      errors.focusFirst();
      return;
    }
    setBusy(form, statusEl, true);
    try {
      await api.post('/accounts/password-setup', {
        login: normalizeLogin(loginInput.value).value,
        code,
        password: passwordInput.value,
      });
    } catch (err) {
      setBusy(form, statusEl, false);
      const input = { login: loginInput, code: codeInput, password: passwordInput }[err.field];
      if (input) errors.field(input, err.code === 'invalid_setup_code' ? errorMessage(err) : fieldMessage(err));
      errors.alert(errorMessage(err));
      if (input) errors.focusFirst();
      return;
    }
    setBusy(form, statusEl, false);
    form.reset();
    form.hidden = true;
    $('sp-done').hidden = false;
    $('sp-done-title').focus();
  });
}

initLayout().then(() => {
  main();
  initNav();
});
