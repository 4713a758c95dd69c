// The ward leader's calls: the list (drafts too) from
// GET /api/v1/campaigns?ward_id=, a form to create a call or edit a draft
// (times typed in Viet Nam time, sent with +07:00), a criteria editor, and the
// next step of a call (open, close) after a confirmation. Once a call has opened: its
// texts can be corrected (each change a public revision) and, while open, its deadline
// extended with a reason; the close button explains itself until the deadline passed.
import { onLangChange, setKey } from './i18n.js';
import { api } from './api.js';
import { clear, el } from './dom.js';
import { confirmDialog } from './dialog.js';
import { FormErrors, errorMessage, fieldMessage, setBusy } from './form.js';
import { formatDateTime, formatNumber, isoToLocalInput, localInputToIso, localInputToMs } from './format.js';
import { goToLogin, wardsWithRole } from './session.js';
import { acceptingBadge, clearAlert, named, runPage, showAlert, startPage, stateBadge } from './ui.js';

const $ = (id) => document.getElementById(id);
const alertEl = $('leader-alert');
const doneEl = $('leader-done');
const list = $('leader-list');
const formSection = $('leader-form-section');
const form = $('leader-form');
const criteriaList = $('cf-criteria-list');
const errors = new FormErrors(form, $('leader-form-alert'));
const inputs = {
  title: $('cf-title'),
  description: $('cf-description'),
  rules: $('cf-rules'),
  opens_at: $('cf-opens'),
  closes_at: $('cf-closes'),
  scoring_deadline: $('cf-scoring'),
  blind_review: $('cf-blind'),
  blind_shows_group: $('cf-blind-group'),
  reviews_required: $('cf-reviews'),
};

let account = null;
let wards = [];
let ward = null;
let calls = [];
let editing = null; // the campaign being edited, or null when creating
let criterionSeq = 0;

// ----- the list -----

function renderList() {
  clear(list);
  for (const c of calls) {
    const actions = [];
    if (c.state === 'draft') {
      actions.push(el('button', { type: 'button', class: 'button button--secondary', on: { click: () => showForm(c) } }, named('leader.edit', c.title)));
      actions.push(el('button', { type: 'button', class: 'button', on: { click: () => transition(c, 'open') } }, named('leader.open', c.title)));
    } else if (c.state === 'open') {
      actions.push(el('button', { type: 'button', class: 'button button--secondary', on: { click: () => showTexts(c) } }, named('leader.editTexts', c.title)));
      actions.push(el('button', { type: 'button', class: 'button button--secondary', on: { click: () => showExtend(c) } }, named('leader.extend', c.title)));
      actions.push(closeAction(c));
    } else if (['closed', 'appraisal'].includes(c.state)) {
      actions.push(el('button', { type: 'button', class: 'button button--secondary', on: { click: () => showTexts(c) } }, named('leader.editTexts', c.title)));
    }
    if (c.state !== 'draft') {
      actions.push(el('a', { class: 'button button--secondary', href: `submissions.html?campaign=${c.id}`, i18n: 'leader.submissions', vars: { n: c.proposal_count ?? 0 } }));
    }
    if (['closed', 'appraisal', 'decided'].includes(c.state)) {
      actions.push(el('a', { class: 'button', href: `appraisal.html?campaign=${c.id}` }, named('leader.appraisal', c.title)));
    }
    if (c.state === 'published') {
      actions.push(el('a', { class: 'button button--secondary', href: `/results/${c.id}` }, named('leader.results', c.title)));
      // A correction and the score record stay on the appraisal page after publication.
      actions.push(el('a', { class: 'button button--secondary', href: `appraisal.html?campaign=${c.id}` }, named('leader.correctResults', c.title)));
    }
    list.append(el('li', { class: 'card card--link', id: `call-${c.id}` },
      el('h3', { class: 'card__title' }, el('a', { href: `call.html?id=${c.id}`, text: c.title })),
      el('p', { class: 'badges' }, stateBadge(c.state), c.accepting ? acceptingBadge() : null),
      el('p', { class: 'card__meta', i18n: 'calls.opensAt', vars: { date: formatDateTime(c.opens_at) } }),
      el('p', { class: 'card__deadline', i18n: 'calls.deadline', vars: { date: formatDateTime(c.closes_at) } }),
      c.scoring_deadline ? el('p', { class: 'card__meta card__scoring', i18n: 'leader.scoringDeadline', vars: { date: formatDateTime(c.scoring_deadline) } }) : null,
      el('ul', { class: 'card__actions' }, actions.map((a) => el('li', {}, a)))));
  }
  $('leader-empty').hidden = calls.length > 0;
}

/** "07/12/2026 17:00" in Viet Nam time, whatever the language: the sentence under the close button. */
function shortDateTime(iso) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Ho_Chi_Minh', day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
}

/**
 * The close button of an open call: before the deadline (server clock, deadline_passed) it is
 * disabled and the sentence under it says from when it can be used, before any dialog.
 */
function closeAction(c) {
  if (c.deadline_passed) {
    return el('button', { type: 'button', class: 'button', on: { click: () => transition(c, 'closed') } }, named('leader.close', c.title));
  }
  const noteId = `call-${c.id}-close-note`;
  return el('span', { class: 'close-later' },
    el('button', { type: 'button', class: 'button', disabled: true, 'aria-describedby': noteId }, named('leader.close', c.title)),
    el('span', { id: noteId, class: 'close-later__note', i18n: 'leader.closeAfter', vars: { date: shortDateTime(c.closes_at) } }));
}

async function loadCalls() {
  const data = await api.get(`/campaigns?ward_id=${ward.id}`);
  calls = (data.campaigns || []).filter((c) => c.ward_id === ward.id);
  renderList();
}

async function transition(c, to) {
  const open = to === 'open';
  const yes = await confirmDialog({
    title: open ? 'leader.openTitle' : 'leader.closeTitle',
    body: open ? 'leader.openBody' : 'leader.closeBody',
    confirm: open ? 'leader.open' : 'leader.close',
    vars: { title: c.title },
  });
  if (!yes) return;
  clearAlert(alertEl);
  setKey(doneEl, null);
  try {
    await api.post(`/campaigns/${c.id}/transitions`, { to });
  } catch (err) {
    showAlert(alertEl, err);
    return;
  }
  await loadCalls().catch((err) => showAlert(alertEl, err));
  setKey(doneEl, open ? 'leader.opened' : 'leader.closedDone', { title: c.title });
  const card = $(`call-${c.id}`);
  if (card) card.querySelector('a').focus();
}

// ----- the criteria editor -----

function renumber() {
  [...criteriaList.children].forEach((li, i) => {
    setKey(li.querySelector('legend'), 'leader.criterionN', { n: i + 1 });
    setKey(li.querySelector('.criterion__remove-name'), 'leader.removeCriterion', { n: i + 1 });
  });
}

function criterionField(id, labelKey, control, hintKey) {
  const children = [el('label', { for: id, i18n: labelKey })];
  if (hintKey) {
    children.push(el('p', { id: `${id}-hint`, class: 'hint', i18n: hintKey }));
    control.setAttribute('aria-describedby', `${id}-hint`);
  }
  children.push(el('p', { id: `${id}-error`, class: 'field-error', hidden: true }), control);
  return el('div', { class: 'field' }, children);
}

function addCriterion(k = {}) {
  const n = ++criterionSeq;
  const id = (f) => `cf-k${n}-${f}`;
  const name = el('input', { id: id('name'), type: 'text', maxlength: 200, autocomplete: 'off', class: 'criterion__name' });
  const description = el('textarea', { id: id('description'), rows: 3, maxlength: 2000, class: 'criterion__description' });
  const weight = el('input', { id: id('weight'), type: 'text', inputmode: 'decimal', autocomplete: 'off', class: 'input--short criterion__weight' });
  const max = el('input', { id: id('max'), type: 'text', inputmode: 'numeric', autocomplete: 'off', class: 'input--short criterion__max' });
  name.value = k.name || '';
  description.value = k.description || '';
  weight.value = k.weight !== undefined ? formatNumber(k.weight) : '1';
  max.value = k.max_score !== undefined ? String(k.max_score) : '10';
  const li = el('li', { class: 'criterion' });
  const remove = el('button', { type: 'button', class: 'button button--secondary button--small', on: {
    click: () => {
      li.remove();
      renumber();
      $('cf-add').focus();
    },
  } }, el('span', { class: 'criterion__remove-name' }));
  li.append(el('fieldset', {},
    el('legend'),
    criterionField(id('name'), 'leader.criterionName', name),
    criterionField(id('description'), 'leader.criterionDescription', description),
    criterionField(id('weight'), 'leader.criterionWeight', weight, 'leader.criterionWeightHint'),
    criterionField(id('max'), 'leader.criterionMax', max, 'leader.criterionMaxHint'),
    remove));
  criteriaList.append(li);
  renumber();
  return li;
}

$('cf-add').addEventListener('click', () => {
  if (criteriaList.children.length >= 10) return;
  const li = addCriterion();
  li.querySelector('input').focus();
});

// ----- the form -----

function showForm(c = null) {
  hideSide();
  editing = c;
  errors.clear();
  form.reset();
  clear(criteriaList);
  setKey($('leader-form-title'), c ? 'leader.editHeading' : 'leader.createHeading');
  setKey($('cf-submit'), c ? 'leader.saveSubmit' : 'leader.createSubmit');
  if (c) {
    inputs.title.value = c.title;
    inputs.description.value = c.description || '';
    inputs.rules.value = c.rules || '';
    inputs.opens_at.value = isoToLocalInput(c.opens_at);
    inputs.closes_at.value = isoToLocalInput(c.closes_at);
    inputs.scoring_deadline.value = c.scoring_deadline ? isoToLocalInput(c.scoring_deadline) : '';
    inputs.blind_review.checked = !!c.blind_review;
    inputs.blind_shows_group.checked = !!c.blind_shows_group;
    inputs.reviews_required.value = String(c.reviews_required);
    $(c.ranking_method === 'raw' ? 'cf-ranking-raw' : 'cf-ranking-normalised').checked = true;
    for (const k of c.criteria || []) addCriterion(k);
  }
  formSection.hidden = false;
  $('leader-new').hidden = true;
  const heading = $('leader-form-title');
  heading.scrollIntoView({ block: 'start' });
  heading.focus({ preventScroll: true });
}

function hideForm() {
  formSection.hidden = true;
  $('leader-new').hidden = false;
  editing = null;
}

$('leader-new').addEventListener('click', () => showForm(null));
$('cf-cancel').addEventListener('click', () => {
  hideForm();
  $('leader-new').focus();
});

function parseWeight(text) {
  const s = String(text || '').trim().replace(',', '.');
  return /^\d+(?:\.\d+)?$/.test(s) ? Number(s) : Number.NaN;
}

/** The request body, or null after marking what is wrong. */
function readForm() {
  const body = {
    title: inputs.title.value.trim(),
    description: inputs.description.value.trim(),
    rules: inputs.rules.value.trim(),
    blind_review: inputs.blind_review.checked,
    blind_shows_group: inputs.blind_review.checked && inputs.blind_shows_group.checked,
    ranking_method: $('cf-ranking-raw').checked ? 'raw' : 'normalised',
  };
  if (body.title === '') errors.field(inputs.title, 'validation.callTitleRequired');
  const opens = localInputToIso(inputs.opens_at.value);
  const closes = localInputToIso(inputs.closes_at.value);
  if (!opens) errors.field(inputs.opens_at, 'validation.dateRequired');
  if (!closes) errors.field(inputs.closes_at, 'validation.dateRequired');
  else if (opens && localInputToMs(inputs.closes_at.value) <= localInputToMs(inputs.opens_at.value)) {
    errors.field(inputs.closes_at, 'validation.closesBeforeOpens');
  }
  body.opens_at = opens;
  body.closes_at = closes;
  if (inputs.scoring_deadline.value) {
    const scoring = localInputToIso(inputs.scoring_deadline.value);
    if (!scoring) errors.field(inputs.scoring_deadline, 'validation.dateRequired');
    else if (closes && localInputToMs(inputs.scoring_deadline.value) <= localInputToMs(inputs.closes_at.value)) {
      errors.field(inputs.scoring_deadline, 'validation.scoringBeforeCloses');
    }
    body.scoring_deadline = scoring;
  }
  const reviews = /^\s*\d{1,2}\s*$/.test(inputs.reviews_required.value) ? Number(inputs.reviews_required.value) : 0;
  if (reviews < 1 || reviews > 50) errors.field(inputs.reviews_required, 'validation.reviewsInvalid');
  body.reviews_required = reviews;
  const criteria = [];
  for (const li of criteriaList.children) {
    const name = li.querySelector('.criterion__name');
    const weight = li.querySelector('.criterion__weight');
    const max = li.querySelector('.criterion__max');
    const w = parseWeight(weight.value);
    const m = /^\s*\d{1,3}\s*$/.test(max.value) ? Number(max.value) : 0;
    if (name.value.trim() === '') errors.field(name, 'validation.criterionNameRequired');
    if (!(w > 0 && w <= 100)) errors.field(weight, 'validation.weightInvalid');
    if (m < 1 || m > 100) errors.field(max, 'validation.maxScoreInvalid');
    criteria.push({
      name: name.value.trim(), description: li.querySelector('.criterion__description').value.trim(), weight: w, max_score: m,
    });
  }
  if (criteria.length > 0) body.criteria = criteria;
  return errors.count === 0 ? body : null;
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  errors.clear();
  const body = readForm();
  if (!body) {
    errors.alert('validation.summary');
    errors.focusFirst();
    return;
  }
  const status = $('leader-form-status');
  setBusy(form, status, true);
  let saved;
  try {
    saved = editing
      ? (await api.patch(`/campaigns/${editing.id}`, body)).campaign
      : (await api.post(`/wards/${ward.id}/campaigns`, body)).campaign;
  } catch (err) {
    setBusy(form, status, false);
    const input = inputs[err.field];
    if (input) {
      errors.field(input, fieldMessage(err));
      errors.focusFirst();
    }
    errors.alert(errorMessage(err));
    return;
  }
  setBusy(form, status, false);
  const created = !editing;
  hideForm();
  await loadCalls().catch((err) => showAlert(alertEl, err));
  setKey(doneEl, created ? 'leader.created' : 'leader.saved', { title: saved.title });
  const card = $(`call-${saved.id}`);
  if (card) card.querySelector('a').focus();
});

// ----- texts of an opened call, and the deadline extension -----

const textsSection = $('leader-texts-section');
const textsForm = $('leader-texts-form');
const textsErrors = new FormErrors(textsForm, $('leader-texts-alert'));
const textInputs = { title: $('ct-title'), description: $('ct-description'), rules: $('ct-rules') };
const scoringInput = $('ct-scoring');
const extendSection = $('leader-extend-section');
const extendForm = $('leader-extend-form');
const extendErrors = new FormErrors(extendForm, $('leader-extend-alert'));
let textsCall = null;
let extendCall = null;

function hideSide() {
  textsSection.hidden = true;
  extendSection.hidden = true;
  textsCall = null;
  extendCall = null;
}

function focusHeading(id) {
  const heading = $(id);
  heading.scrollIntoView({ block: 'start' });
  heading.focus({ preventScroll: true });
}

function renderFrozen() {
  const c = textsCall;
  if (!c) return;
  const frozen = clear($('leader-texts-frozen'));
  frozen.append(
    el('li', { i18n: c.state === 'open' ? 'leader.frozenDates' : 'leader.frozenDatesClosed', vars: { opens: formatDateTime(c.opens_at), closes: formatDateTime(c.closes_at) } }),
    el('li', { i18n: 'leader.frozenCriteria', vars: { n: (c.criteria || []).length } }),
    el('li', { i18n: c.ranking_method === 'raw' ? 'leader.frozenRankingRaw' : 'leader.frozenRankingNormalised' }),
    el('li', { i18n: !c.blind_review ? 'leader.frozenNotBlind' : c.blind_shows_group ? 'leader.frozenBlindShowsGroup' : 'leader.frozenBlind' }),
    el('li', { i18n: 'leader.frozenReviews', vars: { n: c.reviews_required } }));
  setKey($('leader-texts-call'), null, undefined, c.title);
}

function showTexts(c) {
  hideForm();
  hideSide();
  textsCall = c;
  textsErrors.clear();
  textInputs.title.value = c.title;
  textInputs.description.value = c.description || '';
  textInputs.rules.value = c.rules || '';
  scoringInput.value = c.scoring_deadline ? isoToLocalInput(c.scoring_deadline) : '';
  renderFrozen();
  textsSection.hidden = false;
  focusHeading('leader-texts-title');
}

$('ct-cancel').addEventListener('click', () => {
  const id = textsCall && textsCall.id;
  hideSide();
  const card = id && $(`call-${id}`);
  if (card) card.querySelector('a').focus();
});

textsForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  textsErrors.clear();
  const c = textsCall;
  const body = {};
  for (const [name, input] of Object.entries(textInputs)) {
    const v = input.value.trim();
    if (v !== (c[name] || '')) body[name] = v;
  }
  if (textInputs.title.value.trim() === '') textsErrors.field(textInputs.title, 'validation.callTitleRequired');
  if (scoringInput.value) {
    const scoring = localInputToIso(scoringInput.value);
    const ms = localInputToMs(scoringInput.value);
    if (!scoring) textsErrors.field(scoringInput, 'validation.dateRequired');
    else if (ms <= new Date(c.closes_at).getTime()) textsErrors.field(scoringInput, 'validation.scoringBeforeCloses');
    else if (!c.scoring_deadline || ms !== new Date(c.scoring_deadline).getTime()) body.scoring_deadline = scoring;
  }
  if (textsErrors.count > 0) {
    textsErrors.alert('validation.summary');
    textsErrors.focusFirst();
    return;
  }
  if (Object.keys(body).length === 0) {
    textsErrors.alert('leader.textsUnchanged');
    return;
  }
  const status = $('leader-texts-status');
  setBusy(textsForm, status, true);
  let saved;
  try {
    saved = (await api.patch(`/campaigns/${c.id}`, body)).campaign;
  } catch (err) {
    setBusy(textsForm, status, false);
    const input = err.field === 'scoring_deadline' ? scoringInput : textInputs[err.field];
    if (input) {
      textsErrors.field(input, fieldMessage(err));
      textsErrors.focusFirst();
    }
    textsErrors.alert(errorMessage(err));
    return;
  }
  setBusy(textsForm, status, false);
  hideSide();
  await loadCalls().catch((err) => showAlert(alertEl, err));
  setKey(doneEl, 'leader.textsSaved', { title: saved.title });
  const card = $(`call-${saved.id}`);
  if (card) card.querySelector('a').focus();
});

function renderExtendCurrent() {
  const c = extendCall;
  if (!c) return;
  setKey($('leader-extend-call'), null, undefined, c.title);
  setKey($('leader-extend-current'), 'leader.extendCurrent', { date: formatDateTime(c.closes_at) });
}

function showExtend(c) {
  hideForm();
  hideSide();
  extendCall = c;
  extendErrors.clear();
  extendForm.reset();
  renderExtendCurrent();
  extendSection.hidden = false;
  focusHeading('leader-extend-title');
}

$('ce-cancel').addEventListener('click', () => {
  const id = extendCall && extendCall.id;
  hideSide();
  const card = id && $(`call-${id}`);
  if (card) card.querySelector('a').focus();
});

extendForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  extendErrors.clear();
  const c = extendCall;
  const closesInput = $('ce-closes');
  const reasonInput = $('ce-reason');
  const closes = localInputToIso(closesInput.value);
  const reason = reasonInput.value.trim();
  if (!closes) extendErrors.field(closesInput, 'validation.dateRequired');
  else if (localInputToMs(closesInput.value) <= new Date(c.closes_at).getTime()) {
    extendErrors.field(closesInput, 'errors.deadline_not_later');
  }
  if (reason === '') extendErrors.field(reasonInput, 'validation.extendReasonRequired');
  if (extendErrors.count > 0) {
    extendErrors.alert('validation.summary');
    extendErrors.focusFirst();
    return;
  }
  const status = $('leader-extend-status');
  setBusy(extendForm, status, true);
  let saved;
  try {
    saved = (await api.post(`/campaigns/${c.id}/deadline`, { closes_at: closes, reason })).campaign;
  } catch (err) {
    setBusy(extendForm, status, false);
    const input = err.field === 'closes_at' ? closesInput : err.field === 'reason' ? reasonInput : null;
    if (input) {
      extendErrors.field(input, errorMessage(err));
      extendErrors.focusFirst();
    }
    extendErrors.alert(errorMessage(err));
    return;
  }
  setBusy(extendForm, status, false);
  hideSide();
  await loadCalls().catch((err) => showAlert(alertEl, err));
  setKey(doneEl, 'leader.extended', { title: saved.title, date: formatDateTime(saved.closes_at) });
  const card = $(`call-${saved.id}`);
  if (card) card.querySelector('a').focus();
});

// ----- start -----

function wardName(id) {
  const r = account.roles.find((g) => g.role === 'leader' && g.ward_id === id);
  return r && r.ward_name ? r.ward_name : String(id);
}

async function main() {
  account = await startPage();
  const status = $('leader-status');
  if (!account) {
    goToLogin();
    return;
  }
  wards = wardsWithRole(account, 'leader').map((id) => ({ id, name: wardName(id) }));
  if (wards.length === 0) {
    setKey(status, null);
    showAlert(alertEl, 'leader.notLeader');
    return;
  }
  ward = wards[0];
  const select = $('leader-ward');
  if (wards.length > 1) {
    for (const w of wards) select.add(el('option', { value: String(w.id), text: w.name }));
    $('leader-ward-field').hidden = false;
    select.addEventListener('change', async () => {
      ward = wards.find((w) => String(w.id) === select.value);
      $('leader-ward-name').textContent = ward.name;
      hideForm();
      hideSide();
      await loadCalls().catch((err) => showAlert(alertEl, err));
    });
  }
  $('leader-ward-name').textContent = ward.name;
  try {
    await loadCalls();
  } catch (err) {
    setKey(status, null);
    showAlert(alertEl, err);
    return;
  }
  setKey(status, null);
  $('leader-body').hidden = false;
  onLangChange(() => {
    renderList();
    renumber();
    renderFrozen();
    renderExtendCurrent();
  });
}

runPage(main);
