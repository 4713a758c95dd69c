// A community digital-technology volunteer submits for a resident sitting
// beside them, in three phases:
//   1 find or create the resident (POST /api/v1/wards/{w}/assisted-residents):
//     a resident of the ward is shown by initials and residential group only,
//     a number registered elsewhere is refused (registered_elsewhere: ask the
//     ward), a new number gets an account without a password,
//   2 read the consent text (consent.v1) aloud and tick "the resident agreed",
//   3 the proposal form (proposal-form.js) posting with on_behalf_of and
//     consent {text_version: "v1", given: true}.
// Below: the proposals this volunteer helped with (GET /api/v1/me/assisted).
import { onLangChange, setKey } from './i18n.js';
import { api } from './api.js';
import { clear, el, idParam } from './dom.js';
import { FormErrors, checkLogin, errorMessage, fieldMessage, normalizeLogin, setBusy } from './form.js';
import { goToLogin, wardsWithRole } from './session.js';
import { proposalCard, runPage, showAlert, startPage, wardGroups } from './ui.js';
import { formatDateTime } from './format.js';
import { CONSENT_VERSION, createProposalForm } from './proposal-form.js';

const $ = (id) => document.getElementById(id);
const alertEl = $('assist-alert');
const residentForm = $('resident-form');
const consentForm = $('consent-form');
const proposalSection = $('assist-proposal');
const callSelect = $('assist-call');
const groupSelect = $('assist-group');
const phoneInput = $('assist-phone');
const nameInput = $('assist-name');
const consentBox = $('assist-consent');
const residentErrors = new FormErrors(residentForm, alertEl);
const consentErrors = new FormErrors(consentForm, alertEl);

let account = null;
let calls = [];
let groups = [];
// { id, display_name (only when created here), initials, group_id, group_name, created, may_issue_setup_code }
let resident = null;
let assisted = [];
let setupCode = null; // { code, expires_at } of the resident shown

function selectedCall() {
  return calls.find((c) => String(c.id) === callSelect.value) || null;
}

function phase(n, focus = true) {
  residentForm.hidden = n !== 1;
  consentForm.hidden = n !== 2;
  proposalSection.hidden = n !== 3;
  $('setup-code-section').hidden = n === 1 || !resident;
  for (let i = 1; i <= 3; i++) {
    const li = $(`assist-phase-${i}`);
    if (i === n) li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
  }
  if (focus) {
    const heading = n === 1 ? $('resident-title') : n === 2 ? $('consent-title') : null;
    if (heading) {
      heading.scrollIntoView({ block: 'start' });
      heading.focus({ preventScroll: true });
    }
  }
}

async function fillGroups() {
  const call = selectedCall();
  while (groupSelect.options.length > 1) groupSelect.remove(1);
  groups = [];
  if (!call) return;
  groups = await wardGroups(call.ward_id);
  for (const g of groups) groupSelect.add(el('option', { value: String(g.id), text: g.name }));
  if (groups.length === 1) groupSelect.value = String(groups[0].id);
}

/** How the page names the resident: the name typed for a new account, else the initials the server shows. */
function residentLabel() {
  return resident.display_name || resident.initials;
}

function renderConsent() {
  if (!resident) return;
  if (resident.created) setKey($('resident-found'), 'assist.created', { name: resident.display_name });
  else if (resident.group_name) setKey($('resident-found'), 'assist.found', { initials: resident.initials, group: resident.group_name });
  else setKey($('resident-found'), 'assist.foundNoGroup', { initials: resident.initials });
  setKey($('consent-intro'), 'assist.consentIntro', { name: residentLabel() });
  setKey($('consent-caption'), 'assist.consentVersion', { version: CONSENT_VERSION });
  setKey($('consent-text'), `consent.${CONSENT_VERSION}`);
}

residentForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  residentErrors.clear();
  if (!selectedCall()) residentErrors.field(callSelect, 'validation.callRequired');
  const login = normalizeLogin(phoneInput.value);
  const phoneProblem = checkLogin(phoneInput.value);
  if (phoneProblem || login.kind !== 'phone') residentErrors.field(phoneInput, phoneProblem === 'validation.loginRequired' ? 'validation.loginRequired' : 'validation.phoneInvalid');
  if (nameInput.value.trim() === '') residentErrors.field(nameInput, 'validation.nameRequired');
  if (groupSelect.value === '') residentErrors.field(groupSelect, 'validation.groupRequired');
  if (residentErrors.count > 0) {
    residentErrors.alert('validation.summary');
    residentErrors.focusFirst();
    return;
  }
  const call = selectedCall();
  setBusy(residentForm, $('resident-status'), true);
  try {
    const res = await api.post(`/wards/${call.ward_id}/assisted-residents`, {
      phone: login.value, display_name: nameInput.value.trim(), group_id: Number(groupSelect.value),
    });
    resident = {
      ...res.account,
      created: res.created,
      may_issue_setup_code: res.may_issue_setup_code === true,
      group_id: res.account.group_id || Number(groupSelect.value),
    };
  } catch (err) {
    setBusy(residentForm, $('resident-status'), false);
    const input = { phone: phoneInput, display_name: nameInput, group_id: groupSelect }[err.field];
    if (input) {
      // registered_elsewhere names the phone but is not a mistake in typing it: its own message.
      residentErrors.field(input, err.code === 'registered_elsewhere' ? errorMessage(err) : fieldMessage(err));
      residentErrors.focusFirst();
    }
    residentErrors.alert(errorMessage(err));
    return;
  }
  setBusy(residentForm, $('resident-status'), false);
  consentBox.checked = false;
  resetSetupCode();
  renderConsent();
  phase(2);
});

consentForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  consentErrors.clear();
  if (!consentBox.checked) {
    consentErrors.field(consentBox, 'validation.consentRequired');
    consentErrors.alert('assist.consentRequired');
    consentErrors.focusFirst();
    return;
  }
  startProposal();
});

$('consent-back').addEventListener('click', () => {
  consentErrors.clear();
  phase(1);
});

function startProposal() {
  const call = selectedCall();
  setKey($('assist-for'), 'assist.forResident', { name: residentLabel() });
  phase(3, false);
  const form = createProposalForm($('assist-root'), {
    campaign: call,
    groups,
    account,
    proposal: null,
    defaultGroupId: resident.group_id,
    behalf: { id: resident.id, display_name: residentLabel() },
    idPrefix: 'apf',
    doneActions: [{ i18n: 'assist.another', primary: true, onClick: restart }],
    onDone: () => loadAssisted(),
  });
  form.focusStart();
}

/** The code made for the resident, large, with its expiry and what to read to them. */
function renderSetupCode() {
  const box = $('setup-code-result');
  if (!setupCode || !resident) {
    box.hidden = true;
    return;
  }
  $('setup-code-value').textContent = setupCode.code;
  setKey($('setup-code-expiry'), 'assist.setupCodeExpiry', { when: formatDateTime(setupCode.expires_at) });
  setKey($('setup-code-read'), 'assist.setupCodeRead', { name: residentLabel() });
  box.hidden = false;
}

$('setup-code-button').addEventListener('click', async () => {
  if (!resident || !resident.may_issue_setup_code) return;
  const button = $('setup-code-button');
  const status = $('setup-code-status');
  button.disabled = true;
  setKey(status, 'common.sending');
  try {
    setupCode = (await api.action(`/accounts/${resident.id}/setup-code`)).setup_code;
  } catch (err) {
    button.disabled = false;
    setKey(status, null);
    if (err.code === 'forbidden') showAlert(alertEl, 'assist.setupCodeForbidden');
    else showAlert(alertEl, err);
    return;
  }
  button.disabled = false;
  setKey(status, 'assist.setupCodeMade');
  setKey(button, 'assist.setupCodeAgain');
  renderSetupCode();
  $('setup-code-value').scrollIntoView({ block: 'center' });
});

/**
 * Only the volunteer who made the account, before it has a password, may make a code: otherwise no
 * button, and a line saying who can.
 */
function resetSetupCode() {
  setupCode = null;
  const mine = !!(resident && resident.may_issue_setup_code);
  $('setup-code-button').hidden = !mine;
  $('setup-code-intro').hidden = !mine;
  $('setup-code-not-yours').hidden = mine;
  setKey($('setup-code-button'), 'assist.setupCodeButton');
  setKey($('setup-code-status'), null);
  renderSetupCode();
}

function restart() {
  resident = null;
  resetSetupCode();
  clear($('assist-root'));
  residentForm.reset();
  if (calls.length === 1) callSelect.value = String(calls[0].id);
  fillGroups();
  residentErrors.clear();
  phase(1);
}

function renderAssisted() {
  const list = clear($('assisted-list'));
  for (const p of assisted) {
    list.append(proposalCard(p, {
      level: 3,
      extra: [el('p', { class: 'card__meta card__author', i18n: 'assist.author', vars: { name: p.author ? p.author.display_name : '' } })],
    }));
  }
  $('assisted-empty').hidden = assisted.length > 0;
  $('assisted-section').hidden = false;
}

async function loadAssisted() {
  try {
    assisted = (await api.get('/me/assisted')).proposals || [];
  } catch (err) {
    showAlert(alertEl, err);
    return;
  }
  renderAssisted();
}

async function main() {
  account = await startPage();
  const status = $('assist-status');
  if (!account) {
    goToLogin();
    return;
  }
  const wards = wardsWithRole(account, 'volunteer');
  if (wards.length === 0) {
    setKey(status, null);
    showAlert(alertEl, 'assist.notVolunteer');
    return;
  }
  try {
    const data = await api.get('/campaigns');
    calls = (data.campaigns || []).filter((c) => c.accepting && wards.includes(c.ward_id));
  } catch (err) {
    setKey(status, null);
    showAlert(alertEl, err);
    return;
  }
  setKey(status, null);
  loadAssisted();
  onLangChange(() => {
    renderConsent();
    renderSetupCode();
    renderAssisted();
  });
  if (calls.length === 0) {
    showAlert(alertEl, 'assist.noCalls');
    return;
  }
  for (const c of calls) callSelect.add(el('option', { value: String(c.id), text: c.title }));
  const wanted = idParam('campaign');
  if (wanted && calls.some((c) => c.id === wanted)) callSelect.value = String(wanted);
  else if (calls.length === 1) callSelect.value = String(calls[0].id);
  callSelect.addEventListener('change', fillGroups);
  await fillGroups();
  $('assist-flow').hidden = false;
  phase(1, false);
}

runPage(main);
