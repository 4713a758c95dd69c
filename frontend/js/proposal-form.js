// The proposal form, one question per screen (a stepper of 8 steps), used by
// propose.html (a resident, or editing) and assist.html (a volunteer for a
// resident).
//
//   1 title & summary, 2 the problem today, 3 the proposed model,
//   4 who benefits & households, 5 resources & cost (VND), 6 residential group
//   & tags, 7 photos / PDF, 8 review & submit.
//
// Drafts are kept twice: on the server (POST …/proposals with submit:false,
// then PATCH with the version) each time the person moves on, and in
// localStorage on every keystroke, so a dropped connection loses nothing;
// the page restores an unsent local draft on reload and says so.
// A submitted proposal being edited is only sent at the end ("Save changes"),
// so that each edit makes one revision.

import { api, apiUrl, uploadWithProgress } from './api.js';
import { shrinkPhoto } from './shrink.js';
import { el, clear } from './dom.js';
import { confirmDialog } from './dialog.js';
import { FormErrors, errorMessage, fieldMessage } from './form.js';
import { setKey, onLangChange, t } from './i18n.js';
import { formatInt, formatVnd, formatTime, formatSize, parseInteger } from './format.js';

export const STEPS = 8;
export const MAX_FILES = 5;
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
export const FILE_TYPES = Object.freeze(['image/jpeg', 'image/png', 'image/webp', 'image/heic', 'image/heif', 'application/pdf']);
// iPhone photos (HEIC/HEIF): some browsers give such a file no type; its name tells.
const HEIC_NAME = /\.(heic|heif)$/i;

/** The file with the type the server is told: a HEIC/HEIF photo without a type gets image/heic. */
export function typedFile(f) {
  if (f && !f.type && HEIC_NAME.test(f.name || '')) {
    return new File([f], f.name, { type: 'image/heic', lastModified: f.lastModified });
  }
  return f;
}
export const CONSENT_VERSION = 'v1';
const STORAGE_PREFIX = 'sangkien.draft.';

const STEP_NAMES = [
  'propose.step1', 'propose.step2', 'propose.step3', 'propose.step4',
  'propose.step5', 'propose.step6', 'propose.step7', 'propose.step8',
];

const FIELD_STEP = {
  title: 1, summary: 1, problem: 2, model: 3, beneficiaries: 4, households: 4,
  resources: 5, cost_vnd: 5, group_id: 6, tags: 6,
};

const TEXT_FIELDS = ['title', 'summary', 'problem', 'model', 'beneficiaries', 'resources'];
const MAX_HOUSEHOLDS = 1000000;
const MAX_COST = 10000000000000;

/** The localStorage key of an unsent draft. */
export function draftKey({ accountId, campaignId, proposalId, behalfId }) {
  if (proposalId) return `${STORAGE_PREFIX}a${accountId}.p${proposalId}`;
  return `${STORAGE_PREFIX}a${accountId}.c${campaignId}${behalfId ? `.r${behalfId}` : ''}`;
}

function readLocal(key) {
  try {
    const raw = window.localStorage.getItem(key);
    const v = raw ? JSON.parse(raw) : null;
    return v && v.v === 1 && v.values && typeof v.values === 'object' ? v : null;
  } catch {
    return null;
  }
}

function removeLocal(key) {
  try {
    window.localStorage.removeItem(key);
  } catch {
    // storage disabled
  }
}

/** Removes every local draft of accountId that belongs to proposal id. */
function forgetProposal(accountId, id) {
  try {
    const prefix = `${STORAGE_PREFIX}a${accountId}.`;
    for (let i = window.localStorage.length - 1; i >= 0; i--) {
      const k = window.localStorage.key(i);
      if (k && k.startsWith(prefix)) {
        const v = readLocal(k);
        if (v && v.proposalId === id) window.localStorage.removeItem(k);
      }
    }
  } catch {
    // storage disabled
  }
}

function valuesFrom(p) {
  return {
    title: p.title || '',
    summary: p.summary || '',
    problem: p.problem || '',
    model: p.model || '',
    beneficiaries: p.beneficiaries || '',
    households: p.households === null || p.households === undefined ? '' : String(p.households),
    resources: p.resources || '',
    cost_vnd: p.cost_vnd === null || p.cost_vnd === undefined ? '' : String(p.cost_vnd),
    group_id: p.group_id ? String(p.group_id) : '',
    tags: Array.isArray(p.tags) ? p.tags.join(', ') : '',
  };
}

function splitTags(text) {
  return String(text || '').split(/[,;，]/).map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Builds the form into root.
 * opts: campaign, groups [{id,name}], account (signed in), proposal (edit) or
 * null, defaultGroupId, behalf ({id, display_name}: a volunteer submitting for
 * this resident), idPrefix, doneActions [{href, i18n, primary}] and onDone(proposal).
 */
export function createProposalForm(root, opts) {
  const P = opts.idPrefix || 'pf';
  const campaign = opts.campaign;
  const account = opts.account;
  const behalf = opts.behalf || null;
  let proposalId = opts.proposal ? opts.proposal.id : null;
  let version = opts.proposal ? opts.proposal.version : null;
  let status = opts.proposal ? opts.proposal.status : 'draft';
  let attachments = opts.proposal && Array.isArray(opts.proposal.attachments) ? [...opts.proposal.attachments] : [];
  let values = opts.proposal ? valuesFrom(opts.proposal) : valuesFrom({});
  // The consents to publish the photos and the author's contact if it wins (off by default), and
  // what the server has; sent with PUT …/publicity whenever they differ after a save.
  const publishedOnServer = {
    photos: !!(opts.proposal && opts.proposal.publish_photos),
    contact: !!(opts.proposal && opts.proposal.publish_contact),
  };
  if (!values.group_id && opts.defaultGroupId) values.group_id = String(opts.defaultGroupId);
  let step = 1;
  let busy = false;
  // Files wait in queue; one is sent at a time. pending is a file (already
  // shrunk) whose upload failed on a dropped connection: "Thử lại" sends it again.
  let queue = [];
  let uploading = false;
  let pending = null;
  let current = null; // { abort } of the upload in progress
  let dropPrepared = false; // cancel pressed while a photo was being shrunk
  let localTimer = null;
  let storageKey = draftKey({
    accountId: account.id, campaignId: campaign.id, proposalId, behalfId: behalf ? behalf.id : null,
  });

  const id = (name) => `${P}-${name}`;
  const inputs = {};

  // ----- markup -----
  const alertEl = el('div', { id: id('alert'), class: 'alert', role: 'alert' });
  const noticeText = el('p', { id: id('notice-text') });
  const discardButton = el('button', { type: 'button', class: 'button button--secondary', i18n: 'propose.discard' });
  const notice = el('div', { id: id('notice'), class: 'notice', hidden: true }, noticeText, discardButton);
  const progress = el('progress', { class: 'stepper__bar', max: STEPS, value: 1, 'aria-hidden': 'true' });

  function fieldBox(name, { label, hint, optional, control }) {
    const labelEl = el('label', { for: id(name) }, el('span', { i18n: label }));
    if (optional) labelEl.append(' ', el('span', { class: 'optional', i18n: 'common.optional' }));
    const children = [labelEl];
    if (hint) children.push(el('p', { id: id(`${name}-hint`), class: 'hint', i18n: hint }));
    children.push(el('p', { id: id(`${name}-error`), class: 'field-error', hidden: true }));
    if (hint) control.setAttribute('aria-describedby', id(`${name}-hint`));
    children.push(control);
    inputs[name] = control;
    return el('div', { class: 'field' }, children);
  }

  function textInput(name, maxlength, extra = {}) {
    return el('input', { id: id(name), name, type: 'text', maxlength, autocomplete: 'off', ...extra });
  }

  function textArea(name, maxlength, rows = 5) {
    return el('textarea', { id: id(name), name, rows, maxlength, autocomplete: 'off' });
  }

  const costEcho = el('p', { id: id('cost-echo'), class: 'echo', 'aria-live': 'polite' });

  const cameraInput = el('input', {
    id: id('camera'), class: 'file-picker__input', type: 'file',
    accept: 'image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif', capture: 'environment',
  });
  const pickInput = el('input', {
    id: id('files'), class: 'file-picker__input', type: 'file', multiple: true,
    accept: [...FILE_TYPES, '.heic', '.heif'].join(','), 'aria-describedby': id('files-hint'),
  });
  const fileList = el('ul', { id: id('file-list'), class: 'files' });
  const fileCount = el('p', { id: id('file-count'), class: 'files__count' });
  // Upload problems are said next to the buttons the person just used.
  const fileError = el('p', { id: id('files-error'), class: 'field-error files__error', role: 'alert' });
  let fileErrorTimer = null;
  const showFileError = (key, vars) => {
    setKey(fileError, null);
    if (fileErrorTimer) clearTimeout(fileErrorTimer);
    fileErrorTimer = setTimeout(() => setKey(fileError, key, vars), 50);
  };
  const clearFileError = () => {
    if (fileErrorTimer) clearTimeout(fileErrorTimer);
    setKey(fileError, null);
  };
  // The upload in progress: a bar with its percent, cancel, and "try again" after a dropped connection.
  const uploadName = el('p', { id: id('upload-name'), class: 'upload__name' });
  const uploadBar = el('progress', { id: id('upload-bar'), class: 'upload__bar', max: 100, value: 0, 'aria-labelledby': id('upload-name') });
  const uploadPct = el('span', { id: id('upload-pct'), class: 'upload__pct', 'aria-hidden': 'true', text: '0%' });
  // Said politely at each quarter, not on every tick.
  const uploadLive = el('p', { id: id('upload-live'), class: 'visually-hidden', 'aria-live': 'polite' });
  const uploadCancel = el('button', { type: 'button', id: id('upload-cancel'), class: 'button button--secondary', i18n: 'propose.uploadCancel' });
  const uploadRetry = el('button', { type: 'button', id: id('upload-retry'), class: 'button', i18n: 'propose.uploadRetry', hidden: true });
  const uploadBox = el('div', { id: id('upload'), class: 'upload', hidden: true },
    uploadName, el('div', { class: 'upload__row' }, uploadBar, uploadPct), uploadLive,
    el('div', { class: 'upload__actions' }, uploadCancel, uploadRetry));
  const reviewBox = el('div', { id: id('review'), class: 'review' });
  // Consents: what is published if the proposal wins. Off until ticked; can be taken back.
  const consentPhotos = el('input', { id: id('publish-photos'), type: 'checkbox', name: 'publish_photos', 'aria-describedby': id('publish-photos-hint') });
  const consentContact = el('input', { id: id('publish-contact'), type: 'checkbox', name: 'publish_contact', 'aria-describedby': id('publish-contact-hint') });
  consentPhotos.checked = publishedOnServer.photos;
  consentContact.checked = publishedOnServer.contact;
  const consentBox = el('fieldset', { id: id('publish'), class: 'fieldset publish' },
    el('legend', { i18n: 'propose.publishLegend' }),
    el('div', { class: 'checkbox checkbox--strong' }, consentPhotos,
      el('label', { for: id('publish-photos'), i18n: behalf ? 'propose.publishPhotosBehalf' : 'propose.publishPhotos' })),
    el('p', { id: id('publish-photos-hint'), class: 'hint', i18n: 'propose.publishPhotosHint' }),
    el('div', { class: 'checkbox checkbox--strong' }, consentContact,
      el('label', { for: id('publish-contact'), i18n: behalf ? 'propose.publishContactBehalf' : 'propose.publishContact' })),
    el('p', { id: id('publish-contact-hint'), class: 'hint', i18n: 'propose.publishContactHint' }));

  const sections = [
    [
      fieldBox('title', { label: 'propose.titleLabel', hint: 'propose.titleHint', control: textInput('title', 200) }),
      fieldBox('summary', { label: 'propose.summaryLabel', hint: 'propose.summaryHint', control: textArea('summary', 1000, 4) }),
    ],
    [fieldBox('problem', { label: 'propose.problemLabel', hint: 'propose.problemHint', control: textArea('problem', 4000, 7) })],
    [fieldBox('model', { label: 'propose.modelLabel', hint: 'propose.modelHint', control: textArea('model', 4000, 7) })],
    [
      fieldBox('beneficiaries', { label: 'propose.beneficiariesLabel', hint: 'propose.beneficiariesHint', control: textArea('beneficiaries', 2000, 4) }),
      fieldBox('households', {
        label: 'propose.householdsLabel', hint: 'propose.householdsHint',
        control: textInput('households', 9, { inputmode: 'numeric', class: 'input--short' }),
      }),
    ],
    [
      fieldBox('resources', { label: 'propose.resourcesLabel', hint: 'propose.resourcesHint', optional: true, control: textArea('resources', 4000, 5) }),
      fieldBox('cost_vnd', {
        label: 'propose.costLabel', hint: 'propose.costHint',
        control: textInput('cost_vnd', 24, { inputmode: 'numeric', class: 'input--money' }),
      }),
      costEcho,
    ],
    [
      fieldBox('group_id', {
        label: 'propose.groupLabel', hint: 'propose.groupHint',
        control: el('select', { id: id('group_id'), name: 'group_id' },
          el('option', { value: '', i18n: 'propose.groupChoose' }),
          (opts.groups || []).map((g) => el('option', { value: String(g.id), text: g.name }))),
      }),
      fieldBox('tags', { label: 'propose.tagsLabel', hint: 'propose.tagsHint', optional: true, control: textInput('tags', 450) }),
    ],
    [
      el('p', { id: id('files-hint'), class: 'hint', i18n: 'propose.photosIntro' }),
      fileCount,
      fileList,
      fileError,
      uploadBox,
      el('div', { class: 'file-picker' }, cameraInput,
        el('label', { for: id('camera'), class: 'button button--secondary file-picker__label', i18n: 'propose.takePhoto' })),
      el('div', { class: 'file-picker' }, pickInput,
        el('label', { for: id('files'), class: 'button button--secondary file-picker__label', i18n: 'propose.choosePhoto' })),
      consentBox,
    ],
    [el('p', { i18n: 'propose.reviewIntro' }), reviewBox],
  ];

  const stepEls = sections.map((children, i) => {
    const n = i + 1;
    const heading = el('h2', { id: id(`step-${n}-title`), class: 'step__title', tabindex: '-1' },
      el('span', { class: 'step__count', i18n: 'propose.stepCount', vars: { n, total: STEPS } }),
      ' ',
      el('span', { class: 'step__name', i18n: STEP_NAMES[i] }));
    return el('section', { id: id(`step-${n}`), class: 'step', 'aria-labelledby': heading.id, hidden: n !== 1 },
      heading, children);
  });

  const statusEl = el('p', { id: id('status'), class: 'status', role: 'status' });
  const nextButton = el('button', { type: 'submit', id: id('next'), class: 'button', i18n: 'propose.next' });
  const backButton = el('button', { type: 'button', id: id('back'), class: 'button button--secondary', i18n: 'propose.back' });
  const saveButton = el('button', { type: 'button', id: id('save'), class: 'button button--tertiary', i18n: 'propose.saveDraft' });
  const form = el('form', { id: id('form'), class: 'form stepper', novalidate: true, action: '#' },
    progress, stepEls, statusEl,
    el('div', { class: 'step-actions' }, nextButton, backButton, saveButton));

  const doneHeading = el('h2', { id: id('done-title'), tabindex: '-1' });
  const codeEl = el('p', { id: id('code'), class: 'tracking-code' });
  const spelledEl = el('p', { id: id('code-spelled'), class: 'tracking-code__spelled' });
  const doneActions = el('ul', { class: 'actions' });
  const done = el('section', { id: id('done'), class: 'done', 'aria-labelledby': doneHeading.id, hidden: true },
    doneHeading,
    el('p', { class: 'done__label', i18n: 'propose.codeLabel' }),
    codeEl, spelledEl,
    el('p', { class: 'done__hint', i18n: 'propose.codeHint' }),
    doneActions);

  clear(root);
  root.append(alertEl, notice, form, done);
  const errors = new FormErrors(form, alertEl);

  // ----- values <-> inputs -----
  function fillInputs() {
    for (const [name, input] of Object.entries(inputs)) {
      let v = values[name] === undefined ? '' : values[name];
      if ((name === 'cost_vnd' || name === 'households') && v !== '') v = formatInt(parseInteger(v));
      input.value = v;
    }
    if (inputs.group_id.value !== values.group_id) inputs.group_id.value = '';
    echoCost();
  }

  function readInputs() {
    for (const [name, input] of Object.entries(inputs)) values[name] = input.value;
  }

  function echoCost() {
    const n = parseInteger(inputs.cost_vnd.value);
    if (n === null || !Number.isFinite(n)) setKey(costEcho, null);
    else setKey(costEcho, 'propose.costEcho', { amount: formatVnd(n) });
  }

  function storeLocal() {
    readInputs();
    try {
      window.localStorage.setItem(storageKey, JSON.stringify({
        v: 1, values, proposalId, version, step, savedAt: new Date().toISOString(),
      }));
    } catch {
      // storage full or disabled: the server copy is all there is
    }
  }

  function scheduleLocal() {
    if (localTimer) clearTimeout(localTimer);
    localTimer = setTimeout(() => {
      localTimer = null;
      storeLocal();
    }, 250);
  }

  form.addEventListener('input', (ev) => {
    if (ev.target === cameraInput || ev.target === pickInput || ev.target === consentPhotos || ev.target === consentContact) return;
    if (ev.target === inputs.cost_vnd) echoCost();
    scheduleLocal();
  });
  for (const name of ['cost_vnd', 'households']) {
    inputs[name].addEventListener('blur', () => {
      const n = parseInteger(inputs[name].value);
      if (n !== null && Number.isFinite(n)) inputs[name].value = formatInt(n);
    });
  }

  // ----- validation -----
  function checkStep(n) {
    readInputs();
    const need = (name, key) => {
      if (values[name].trim() === '') errors.field(inputs[name], key);
    };
    if (n === 1) {
      need('title', 'validation.titleRequired');
      need('summary', 'validation.summaryRequired');
    } else if (n === 2) need('problem', 'validation.problemRequired');
    else if (n === 3) need('model', 'validation.modelRequired');
    else if (n === 4) {
      need('beneficiaries', 'validation.beneficiariesRequired');
      const h = parseInteger(values.households);
      if (values.households.trim() === '') errors.field(inputs.households, 'validation.householdsRequired');
      else if (h === null || h > MAX_HOUSEHOLDS || /[^\d\s.,]/.test(values.households)) {
        errors.field(inputs.households, 'validation.householdsInvalid');
      }
    } else if (n === 5) {
      const c = parseInteger(values.cost_vnd);
      if (values.cost_vnd.trim() === '') errors.field(inputs.cost_vnd, 'validation.costRequired');
      else if (c === null || c > MAX_COST || /[^\d\s.,đĐ₫a-zA-Z]/.test(values.cost_vnd)) {
        errors.field(inputs.cost_vnd, 'validation.costInvalid');
      }
    } else if (n === 6) {
      if (values.group_id === '') errors.field(inputs.group_id, 'validation.groupRequired');
      const tags = splitTags(values.tags);
      if (tags.length > 10) errors.field(inputs.tags, 'validation.tagsTooMany');
      else if (tags.some((t) => [...t].length > 40)) errors.field(inputs.tags, 'validation.tagTooLong');
    }
    return errors.count === 0;
  }

  // ----- server -----
  function payload() {
    readInputs();
    const body = {};
    for (const f of TEXT_FIELDS) body[f] = values[f].trim();
    const h = parseInteger(values.households);
    if (h !== null) body.households = h;
    const c = parseInteger(values.cost_vnd);
    if (c !== null) body.cost_vnd = c;
    if (values.group_id !== '') body.group_id = Number(values.group_id);
    body.tags = splitTags(values.tags);
    return body;
  }

  function adopt(p) {
    const firstSave = !proposalId;
    proposalId = p.id;
    version = p.version;
    status = p.status;
    if (Array.isArray(p.attachments)) attachments = [...p.attachments];
    if (firstSave) storeLocal();
  }

  /** Sends the consents when they differ from the server's (needs the proposal saved). Throws ApiError. */
  async function syncPublicity() {
    const want = { photos: consentPhotos.checked, contact: consentContact.checked };
    if (!proposalId || (want.photos === publishedOnServer.photos && want.contact === publishedOnServer.contact)) return null;
    const res = await api.put(`/proposals/${proposalId}/publicity`, want);
    publishedOnServer.photos = !!res.proposal.publish_photos;
    publishedOnServer.contact = !!res.proposal.publish_contact;
    return res.proposal;
  }

  /** Sends the draft to the server (create or PATCH). Throws ApiError. */
  async function saveServer() {
    const body = payload();
    if (!proposalId) {
      if (behalf) {
        body.on_behalf_of = behalf.id;
        body.consent = { text_version: CONSENT_VERSION, given: true };
      }
      body.submit = false;
      const res = await api.post(`/campaigns/${campaign.id}/proposals`, body);
      adopt(res.proposal);
    } else {
      body.version = version;
      const res = await api.patch(`/proposals/${proposalId}`, body);
      adopt(res.proposal);
    }
    await syncPublicity();
    storeLocal();
  }

  /**
   * Shows an API failure: on its field (and step) when it names one, and in the
   * alert. A session that ended says that the text is kept here (localStorage)
   * and links to the login page, which comes back to this form.
   */
  function showApiError(err) {
    if (err && err.code === 'unauthenticated') {
      storeLocal();
      errors.alert({ key: 'propose.sessionExpired', login: true });
      return;
    }
    const field = err && err.field;
    if (field && FIELD_STEP[field] && inputs[field]) {
      if (FIELD_STEP[field] !== step) show(FIELD_STEP[field], false);
      errors.field(inputs[field], fieldMessage(err));
      errors.focusFirst();
    }
    errors.alert(errorMessage(err));
  }

  function setBusyState(on, key = 'common.sending') {
    busy = on;
    form.setAttribute('aria-busy', on ? 'true' : 'false');
    for (const b of [nextButton, backButton, saveButton]) b.disabled = on;
    setKey(statusEl, on ? key : null);
  }

  /** Saves everywhere it can. Resolves true when the server has it; false (kept locally) on network failure. */
  async function saveEverywhere() {
    storeLocal();
    if (status === 'submitted') return true; // sent only with "save changes"
    setBusyState(true, 'propose.saving');
    try {
      await saveServer();
      setBusyState(false);
      setKey(statusEl, 'propose.savedAt', { time: formatTime(new Date().toISOString()) });
      return true;
    } catch (err) {
      setBusyState(false);
      if (err.code === 'network') {
        setKey(statusEl, 'propose.savedLocal');
        return false;
      }
      throw err;
    }
  }

  // ----- steps -----
  function show(n, focus = true) {
    step = n;
    stepEls.forEach((s, i) => {
      s.hidden = i + 1 !== n;
    });
    progress.value = n;
    backButton.hidden = n === 1;
    saveButton.hidden = status === 'submitted';
    if (n === STEPS) {
      setKey(nextButton, status === 'submitted' ? 'propose.saveChanges' : 'propose.submit');
      renderReview();
    } else {
      setKey(nextButton, 'propose.next');
    }
    if (n === 7) renderFiles();
    if (focus) {
      const heading = stepEls[n - 1].querySelector('h2');
      form.scrollIntoView({ block: 'start' });
      heading.focus({ preventScroll: true });
    }
  }

  async function next() {
    if (busy) return;
    errors.clear();
    if (step < STEPS) {
      if (!checkStep(step)) {
        errors.alert('validation.summary');
        errors.focusFirst();
        return;
      }
      try {
        await saveEverywhere();
      } catch (err) {
        showApiError(err);
        return;
      }
      show(step + 1);
      storeLocal();
      return;
    }
    // A file still on its way (or waiting for "Thử lại") would be left out: finish or cancel it first.
    if (uploading || pending) {
      errors.alert('propose.uploadWait');
      return;
    }
    // The last step: check everything, then send.
    for (let n = 1; n < STEPS; n++) {
      if (!checkStep(n)) {
        show(n);
        errors.alert('validation.summary');
        errors.focusFirst();
        return;
      }
    }
    await finish();
  }

  async function finish() {
    const wasSubmitted = status === 'submitted';
    setBusyState(true);
    let result;
    try {
      if (wasSubmitted) {
        const res = await api.patch(`/proposals/${proposalId}`, { ...payload(), version });
        result = res.proposal;
      } else if (!proposalId) {
        const body = { ...payload(), submit: true };
        if (behalf) {
          body.on_behalf_of = behalf.id;
          body.consent = { text_version: CONSENT_VERSION, given: true };
        }
        result = (await api.post(`/campaigns/${campaign.id}/proposals`, body)).proposal;
      } else {
        await saveServer();
        result = (await api.action(`/proposals/${proposalId}/submit`)).proposal;
      }
      proposalId = result.id;
      result = (await syncPublicity()) || result;
    } catch (err) {
      setBusyState(false);
      storeLocal();
      showApiError(err);
      return;
    }
    setBusyState(false);
    adopt(result);
    removeLocal(storageKey);
    forgetProposal(account.id, result.id);
    showDone(result, wasSubmitted);
  }

  /** "HC-2026-0042" -> "H C – 2 0 2 6 – 0 0 4 2", breaking lines only between the groups. */
  function spell(code) {
    return code.split('-').map((g) => [...g].join('\u00a0')).join(' – ');
  }

  function showDone(p, edited) {
    form.hidden = true;
    notice.hidden = true;
    errors.clear();
    setKey(doneHeading, edited ? 'propose.savedHeading' : 'propose.submittedHeading');
    codeEl.textContent = p.tracking_code || '';
    setKey(spelledEl, 'propose.codeSpelled', { spelled: spell(p.tracking_code || '') });
    clear(doneActions);
    for (const a of opts.doneActions || []) {
      const node = a.onClick
        ? el('button', { type: 'button', class: a.primary ? 'button' : 'button button--secondary', i18n: a.i18n, on: { click: a.onClick } })
        : el('a', { href: a.href, class: a.primary ? 'button' : 'button button--secondary', i18n: a.i18n });
      doneActions.append(el('li', {}, node));
    }
    done.hidden = false;
    done.scrollIntoView({ block: 'start' });
    doneHeading.focus({ preventScroll: true });
    if (opts.onDone) opts.onDone(p, edited);
  }

  // ----- review -----
  function reviewRow(labelKey, value, { pre = false } = {}) {
    const dd = el('dd', { class: pre ? 'pre' : '' });
    if (value === '' || value === null || value === undefined) setKey(dd, 'propose.empty');
    else dd.textContent = value;
    if (value === '' || value === null || value === undefined) dd.classList.add('review__empty');
    return el('div', { class: 'details__row' }, el('dt', { i18n: labelKey }), dd);
  }

  function renderReview() {
    readInputs();
    clear(reviewBox);
    const group = (opts.groups || []).find((g) => String(g.id) === values.group_id);
    const h = parseInteger(values.households);
    const c = parseInteger(values.cost_vnd);
    const tags = splitTags(values.tags);
    const rows = {
      1: [reviewRow('proposal.titleField', values.title.trim()), reviewRow('proposal.summary', values.summary.trim(), { pre: true })],
      2: [reviewRow('proposal.problem', values.problem.trim(), { pre: true })],
      3: [reviewRow('proposal.model', values.model.trim(), { pre: true })],
      4: [reviewRow('proposal.beneficiaries', values.beneficiaries.trim(), { pre: true }),
        reviewRow('proposal.households', h === null ? '' : formatInt(h))],
      5: [reviewRow('proposal.resources', values.resources.trim(), { pre: true }),
        reviewRow('proposal.cost', c === null ? '' : formatVnd(c))],
      6: [reviewRow('proposal.group', group ? group.name : ''), reviewRow('proposal.tags', tags.join(', '))],
      7: [reviewRow('proposal.attachments', attachments.map((a) => a.filename).join(', ')),
        reviewRow('proposal.publishPhotos', t(consentPhotos.checked ? 'proposal.consentYes' : 'proposal.consentNot')),
        reviewRow('proposal.publishContact', t(consentContact.checked ? 'proposal.consentYes' : 'proposal.consentNot'))],
    };
    for (let n = 1; n < STEPS; n++) {
      const editButton = el('button', {
        type: 'button', class: 'button button--small button--secondary',
        'aria-label': null, on: { click: () => show(n) },
      }, el('span', { i18n: 'propose.edit' }), el('span', { class: 'visually-hidden', i18n: STEP_NAMES[n - 1] }));
      reviewBox.append(el('section', { class: 'review__part', 'aria-labelledby': id(`review-${n}`) },
        el('div', { class: 'review__head' },
          el('h3', { id: id(`review-${n}`), i18n: STEP_NAMES[n - 1] }), editButton),
        el('dl', { class: 'details' }, rows[n])));
    }
  }

  // ----- attachments -----
  function renderFiles() {
    clear(fileList);
    setKey(fileCount, 'propose.fileCount', { n: attachments.length, max: MAX_FILES });
    for (const a of attachments) {
      const isImage = /^image\//.test(a.mime);
      const remove = el('button', {
        type: 'button', class: 'button button--small button--secondary',
        on: { click: () => removeFile(a) },
      }, el('span', { i18n: 'propose.removeFile' }), el('span', { class: 'visually-hidden', text: ` ${a.filename}` }));
      fileList.append(el('li', { class: 'files__item' },
        isImage ? el('img', { class: 'files__thumb', src: apiUrl(`/attachments/${a.id}`), alt: '', width: 64, height: 64 })
          : el('span', { class: 'files__thumb files__thumb--pdf', 'aria-hidden': 'true', text: 'PDF' }),
        el('span', { class: 'files__name' }, el('span', { text: a.filename }), el('span', { class: 'files__size', text: formatSize(a.size) })),
        remove));
    }
    const full = attachments.length >= MAX_FILES || uploading;
    cameraInput.disabled = full;
    pickInput.disabled = full;
    for (const p of root.querySelectorAll('.file-picker')) p.classList.toggle('is-disabled', full);
  }

  async function removeFile(a) {
    const yes = await confirmDialog({
      title: 'propose.removeFileTitle', body: 'propose.removeFileBody', confirm: 'propose.removeFile',
      vars: { name: a.filename }, danger: true,
    });
    if (!yes) return;
    errors.clear();
    clearFileError();
    try {
      await api.del(`/attachments/${a.id}`);
    } catch (err) {
      if (err.status !== 404) {
        const msg = errorMessage(err);
        if (msg.key) showFileError(msg.key);
        else errors.alert(msg);
        return;
      }
    }
    attachments = attachments.filter((x) => x.id !== a.id);
    renderFiles();
    setKey(statusEl, 'propose.fileRemoved', { name: a.filename });
    pickInput.focus();
  }

  function addFiles(input) {
    const files = [...(input.files || [])];
    input.value = '';
    if (files.length === 0) return;
    errors.clear();
    clearFileError();
    queue.push(...files);
    if (!uploading && !pending) processQueue();
  }

  function uploadError(err, name) {
    if (err.status === 413) showFileError('propose.fileTooLarge', { name });
    else if (err.status === 415) showFileError('propose.fileBadType', { name });
    else if (err.code === 'invalid_image') showFileError('propose.fileBroken', { name });
    else if (err.field === 'X-Filename') showFileError('propose.fileBadName'); // not the name: it may hold the very characters refused
    else if (err.code === 'too_many_attachments') showFileError('propose.fileTooMany');
    else {
      const msg = errorMessage(err);
      if (msg.key) showFileError(msg.key);
      else errors.alert(msg);
    }
  }

  function setUploading(on) {
    uploading = on;
    renderFiles();
  }

  function showProgress(name, pct) {
    uploadBox.hidden = false;
    uploadRetry.hidden = true;
    uploadCancel.hidden = false;
    setKey(uploadName, 'propose.uploadSending', { name });
    uploadBar.value = pct;
    uploadPct.textContent = `${pct}%`;
  }

  async function processQueue() {
    if (uploading) return;
    setUploading(true);
    try {
      while (pending || queue.length > 0) {
        if (attachments.length >= MAX_FILES) {
          showFileError('propose.fileTooMany');
          queue = [];
          pending = null;
          break;
        }
        let file = pending;
        const retry = !!pending;
        pending = null;
        if (!file) {
          const f = typedFile(queue.shift());
          const name = f.name || '';
          if (!FILE_TYPES.includes(f.type) || f.size === 0) {
            showFileError('propose.fileBadType', { name });
            continue;
          }
          showProgress(name, 0);
          setKey(uploadLive, 'propose.uploadPreparing', { name });
          dropPrepared = false;
          file = await shrinkPhoto(f);
          if (dropPrepared) {
            dropPrepared = false;
            setKey(statusEl, 'propose.uploadCancelled', { name: file.name || name });
            continue;
          }
          if (file.size > MAX_FILE_BYTES) {
            showFileError('propose.fileTooLarge', { name });
            continue;
          }
        }
        const outcome = await sendFile(file, retry);
        if (outcome === 'failed') {
          pending = file;
          uploadRetry.hidden = false;
          setKey(uploadName, 'propose.uploadStopped', { name: file.name || '' });
          showFileError('propose.uploadFailed', { name: file.name || '' });
          return;
        }
      }
      uploadBox.hidden = true;
    } finally {
      setUploading(false);
    }
  }

  /** Sends one file; resolves 'done', 'cancelled', 'refused' or 'failed' (connection dropped: may be retried). */
  async function sendFile(file, retry) {
    const name = file.name || '';
    try {
      if (!proposalId) await saveServer();
    } catch (err) {
      if (err.status === 0) return 'failed';
      showApiError(err);
      return 'refused';
    }
    showProgress(name, 0);
    setKey(uploadLive, retry ? 'propose.uploadRetrying' : 'propose.uploading', { name });
    let said = 0;
    current = uploadWithProgress(`/proposals/${proposalId}/attachments`, file, (loaded, total) => {
      const pct = total > 0 ? Math.min(100, Math.floor((loaded * 100) / total)) : 0;
      uploadBar.value = pct;
      uploadPct.textContent = `${pct}%`;
      const quarter = Math.floor(pct / 25) * 25;
      if (quarter > said && quarter < 100) {
        said = quarter;
        setKey(uploadLive, 'propose.uploadPercent', { name, pct: quarter });
      }
    });
    try {
      const res = await current.promise;
      attachments.push(res.attachment);
      renderFiles();
      clearFileError();
      setKey(uploadLive, null);
      setKey(statusEl, 'propose.fileAdded', { name });
      return 'done';
    } catch (err) {
      if (err.code === 'aborted') {
        setKey(statusEl, 'propose.uploadCancelled', { name });
        return 'cancelled';
      }
      if (err.status === 0) return 'failed';
      uploadError(err, name);
      return 'refused';
    } finally {
      current = null;
    }
  }

  // Cancel stops the upload in progress, or drops the file waiting for "Thử lại".
  uploadCancel.addEventListener('click', () => {
    if (current) {
      current.abort();
      return;
    }
    if (uploading) {
      dropPrepared = true; // still shrinking: it is not sent
      return;
    }
    if (!pending) return;
    const name = pending.name || '';
    pending = null;
    clearFileError();
    setKey(statusEl, 'propose.uploadCancelled', { name });
    if (queue.length > 0) processQueue();
    else uploadBox.hidden = true;
  });
  uploadRetry.addEventListener('click', () => {
    if (!pending || uploading) return;
    clearFileError();
    processQueue();
  });

  cameraInput.addEventListener('change', () => addFiles(cameraInput));
  pickInput.addEventListener('change', () => addFiles(pickInput));

  // ----- buttons -----
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    next();
  });
  backButton.addEventListener('click', () => {
    if (busy || step === 1) return;
    errors.clear();
    storeLocal();
    show(step - 1);
  });
  saveButton.addEventListener('click', async () => {
    if (busy) return;
    errors.clear();
    readInputs();
    if (values.title.trim() === '') {
      show(1, false);
      errors.field(inputs.title, 'validation.titleRequired');
      errors.alert('validation.summary');
      errors.focusFirst();
      return;
    }
    try {
      await saveEverywhere();
    } catch (err) {
      showApiError(err);
    }
  });
  discardButton.addEventListener('click', async () => {
    removeLocal(storageKey);
    notice.hidden = true;
    if (opts.proposal) values = valuesFrom(opts.proposal);
    else {
      values = valuesFrom({});
      if (opts.defaultGroupId) values.group_id = String(opts.defaultGroupId);
      proposalId = null;
      version = null;
      attachments = [];
    }
    fillInputs();
    show(1);
  });

  // ----- start: restore an unsent local draft -----
  const local = readLocal(storageKey);
  if (local && (!opts.proposal || local.version === version)) {
    values = { ...values, ...local.values };
    if (!opts.proposal && local.proposalId) {
      proposalId = local.proposalId;
      version = local.version;
    }
    step = Number.isInteger(local.step) && local.step >= 1 && local.step <= STEPS ? local.step : 1;
    setKey(noticeText, 'propose.restored', { time: formatTime(local.savedAt) });
    notice.hidden = false;
  } else if (local) {
    removeLocal(storageKey); // the server has a newer version
  }
  fillInputs();
  show(step, false);
  if (!opts.proposal && proposalId) {
    // A draft already on the server: fetch its attachments and version.
    api.get(`/proposals/${proposalId}`).then((res) => {
      const p = res.proposal;
      if (p.status !== 'draft') {
        // Sent already (e.g. from another tab): nothing left to do here.
        removeLocal(storageKey);
        proposalId = null;
        version = null;
        return;
      }
      version = p.version;
      attachments = Array.isArray(p.attachments) ? [...p.attachments] : [];
      if (step === 7) renderFiles();
    }).catch(() => {});
  }
  onLangChange(() => {
    echoCost();
    if (step === STEPS) renderReview();
    if (step === 7) renderFiles();
  });

  return {
    get proposalId() {
      return proposalId;
    },
    focusStart() {
      const heading = stepEls[step - 1].querySelector('h2');
      heading.focus();
    },
  };
}
