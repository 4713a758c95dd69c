// Administration (admin.html): the wards and residential groups an administrator manages (create,
// rename, retire, restore), accounts (search, create with a role and a set-up code shown once,
// grant and revoke roles with a reason, roles and recent audit of one), and the audit log
// (filters, "Tải thêm" paging, CSV). Every right is checked again by the server; this page only
// offers what the GET /admin/wards answer says the person manages.
import { api, apiUrl } from './api.js';
import { el } from './dom.js';
import { setKey } from './i18n.js';
import { FormErrors, checkLogin, fieldMessage, normalizeLogin, setBusy } from './form.js';
import { clearAlert, runPage, showAlert, sortGroups, startPage } from './ui.js';
import { goToLogin } from './session.js';
import { formatDateTime } from './format.js';
import { showSetupCode } from './setup-code-box.js';

const $ = (id) => document.getElementById(id);
const ROLES = ['resident', 'volunteer', 'panelist', 'leader', 'admin'];
const ACTIONS = [
  'account_created', 'role_granted', 'role_revoked', 'setup_code_issued', 'password_reset_code_issued',
  'password_set_with_code', 'password_reset_with_code', 'ward_created', 'ward_renamed', 'group_created',
  'group_renamed', 'group_retired', 'group_restored', 'ward_public_contact_changed', 'proposal_publicity_changed', 'login', 'login_failed', 'logout',
  'resident_created_by_volunteer', 'resident_found_by_volunteer', 'resident_lookup_refused',
  'people_searched', 'resident_viewed', 'account_viewed',
];

let wards = [];
let installation = false;
let account = null; // the account shown in #account-detail
let revoking = null; // the role being revoked
let nextBefore = null;

function wardName(id) {
  const w = wards.find((x) => x.id === id);
  return w ? w.name : String(id);
}

function roleLabel(r) {
  return r.ward_id === null
    ? el('span', {}, el('span', { i18n: `roles.${r.role}` }), ' (', el('span', { i18n: 'admin.everywhere' }), ')')
    : el('span', {}, el('span', { i18n: `roles.${r.role}` }), ` (${r.ward_name || wardName(r.ward_id)})`,
      r.group_name ? ` · ${r.group_name}` : '');
}

/** A button whose visible text is short (key) and whose name also says what it is about. */
function namedButton(key, about, attrs) {
  return el('button', { type: 'button', ...attrs }, el('span', { i18n: key }), el('span', { class: 'visually-hidden' }, ' (', about, ')'));
}

/** Options of a <select>: [{ value, i18n | text }]; keeps the chosen value when it is still there. */
function fillSelect(select, options) {
  const was = select.value;
  select.replaceChildren(...options.map((o) => el('option', { value: o.value, i18n: o.i18n, text: o.text })));
  if (options.some((o) => String(o.value) === was)) select.value = was;
}

function wardOptions({ everywhere = false, all = false } = {}) {
  const opts = wards.map((w) => ({ value: String(w.id), text: `${w.name} (${w.code})` }));
  if (everywhere && installation) opts.unshift({ value: '', i18n: 'admin.everywhere' });
  if (all && installation) opts.unshift({ value: '', i18n: 'admin.allWards' });
  return opts;
}

/* ------------------------------------------------------------------------------------------ */
/* Wards and groups                                                                            */
/* ------------------------------------------------------------------------------------------ */

/** A one-field form (rename, add a group) with its own error line; onSubmit(value) may throw an ApiError. */
function oneFieldForm(idBase, labelKey, submitKey, value, onSubmit, { onCancel } = {}) {
  const input = el('input', { id: `${idBase}-input`, type: 'text', autocomplete: 'off', required: true, maxlength: 200 });
  input.value = value || '';
  const error = el('p', { id: `${idBase}-input-error`, class: 'field-error', hidden: true });
  const form = el('form', { class: 'form form--compact', novalidate: true },
    el('div', { class: 'field' }, el('label', { for: input.id, i18n: labelKey }), error, input),
    el('ul', { class: 'actions' },
      el('li', {}, el('button', { type: 'submit', class: 'button', i18n: submitKey })),
      onCancel ? el('li', {}, el('button', { type: 'button', class: 'button button--secondary', i18n: 'common.cancel', on: { click: onCancel } })) : null));
  const errors = new FormErrors(form, $('admin-alert'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    const v = input.value.trim();
    if (!v) {
      errors.field(input, 'admin.nameRequired');
      input.focus();
      return;
    }
    setBusy(form, $('wards-status'), true);
    try {
      await onSubmit(v);
    } catch (err) {
      setBusy(form, $('wards-status'), false);
      errors.field(input, err.code === 'group_name_taken' ? 'admin.groupNameTaken' : fieldMessage(err));
      input.focus();
    }
  });
  return form;
}

async function loadWards() {
  const data = await api.get('/admin/wards');
  wards = data.wards || [];
  installation = data.installation_admin === true;
  renderWards();
  for (const id of ['grant-ward', 'create-ward']) fillSelect($(id), wardOptions({ everywhere: true }));
  fillSelect($('audit-ward'), wardOptions({ all: true }));
  updateCreateGroups();
  updateCsvLink();
}

/** Reloads the wards after a change, says so, and puts the focus back on a sensible element. */
async function afterWardChange(messageKey, vars, focusId) {
  await loadWards();
  setKey($('wards-status'), messageKey, vars);
  const target = focusId && $(focusId);
  if (target) target.focus();
}

function groupItem(ward, g) {
  const li = el('li', { class: `admin-group${g.retired_at ? ' admin-group--retired' : ''}`, id: `group-${g.id}` });
  const nameId = `group-${g.id}-name`;
  const render = () => {
    li.replaceChildren(
      el('p', { class: 'admin-group__name' },
        el('strong', { id: nameId, text: g.name }),
        g.retired_at ? [' ', el('span', { class: 'badge badge--state-closed', i18n: 'admin.retired' })] : null),
      el('p', { class: 'card__meta', i18n: 'admin.groupResidents', vars: { n: g.residents } }),
      el('ul', { class: 'actions actions--inline' },
        el('li', {}, el('button', {
          type: 'button', class: 'button button--secondary', id: `group-${g.id}-rename`,
          'aria-describedby': nameId, i18n: 'admin.rename', on: { click: () => {
            const form = oneFieldForm(`group-${g.id}-rename-form`, 'admin.groupNewName', 'admin.renameSubmit', g.name, async (v) => {
              await api.patch(`/admin/groups/${g.id}`, { name: v });
              await afterWardChange('admin.groupRenamed', { name: v }, `group-${g.id}-rename`);
            }, { onCancel: () => { render(); $(`group-${g.id}-rename`).focus(); } });
            li.replaceChildren(form);
            form.querySelector('input').focus();
          } },
        })),
        el('li', {}, el('button', {
          type: 'button', class: 'button button--secondary', id: `group-${g.id}-retire`,
          'aria-describedby': nameId, i18n: g.retired_at ? 'admin.restore' : 'admin.retire', on: { click: async () => {
            try {
              await api.patch(`/admin/groups/${g.id}`, { retired: !g.retired_at });
            } catch (err) {
              showAlert($('admin-alert'), err);
              return;
            }
            await afterWardChange(g.retired_at ? 'admin.groupRestored' : 'admin.groupRetired', { name: g.name }, `group-${g.id}-retire`);
          } },
        }))));
  };
  render();
  return li;
}

function wardCard(w) {
  const card = el('article', { class: 'card admin-ward', id: `ward-${w.id}`, 'aria-labelledby': `ward-${w.id}-title` });
  const titleRow = () => el('h3', { id: `ward-${w.id}-title`, tabindex: '-1' }, w.name, ' ', el('span', { class: 'badge', text: w.code }));
  const renameButton = el('button', {
    type: 'button', class: 'button button--tertiary', id: `ward-${w.id}-rename`,
    'aria-describedby': `ward-${w.id}-title`, i18n: 'admin.renameWard',
  });
  const renameSlot = el('div', {});
  renameButton.addEventListener('click', () => {
    renameButton.hidden = true;
    const form = oneFieldForm(`ward-${w.id}-rename-form`, 'admin.wardNewName', 'admin.renameSubmit', w.name, async (v) => {
      await api.patch(`/admin/wards/${w.id}`, { name: v });
      await afterWardChange('admin.wardRenamed', { name: v }, `ward-${w.id}-rename`);
    }, { onCancel: () => { renameSlot.replaceChildren(); renameButton.hidden = false; renameButton.focus(); } });
    renameSlot.replaceChildren(form);
    form.querySelector('input').focus();
  });
  // Who to contact about the ward's winning models when their author did not consent to show theirs (issue 11).
  const contactLine = el('p', { id: `ward-${w.id}-contact`, class: 'card__meta', i18n: w.public_contact ? 'admin.publicContactIs' : 'admin.publicContactNone', vars: { contact: w.public_contact || '' } });
  const contactButton = el('button', {
    type: 'button', class: 'button button--tertiary', id: `ward-${w.id}-contact-edit`,
    'aria-describedby': `ward-${w.id}-title`, i18n: 'admin.publicContactEdit',
  });
  const contactSlot = el('div', {});
  contactButton.addEventListener('click', () => {
    contactButton.hidden = true;
    const form = oneFieldForm(`ward-${w.id}-contact-form`, 'admin.publicContactLabel', 'admin.publicContactSave', w.public_contact, async (v) => {
      await api.put(`/wards/${w.id}/public-contact`, { public_contact: v });
      await afterWardChange('admin.publicContactSaved', { contact: v }, `ward-${w.id}-contact-edit`);
    }, { onCancel: () => { contactSlot.replaceChildren(); contactButton.hidden = false; contactButton.focus(); } });
    contactSlot.replaceChildren(form);
    form.querySelector('input').focus();
  });
  const groups = sortGroups(w.groups.filter((g) => !g.retired_at)).concat(sortGroups(w.groups.filter((g) => g.retired_at)));
  const addForm = oneFieldForm(`ward-${w.id}-group`, 'admin.groupNameLabel', 'admin.groupCreate', '', async (v) => {
    await api.post(`/admin/wards/${w.id}/groups`, { name: v });
    await afterWardChange('admin.groupCreated', { name: v }, `ward-${w.id}-group-input`);
  });
  card.append(
    titleRow(), renameButton, renameSlot, contactLine, contactButton, contactSlot,
    el('h4', { i18n: 'admin.groupsHeading' }),
    groups.length
      ? el('ul', { class: 'admin-groups' }, groups.map((g) => groupItem(w, g)))
      : el('p', { class: 'empty', i18n: 'admin.groupsEmpty' }),
    el('h4', { i18n: 'admin.groupCreateHeading' }),
    addForm);
  return card;
}

function renderWards() {
  $('wards-list').replaceChildren(...(wards.length ? wards.map(wardCard) : [el('p', { class: 'empty', i18n: 'admin.wardsEmpty' })]));
  $('ward-form').hidden = !installation;
}

function setupWardForm() {
  const form = $('ward-form');
  const errors = new FormErrors(form, $('ward-form-alert'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    const code = $('ward-code').value.trim().toUpperCase();
    const name = $('ward-name').value.trim();
    if (!/^[A-Z0-9]{2,10}$/.test(code)) errors.field($('ward-code'), 'admin.wardCodeInvalid');
    if (!name) errors.field($('ward-name'), 'admin.nameRequired');
    if (errors.count) {
      errors.focusFirst();
      return;
    }
    setBusy(form, $('wards-status'), true);
    try {
      await api.post('/admin/wards', { code, name });
    } catch (err) {
      setBusy(form, $('wards-status'), false);
      if (err.code === 'ward_code_taken') errors.field($('ward-code'), 'admin.wardCodeTaken');
      else if (err.field === 'code') errors.field($('ward-code'), 'admin.wardCodeInvalid');
      else errors.alert(fieldMessage(err));
      errors.focusFirst();
      return;
    }
    setBusy(form, $('wards-status'), false);
    form.reset();
    await afterWardChange('admin.wardCreated', { name }, null);
    const created = wards.find((w) => w.code === code);
    if (created) $(`ward-${created.id}-title`).focus();
  });
}

/* ------------------------------------------------------------------------------------------ */
/* Accounts                                                                                    */
/* ------------------------------------------------------------------------------------------ */

function accountCard(a) {
  return el('li', { class: 'card' },
    el('h3', { class: 'card__title', text: a.display_name }),
    el('p', { class: 'card__meta', text: a.login }),
    el('ul', { class: 'admin-roles admin-roles--short' }, a.roles.map((r) => el('li', {}, roleLabel(r)))),
    namedButton('admin.open', a.display_name, { class: 'button button--secondary', on: { click: () => openAccount(a.id) } }));
}

function setupSearch() {
  const form = $('search-form');
  const errors = new FormErrors(form, $('search-alert'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    const q = $('search-q').value.trim();
    if ([...q].length < 2) {
      errors.field($('search-q'), 'admin.searchShort');
      $('search-q').focus();
      return;
    }
    setKey($('search-status'), 'common.loading');
    let data;
    try {
      data = await api.get(`/admin/accounts?q=${encodeURIComponent(q)}`);
    } catch (err) {
      setKey($('search-status'), null);
      errors.field($('search-q'), fieldMessage(err));
      return;
    }
    const list = data.accounts || [];
    $('search-results').replaceChildren(...list.map(accountCard));
    setKey($('search-status'), list.length ? 'admin.searchFound' : 'admin.searchNone', { n: list.length });
  });
}

function eventItem(e) {
  const reason = e.detail && typeof e.detail.reason === 'string' ? e.detail.reason : null;
  const role = e.detail && typeof e.detail.role === 'string' ? e.detail.role : null;
  return el('li', { class: 'audit-item' },
    el('p', { class: 'audit-item__head' },
      el('time', { datetime: e.at, text: formatDateTime(e.at) }), ' · ',
      el('strong', { i18n: `admin.actions.${e.action}`, text: e.action })),
    el('p', { class: 'card__meta' },
      e.actor_name ? el('span', { i18n: 'admin.by', vars: { name: e.actor_name } }) : null,
      e.subject ? el('span', { text: ` · ${e.subject}` }) : null,
      e.ward_id ? el('span', { text: ` · ${wardName(e.ward_id)}` }) : null,
      role ? [' · ', el('span', { i18n: `roles.${role}` })] : null),
    reason ? el('p', { class: 'audit-item__reason', i18n: 'admin.reasonShown', vars: { reason } }) : null);
}

async function openAccount(id, { focus = true } = {}) {
  clearAlert($('account-alert'));
  setKey($('account-status'), null);
  let data;
  try {
    data = await api.get(`/admin/accounts/${id}`);
  } catch (err) {
    showAlert($('admin-alert'), err);
    return;
  }
  account = data.account;
  $('account-detail').hidden = false;
  $('account-title').textContent = account.display_name;
  $('account-login').textContent = account.login;
  $('account-code').hidden = true;
  $('account-code').replaceChildren();
  $('revoke-form').hidden = true;
  $('account-roles').replaceChildren(...account.roles.map((r) => el('li', { class: 'admin-role' },
    roleLabel(r), ' ',
    namedButton('admin.revoke', roleLabel(r), { class: 'button button--tertiary', on: { click: () => startRevoke(r) } }))));
  if (!account.roles.length) $('account-roles').append(el('li', { i18n: 'admin.noRoles' }));
  const events = data.recent_events || [];
  $('account-events').replaceChildren(...events.map(eventItem));
  $('account-events-empty').hidden = events.length > 0;
  if (focus) $('account-title').focus();
}

function startRevoke(r) {
  revoking = r;
  const form = $('revoke-form');
  form.hidden = false;
  $('revoke-title').replaceChildren(el('span', { i18n: 'admin.revokeHeading' }), ': ', roleLabel(r));
  $('revoke-reason').value = '';
  $('revoke-reason').focus();
}

function setupAccountForms() {
  const revokeForm = $('revoke-form');
  const revokeErrors = new FormErrors(revokeForm, $('account-alert'));
  $('revoke-cancel').addEventListener('click', () => {
    revokeForm.hidden = true;
    $('account-title').focus();
  });
  revokeForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    revokeErrors.clear();
    const reason = $('revoke-reason').value.trim();
    if (!reason) {
      revokeErrors.field($('revoke-reason'), 'admin.reasonRequired');
      $('revoke-reason').focus();
      return;
    }
    const body = { account_id: account.id, role: revoking.role, reason };
    if (revoking.ward_id !== null) body.ward_id = revoking.ward_id;
    setBusy(revokeForm, $('account-status'), true);
    try {
      await api.del('/admin/roles', body);
    } catch (err) {
      setBusy(revokeForm, $('account-status'), false);
      revokeErrors.alert(err.code === 'last_admin' ? 'admin.lastAdmin' : fieldMessage(err));
      return;
    }
    setBusy(revokeForm, $('account-status'), false);
    await openAccount(account.id);
    setKey($('account-status'), 'admin.revoked');
  });

  fillSelect($('grant-role'), ROLES.map((r) => ({ value: r, i18n: `roles.${r}` })));
  const grantForm = $('grant-form');
  const grantErrors = new FormErrors(grantForm, $('account-alert'));
  grantForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    grantErrors.clear();
    const reason = $('grant-reason').value.trim();
    if (!reason) {
      grantErrors.field($('grant-reason'), 'admin.reasonRequired');
      $('grant-reason').focus();
      return;
    }
    const body = { account_id: account.id, role: $('grant-role').value, reason };
    if ($('grant-ward').value) body.ward_id = Number($('grant-ward').value);
    setBusy(grantForm, $('account-status'), true);
    try {
      await api.post('/admin/roles', body);
    } catch (err) {
      setBusy(grantForm, $('account-status'), false);
      grantErrors.alert(err.code === 'role_exists' ? 'admin.roleExists' : fieldMessage(err));
      return;
    }
    setBusy(grantForm, $('account-status'), false);
    $('grant-reason').value = '';
    await openAccount(account.id);
    setKey($('account-status'), 'admin.granted');
  });

  $('account-code-button').addEventListener('click', async () => {
    const button = $('account-code-button');
    button.disabled = true;
    setKey($('account-status'), 'common.sending');
    let sc;
    try {
      sc = (await api.action(`/accounts/${account.id}/setup-code`)).setup_code;
    } catch (err) {
      button.disabled = false;
      setKey($('account-status'), null);
      showAlert($('account-alert'), err.code === 'forbidden' ? 'admin.codeForbidden' : err);
      return;
    }
    button.disabled = false;
    setKey($('account-status'), 'assist.setupCodeMade');
    showSetupCode($('account-code'), sc, account.display_name);
  });

  $('account-audit-link').addEventListener('click', () => {
    $('audit-account').value = String(account.id);
    loadAudit();
    $('audit-title').focus();
  });
}

function updateCreateGroups() {
  const role = $('create-role').value;
  const ward = wards.find((w) => String(w.id) === $('create-ward').value);
  const show = role === 'resident' && !!ward;
  $('create-group-field').hidden = !show;
  const groups = ward ? sortGroups(ward.groups.filter((g) => !g.retired_at)) : [];
  fillSelect($('create-group'), [{ value: '', i18n: 'admin.groupNone' }, ...groups.map((g) => ({ value: String(g.id), text: g.name }))]);
  // "Toàn hệ thống" only makes sense for an installation admin.
  const everywhere = $('create-ward').querySelector('option[value=""]');
  if (everywhere) everywhere.disabled = role !== 'admin';
  if (role !== 'admin' && $('create-ward').value === '' && wards.length) $('create-ward').value = String(wards[0].id);
}

function setupCreate() {
  fillSelect($('create-role'), ['panelist', 'leader', 'volunteer', 'resident', 'admin'].map((r) => ({ value: r, i18n: `roles.${r}` })));
  $('create-role').addEventListener('change', updateCreateGroups);
  $('create-ward').addEventListener('change', updateCreateGroups);
  $('grant-role').addEventListener('change', () => {
    const everywhere = $('grant-ward').querySelector('option[value=""]');
    if (everywhere) everywhere.disabled = $('grant-role').value !== 'admin';
    if ($('grant-role').value !== 'admin' && $('grant-ward').value === '' && wards.length) $('grant-ward').value = String(wards[0].id);
  });
  const form = $('create-form');
  const errors = new FormErrors(form, $('create-alert'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    const name = $('create-name').value.trim();
    const loginKey = checkLogin($('create-login').value);
    if (!name) errors.field($('create-name'), 'admin.nameRequired');
    if (loginKey) errors.field($('create-login'), loginKey);
    if (errors.count) {
      errors.focusFirst();
      return;
    }
    const role = { role: $('create-role').value, ward_id: $('create-ward').value ? Number($('create-ward').value) : null };
    if (role.role === 'resident' && $('create-group').value) role.group_id = Number($('create-group').value);
    setBusy(form, $('create-status'), true);
    let data;
    try {
      data = await api.post('/admin/accounts', { login: normalizeLogin($('create-login').value).value, display_name: name, roles: [role] });
    } catch (err) {
      setBusy(form, $('create-status'), false);
      if (err.field === 'login') errors.field($('create-login'), err.code === 'login_taken' ? 'admin.loginTaken' : fieldMessage(err));
      else if (err.field === 'display_name') errors.field($('create-name'), fieldMessage(err));
      else errors.alert(fieldMessage(err));
      errors.focusFirst();
      return;
    }
    setBusy(form, $('create-status'), false);
    setKey($('create-status'), 'admin.created', { name });
    form.reset();
    updateCreateGroups();
    showSetupCode($('create-code'), data.setup_code, name);
  });
}

/* ------------------------------------------------------------------------------------------ */
/* Audit log                                                                                   */
/* ------------------------------------------------------------------------------------------ */

function auditQuery(before) {
  const q = new URLSearchParams();
  if ($('audit-ward').value) q.set('ward_id', $('audit-ward').value);
  const person = $('audit-account').value.trim();
  if (person) q.set('account_id', person);
  if ($('audit-action').value) q.set('action', $('audit-action').value);
  if ($('audit-from').value) q.set('from', $('audit-from').value);
  if ($('audit-to').value) q.set('to', $('audit-to').value);
  if (before) q.set('before', String(before));
  return q.toString();
}

function updateCsvLink() {
  $('audit-csv').setAttribute('href', apiUrl(`/admin/audit.csv?${auditQuery()}`));
}

let auditSeq = 0; // only the answer to the latest request is shown

async function loadAudit({ more = false } = {}) {
  const seq = ++auditSeq;
  const errors = auditErrors;
  errors.clear();
  const person = $('audit-account').value.trim();
  if (person && !/^[1-9]\d{0,17}$/.test(person)) {
    errors.field($('audit-account'), 'admin.personInvalid');
    $('audit-account').focus();
    return;
  }
  if ($('audit-from').value && $('audit-to').value && $('audit-from').value > $('audit-to').value) {
    errors.field($('audit-to'), 'admin.datesReversed');
    $('audit-to').focus();
    return;
  }
  updateCsvLink();
  setKey($('audit-status'), 'common.loading');
  let data;
  try {
    data = await api.get(`/admin/audit?${auditQuery(more ? nextBefore : null)}`);
  } catch (err) {
    if (seq !== auditSeq) return;
    setKey($('audit-status'), null);
    errors.alert(fieldMessage(err));
    return;
  }
  if (seq !== auditSeq) return;
  const items = (data.events || []).map(eventItem);
  if (more) $('audit-list').append(...items);
  else $('audit-list').replaceChildren(...items);
  nextBefore = data.next_before;
  $('audit-more').hidden = !nextBefore;
  const n = $('audit-list').children.length;
  $('audit-empty').hidden = n > 0;
  setKey($('audit-status'), 'admin.auditShown', { n });
  if (more && items.length) {
    items[0].setAttribute('tabindex', '-1');
    items[0].focus();
  }
}

let auditErrors;

function setupAudit() {
  fillSelect($('audit-action'), [{ value: '', i18n: 'admin.allActions' }, ...ACTIONS.map((a) => ({ value: a, i18n: `admin.actions.${a}` }))]);
  auditErrors = new FormErrors($('audit-form'), $('audit-alert'));
  $('audit-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    loadAudit();
  });
  $('audit-form').addEventListener('change', updateCsvLink);
  $('audit-form').addEventListener('input', updateCsvLink);
  $('audit-more').addEventListener('click', () => loadAudit({ more: true }));
}

runPage(async () => {
  const me = await startPage();
  if (!me) {
    goToLogin();
    return;
  }
  setKey($('admin-status'), null);
  if (!me.roles.some((r) => r.role === 'admin')) {
    $('admin-denied').hidden = false;
    return;
  }
  setupWardForm();
  setupSearch();
  setupAccountForms();
  setupCreate();
  setupAudit();
  await loadWards();
  $('admin-root').hidden = false;
  await loadAudit();
});
