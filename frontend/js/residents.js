// The leader's residents (residents.html): find a resident of the ward by name or phone (the
// server answers with residents of the leader's ward only, phone masked but for its last 3
// digits), see their proposals in the ward, and make them a password set-up code.
import { api } from './api.js';
import { el } from './dom.js';
import { setKey } from './i18n.js';
import { FormErrors, fieldMessage } from './form.js';
import { clearAlert, proposalCard, runPage, showAlert, startPage } from './ui.js';
import { goToLogin, wardsWithRole } from './session.js';
import { showSetupCode } from './setup-code-box.js';

const $ = (id) => document.getElementById(id);
let ward = null;
let resident = null;

function residentMeta(r) {
  return [
    el('span', { text: r.login_masked }),
    ' · ',
    r.group_name ? el('span', { text: r.group_name }) : el('span', { i18n: 'residents.noGroup' }),
    r.group_retired_at ? [' ', el('span', { class: 'badge badge--state-closed', i18n: 'admin.retired' })] : null,
    r.has_password ? null : [' · ', el('span', { i18n: 'residents.noPassword' })],
  ];
}

function residentCard(r) {
  return el('li', { class: 'card' },
    el('h3', { class: 'card__title', text: r.display_name }),
    el('p', { class: 'card__meta' }, residentMeta(r)),
    el('p', { class: 'card__meta', i18n: 'residents.proposalsN', vars: { n: r.proposals } }),
    el('button', { type: 'button', class: 'button button--secondary', on: { click: () => openResident(r.id) } },
      el('span', { i18n: 'residents.open' }), el('span', { class: 'visually-hidden', text: ` (${r.display_name})` })));
}

async function openResident(id) {
  clearAlert($('resident-alert'));
  let data;
  try {
    data = await api.get(`/wards/${ward}/residents/${id}`);
  } catch (err) {
    showAlert($('residents-alert'), err);
    return;
  }
  resident = data.resident;
  $('resident-detail').hidden = false;
  $('resident-title').textContent = resident.display_name;
  $('resident-meta').replaceChildren(...residentMeta(resident).flat().filter(Boolean));
  const proposals = resident.proposals || [];
  $('resident-proposals').replaceChildren(...proposals.map((p) => proposalCard(p, { level: 4 })));
  $('resident-proposals-empty').hidden = proposals.length > 0;
  const may = resident.may_issue_setup_code === true;
  $('resident-code-button').hidden = !may;
  $('resident-code-intro').hidden = !may;
  $('resident-code-not').hidden = may;
  $('resident-code').hidden = true;
  $('resident-code').replaceChildren();
  setKey($('resident-code-status'), null);
  setKey($('resident-code-button'), 'residents.codeButton');
  $('resident-title').focus();
}

function setup() {
  const form = $('residents-form');
  const errors = new FormErrors(form, $('residents-alert'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    ward = Number($('residents-ward').value);
    const q = $('residents-q').value.trim();
    if ([...q].length < 2) {
      errors.field($('residents-q'), 'admin.searchShort');
      $('residents-q').focus();
      return;
    }
    setKey($('residents-search-status'), 'common.loading');
    let data;
    try {
      data = await api.get(`/wards/${ward}/residents?q=${encodeURIComponent(q)}`);
    } catch (err) {
      setKey($('residents-search-status'), null);
      errors.field($('residents-q'), fieldMessage(err));
      return;
    }
    const list = data.residents || [];
    $('residents-list').replaceChildren(...list.map(residentCard));
    $('resident-detail').hidden = true;
    setKey($('residents-search-status'), list.length ? 'admin.searchFound' : 'residents.none', { n: list.length });
  });
  $('resident-code-button').addEventListener('click', async () => {
    const button = $('resident-code-button');
    button.disabled = true;
    setKey($('resident-code-status'), 'common.sending');
    let sc;
    try {
      sc = (await api.action(`/accounts/${resident.id}/setup-code`)).setup_code;
    } catch (err) {
      button.disabled = false;
      setKey($('resident-code-status'), null);
      showAlert($('resident-alert'), err);
      return;
    }
    button.disabled = false;
    setKey($('resident-code-status'), 'assist.setupCodeMade');
    setKey(button, 'assist.setupCodeAgain');
    showSetupCode($('resident-code'), sc, resident.display_name);
  });
}

runPage(async () => {
  const me = await startPage();
  if (!me) {
    goToLogin();
    return;
  }
  setKey($('residents-status'), null);
  const led = me.roles.filter((r) => r.role === 'leader' && r.ward_id !== null);
  if (!led.length) {
    $('residents-denied').hidden = false;
    return;
  }
  const select = $('residents-ward');
  select.replaceChildren(...led.map((r) => el('option', { value: String(r.ward_id), text: r.ward_name || String(r.ward_id) })));
  $('residents-ward-field').hidden = led.length < 2;
  ward = wardsWithRole(me, 'leader')[0];
  setup();
  $('residents-root').hidden = false;
});
