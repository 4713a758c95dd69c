// Registration: fills the ward and residential-group choices from
// GET /api/v1/wards, creates the account (POST /api/v1/accounts), logs in
// (POST /api/v1/sessions) and goes to the account page.
import { initLayout } from './layout.js';
import { api } from './api.js';
import { initNav } from './session.js';
import {
  FormErrors, checkLogin, checkNewPassword, errorMessage, fieldMessage, normalizeLogin,
  setBusy, setupLoginKind, setupShowPassword,
} from './form.js';
import { sortGroups } from './ui.js';

function main() {
  const form = document.getElementById('register-form');
  const alertEl = document.getElementById('register-alert');
  const statusEl = document.getElementById('register-status');
  const nameInput = document.getElementById('reg-name');
  const loginInput = document.getElementById('reg-login');
  const passwordInput = document.getElementById('reg-password');
  const wardSelect = document.getElementById('reg-ward');
  const groupField = document.getElementById('reg-group-field');
  const groupSelect = document.getElementById('reg-group');
  const errors = new FormErrors(form, alertEl);

  setupLoginKind(form, loginInput, document.getElementById('reg-login-label'),
    document.getElementById('reg-login-hint'));
  setupShowPassword(document.getElementById('reg-show-password'), passwordInput);

  let wards = [];

  function option(value, text) {
    const o = document.createElement('option');
    o.value = String(value);
    o.textContent = text;
    return o;
  }

  function fillGroups() {
    const ward = wards.find((w) => String(w.id) === wardSelect.value);
    const groups = ward && Array.isArray(ward.groups) ? sortGroups(ward.groups) : [];
    // Keep the first option ("none"), replace the rest.
    while (groupSelect.options.length > 1) groupSelect.remove(1);
    for (const g of groups) groupSelect.add(option(g.id, g.name));
    groupSelect.value = '';
    groupField.hidden = groups.length === 0;
  }

  async function loadWards() {
    try {
      const data = await api.get('/wards');
      wards = data && Array.isArray(data.wards) ? data.wards : [];
    } catch (err) {
      errors.alert(errorMessage(err));
      return;
    }
    while (wardSelect.options.length > 1) wardSelect.remove(1);
    for (const w of wards) wardSelect.add(option(w.id, w.name));
    if (wards.length === 1) wardSelect.value = String(wards[0].id);
    if (wards.length === 0) errors.alert('register.noWards');
    fillGroups();
  }

  wardSelect.addEventListener('change', fillGroups);

  const FIELD_INPUTS = {
    display_name: nameInput,
    login: loginInput,
    password: passwordInput,
    ward_id: wardSelect,
    group_id: groupSelect,
  };

  function validate() {
    if (nameInput.value.trim() === '') errors.field(nameInput, 'validation.nameRequired');
    const loginProblem = checkLogin(loginInput.value);
    if (loginProblem) errors.field(loginInput, loginProblem);
    const passwordProblem = checkNewPassword(passwordInput.value);
    if (passwordProblem) errors.field(passwordInput, passwordProblem);
    if (wardSelect.value === '') errors.field(wardSelect, 'validation.wardRequired');
    return errors.count === 0;
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    if (!validate()) {
      errors.alert('validation.summary');
      errors.focusFirst();
      return;
    }
    const login = normalizeLogin(loginInput.value).value;
    const password = passwordInput.value;
    const body = {
      login,
      password,
      display_name: nameInput.value.trim(),
      ward_id: Number(wardSelect.value),
    };
    if (!groupField.hidden && groupSelect.value !== '') body.group_id = Number(groupSelect.value);

    setBusy(form, statusEl, true);
    try {
      await api.post('/accounts', body);
    } catch (err) {
      setBusy(form, statusEl, false);
      const field = err.code === 'login_taken' ? 'login' : err.field;
      const input = field ? FIELD_INPUTS[field] : null;
      if (input) {
        errors.field(input, err.code === 'login_taken' ? errorMessage(err) : fieldMessage(err));
        errors.focusFirst();
      }
      errors.alert(errorMessage(err));
      return;
    }
    try {
      await api.post('/sessions', { login, password });
    } catch {
      // The account exists; let the person log in by hand.
      window.location.assign('login.html');
      return;
    }
    window.location.assign('account.html');
  });

  return loadWards();
}

// Translate first, so that nothing shows an untranslated key.
initLayout().then(() => {
  initNav();
  return main();
});
