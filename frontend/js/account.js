// "My account": GET /api/v1/me (401: go to the login page); logout with
// DELETE /api/v1/sessions/current (X-CSRF-Token from /me), then home.
// "My data": download everything held about me (GET /api/v1/me/export), and
// delete my account (DELETE /api/v1/me with the password, after a warning
// and a confirmation).
import { onLangChange, getLang, setKey } from './i18n.js';
import { initLayout } from './layout.js';
import { api } from './api.js';
import { FormErrors, errorMessage, setBusy } from './form.js';
import { confirmDialog } from './dialog.js';
import { applyNav, loadMe } from './session.js';

const alertEl = document.getElementById('account-alert');
const statusEl = document.getElementById('account-status');
const details = document.getElementById('account-details');
const logoutButton = document.getElementById('logout-button');
const ROLES = new Set(['resident', 'volunteer', 'panelist', 'leader', 'admin']);

let account = null;

function showError(err) {
  const msg = errorMessage(err);
  setKey(alertEl, msg.key, undefined, msg.literal || '');
  alertEl.classList.add('is-shown');
}

/** "+84901234567" -> "0901234567": the way people here write their number. */
function displayLogin(acc) {
  if (acc.login_kind === 'phone' && /^\+84\d{9}$/.test(acc.login)) return `0${acc.login.slice(3)}`;
  return acc.login;
}

function formatDate(iso) {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat(getLang() === 'vi' ? 'vi-VN' : 'en-GB', { year: 'numeric', month: 'long', day: 'numeric' }).format(d);
}

function render() {
  if (!account) return;
  document.getElementById('account-name').textContent = account.display_name || '';
  const loginEl = document.getElementById('account-login');
  loginEl.textContent = displayLogin(account);
  const list = document.getElementById('account-roles');
  list.textContent = '';
  const roles = Array.isArray(account.roles) ? account.roles : [];
  if (roles.length === 0) {
    const li = document.createElement('li');
    setKey(li, 'account.noRoles');
    list.append(li);
  }
  for (const r of roles) {
    const li = document.createElement('li');
    li.className = 'roles__item';
    const role = document.createElement('span');
    role.className = 'roles__role';
    if (ROLES.has(r.role)) setKey(role, `roles.${r.role}`);
    else setKey(role, null, undefined, String(r.role));
    const ward = document.createElement('span');
    ward.className = 'roles__ward';
    if (r.ward_id === null || r.ward_id === undefined) setKey(ward, 'account.allWards');
    else setKey(ward, null, undefined, r.ward_name || '');
    li.append(role, ward);
    if (r.group_name) {
      const group = document.createElement('span');
      group.className = 'roles__group';
      group.textContent = r.group_name;
      li.append(group);
    }
    list.append(li);
  }
  const created = document.getElementById('account-created');
  created.textContent = formatDate(account.created_at);
  created.closest('.details__row').hidden = created.textContent === '';
}

async function load() {
  try {
    account = await loadMe();
  } catch (err) {
    setKey(statusEl, null);
    showError(err);
    return;
  }
  if (!account) {
    window.location.replace('login.html');
    return;
  }
  applyNav(account);
  setKey(statusEl, null);
  render();
  details.hidden = false;
  document.getElementById('account-data').hidden = false;
  document.getElementById('account-delete').hidden = false;
  loadNotifySettings();
}

// "Nhận thông báo": the outside channels I choose (GET/PUT /api/v1/me/notification-settings).
// A channel the ward does not offer stays unticked and disabled, with a word saying so.
const notifyForm = document.getElementById('notify-form');
const notifyStatus = document.getElementById('notify-status');
const notifyErrors = new FormErrors(notifyForm, document.getElementById('notify-alert'));
const notifyEmailAddress = document.getElementById('notify-email-address');
const CHANNELS = ['sms', 'zalo', 'email'];

function showNotifySettings(s) {
  for (const ch of CHANNELS) {
    const box = document.getElementById(`notify-${ch}`);
    const offered = !!(s.available && s.available[ch]);
    box.checked = !!s[ch];
    box.disabled = !offered && !s[ch];
    box.closest('.checkbox').querySelector('.notify-off').hidden = offered;
  }
  notifyEmailAddress.value = s.email_address || '';
  document.getElementById('notify-helper').checked = !!s.notify_helper;
  document.getElementById('notify-helper-row').hidden = !s.assisted;
  document.getElementById('notify-lang').value = s.lang === 'en' ? 'en' : 'vi';
}

async function loadNotifySettings() {
  try {
    showNotifySettings(await api.get('/me/notification-settings'));
    document.getElementById('notify-settings').hidden = false;
  } catch (err) {
    showError(err);
  }
}

notifyForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  notifyErrors.clear();
  const body = {
    sms: document.getElementById('notify-sms').checked,
    zalo: document.getElementById('notify-zalo').checked,
    email: document.getElementById('notify-email').checked,
    notify_helper: document.getElementById('notify-helper').checked,
    email_address: notifyEmailAddress.value.trim() || null,
    lang: document.getElementById('notify-lang').value,
  };
  setBusy(notifyForm, notifyStatus, true);
  try {
    const saved = await api.put('/me/notification-settings', body);
    setBusy(notifyForm, notifyStatus, false);
    showNotifySettings(saved);
    setKey(notifyStatus, 'account.notifySaved');
  } catch (err) {
    setBusy(notifyForm, notifyStatus, false);
    if (err.field === 'email_address') {
      notifyErrors.field(notifyEmailAddress, errorMessage(err).key || 'errors.invalid_email');
      notifyErrors.focusFirst();
    }
    notifyErrors.alert(errorMessage(err));
  }
});

const deleteForm = document.getElementById('delete-form');
const deletePassword = document.getElementById('delete-password');
const deleteStatus = document.getElementById('delete-status');
const deleteErrors = new FormErrors(deleteForm, document.getElementById('delete-alert'));

deleteForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  deleteErrors.clear();
  if (deletePassword.value === '') {
    deleteErrors.field(deletePassword, 'validation.passwordRequired');
    deleteErrors.alert('validation.summary');
    deleteErrors.focusFirst();
    return;
  }
  const sure = await confirmDialog({
    title: 'account.deleteTitle', body: 'account.deleteBody', confirm: 'account.deleteConfirm', danger: true,
  });
  if (!sure) return;
  setBusy(deleteForm, deleteStatus, true);
  try {
    await api.del('/me', { password: deletePassword.value });
  } catch (err) {
    setBusy(deleteForm, deleteStatus, false);
    if (err.code === 'invalid_credentials') {
      deletePassword.value = '';
      deleteErrors.field(deletePassword, 'account.deleteWrongPassword');
      deleteErrors.focusFirst();
      deleteErrors.alert('account.deleteWrongPassword');
      return;
    }
    deleteErrors.alert(errorMessage(err));
    return;
  }
  window.location.assign('index.html');
});

logoutButton.addEventListener('click', async () => {
  logoutButton.disabled = true;
  setKey(statusEl, 'common.sending');
  try {
    await api.del('/sessions/current');
  } catch (err) {
    if (err.status !== 401) {
      logoutButton.disabled = false;
      setKey(statusEl, null);
      showError(err);
      return;
    }
    // 401: the session was already gone; that is logged out too.
  }
  window.location.assign('index.html');
});

onLangChange(render);

initLayout().then(load);
