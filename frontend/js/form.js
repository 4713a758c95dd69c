// Helpers shared by the forms: error display (field errors linked with
// aria-describedby, a role="alert" summary), busy state, the phone/email
// choice for the login field, "show password", and login normalisation.
// No user-visible text here: everything is a dictionary key.

import { has, setKey } from './i18n.js';
import { loginHref } from './session.js';

/**
 * Dictionary key (or literal fallback) for an ApiError: errors.<code>, else
 * the server's message. For "unauthenticated" (not signed in, or the session
 * ended) the message also carries login: true, a link to log in and come back.
 */
export function errorMessage(err) {
  const code = err && typeof err.code === 'string' ? err.code : 'unknown';
  if (code === 'unauthenticated') return { key: 'errors.unauthenticated', login: true };
  // The wait the server asks for (Retry-After): seconds for the login's progressive delay, minutes for a block.
  if (code === 'too_many_requests' && Number.isFinite(err.retryAfter) && err.retryAfter > 0) {
    const s = err.retryAfter;
    return s < 60 ? { key: 'errors.too_many_requests_seconds', vars: { n: s } }
      : { key: 'errors.too_many_requests_minutes', vars: { n: Math.ceil(s / 60) } };
  }
  if (code === 'too_many_lookups' && Number.isFinite(err.retryAfter) && err.retryAfter > 0) {
    return { key: 'errors.too_many_lookups_minutes', vars: { n: Math.ceil(err.retryAfter / 60) } };
  }
  if (code === 'too_many_searches' && Number.isFinite(err.retryAfter) && err.retryAfter > 0) {
    return { key: 'errors.too_many_searches_minutes', vars: { n: Math.ceil(err.retryAfter / 60) } };
  }
  if (has(`errors.${code}`)) return { key: `errors.${code}` };
  if (err && err.message) return { key: null, literal: err.message };
  return { key: 'errors.unknown' };
}

/** Dictionary key (or literal) for an error about one field: fieldErrors.<field>, else errorMessage. */
export function fieldMessage(err) {
  if (err && err.field && has(`fieldErrors.${err.field}`)) return { key: `fieldErrors.${err.field}` };
  return errorMessage(err);
}

/**
 * Puts msg (a key, or {key, literal, login}) in el. With login, the text is
 * followed by a link to the login page that comes back to this page.
 */
export function showMessage(el, msg, vars) {
  if (msg && typeof msg === 'object' && vars === undefined) vars = msg.vars;
  if (typeof msg === 'string') {
    setKey(el, msg, vars);
    return;
  }
  if (!msg.login) {
    setKey(el, msg.key, vars, msg.literal || '');
    return;
  }
  // The key goes on a span, not on el, so that a language switch keeps the link.
  const text = document.createElement('span');
  setKey(text, msg.key, vars, msg.literal || '');
  const link = document.createElement('a');
  link.href = loginHref();
  setKey(link, 'errors.loginAgain');
  setKey(el, null);
  el.append(text, ' ', link);
}

const show = showMessage;

/**
 * Error display for one form. Each input #X may have a hint #X-hint and an
 * (initially hidden, empty) error #X-error; the alert element has role="alert".
 */
export class FormErrors {
  constructor(form, alertEl) {
    this.form = form;
    this.alertEl = alertEl;
    this.invalid = [];
    this.timer = null;
  }

  clear() {
    for (const input of this.invalid) {
      input.removeAttribute('aria-invalid');
      const err = document.getElementById(`${input.id}-error`);
      if (err) {
        setKey(err, null);
        err.hidden = true;
      }
      const hint = document.getElementById(`${input.id}-hint`);
      if (hint) input.setAttribute('aria-describedby', hint.id);
      else input.removeAttribute('aria-describedby');
    }
    this.invalid = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.alertEl.classList.remove('is-shown');
    setKey(this.alertEl, null);
  }

  /** Marks input invalid with msg (a key, or {key, literal}). */
  field(input, msg, vars) {
    const err = document.getElementById(`${input.id}-error`);
    input.setAttribute('aria-invalid', 'true');
    if (err) {
      show(err, msg, vars);
      err.hidden = false;
      const hint = document.getElementById(`${input.id}-hint`);
      input.setAttribute('aria-describedby', hint ? `${err.id} ${hint.id}` : err.id);
    }
    if (!this.invalid.includes(input)) this.invalid.push(input);
  }

  /**
   * Shows msg in the alert. The text is put in a moment after clearing so that
   * screen readers announce it again even when it is the same as before.
   */
  alert(msg, vars) {
    setKey(this.alertEl, null);
    this.alertEl.classList.remove('is-shown');
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      show(this.alertEl, msg, vars);
      this.alertEl.classList.add('is-shown');
    }, 50);
  }

  /** Moves focus to the first invalid input (in document order). */
  focusFirst() {
    const first = [...this.form.elements].find((el) => this.invalid.includes(el));
    if (first) first.focus();
  }

  get count() {
    return this.invalid.length;
  }
}

/** Disables the submit button(s) while a request runs and says so in the status region. */
export function setBusy(form, statusEl, busy) {
  form.setAttribute('aria-busy', busy ? 'true' : 'false');
  for (const btn of form.querySelectorAll('button[type="submit"]')) btn.disabled = busy;
  if (statusEl) setKey(statusEl, busy ? 'common.sending' : null);
}

/** Wires a "show password" checkbox to a password input. */
export function setupShowPassword(checkbox, input) {
  const update = () => {
    input.type = checkbox.checked ? 'text' : 'password';
  };
  checkbox.addEventListener('change', update);
  update();
}

/**
 * Wires the phone/email radios (name="login_kind") to the login input: the
 * phone choice gives a phone keypad, the email choice an email keyboard; the
 * label and hint follow.
 */
export function setupLoginKind(form, input, label, hint) {
  const radios = [...form.querySelectorAll('input[name="login_kind"]')];
  const update = () => {
    const checked = radios.find((r) => r.checked);
    const kind = checked ? checked.value : 'phone';
    // type stays "text" (autocomplete="username" is not allowed on type=tel);
    // inputmode picks the keyboard.
    if (kind === 'email') {
      input.setAttribute('inputmode', 'email');
      setKey(label, 'common.emailLabel');
      setKey(hint, 'common.emailHint');
    } else {
      input.setAttribute('inputmode', 'tel');
      setKey(label, 'common.phoneLabel');
      setKey(hint, 'common.phoneHint');
    }
    input.setAttribute('autocomplete', 'username');
  };
  for (const r of radios) r.addEventListener('change', update);
  update();
}

const PHONE_RE = /^(?:0|\+84|84)[35789]\d{8}$/;
const EMAIL_RE = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;

/**
 * The login as the server should get it: an email trimmed, a phone number
 * without spaces, dots, dashes or brackets. Anything with "@" is an email,
 * whatever the radios say.
 */
export function normalizeLogin(raw) {
  const s = String(raw || '').trim();
  if (s.includes('@')) return { kind: 'email', value: s };
  return { kind: 'phone', value: s.replace(/[\s.\-()]/g, '') };
}

/** A validation key for the login as typed, or null when it looks right. */
export function checkLogin(raw) {
  const { kind, value } = normalizeLogin(raw);
  if (value === '') return 'validation.loginRequired';
  if (kind === 'email') return EMAIL_RE.test(value) ? null : 'validation.emailInvalid';
  return PHONE_RE.test(value) ? null : 'validation.phoneInvalid';
}

/** A validation key for a new password, or null (10..256 code points). */
export function checkNewPassword(pw) {
  const n = [...String(pw || '')].length;
  if (n === 0) return 'validation.passwordRequired';
  if (n < 10) return 'validation.passwordShort';
  if (n > 256) return 'validation.passwordLong';
  return null;
}
