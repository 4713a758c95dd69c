// A panelist scores one proposal (GET /api/v1/proposals/{id}/appraisal,
// PUT /api/v1/proposals/{id}/review): each criterion's description beside a
// whole-number score (0 to its maximum) and an optional comment, an overall
// comment; save a draft, submit, or revise a submitted review with a reason.
// The version read is sent back (409 version_conflict: reload). Once mine is
// submitted the other panelists' scores are shown. A conflict of interest is
// declared with a reason after a confirmation.
import { onLangChange, setKey, t } from './i18n.js';
import { api, apiUrl, request } from './api.js';
import { clear, el, idParam } from './dom.js';
import { confirmDialog } from './dialog.js';
import { FormErrors, errorMessage, fieldMessage, setBusy } from './form.js';
import { formatVnd, formatInt } from './format.js';
import { goToLogin } from './session.js';
import { attachmentItem, runPage, showAlert, startPage } from './ui.js';

const $ = (id) => document.getElementById(id);
const alertEl = $('rv-alert');
const form = $('rv-form');
const errors = new FormErrors(form, $('rv-form-alert'));
const proposalId = idParam('proposal');
let data = null;

function row(key, value) {
  return el('div', { class: 'details__row' }, el('dt', { i18n: key }), el('dd', { class: 'pre', text: value }));
}

function renderProposal() {
  const p = data.proposal;
  setKey($('rv-heading'), null, undefined, p.title);
  setKey(document.querySelector('title'), 'review.titleWith', { title: p.title });
  $('rv-code').textContent = p.tracking_code || '';
  $('rv-back').href = `panel.html?campaign=${p.campaign_id}`;
  const dl = clear($('rv-proposal'));
  dl.append(row('proposal.summary', p.summary || ''), row('proposal.problem', p.problem || ''),
    row('proposal.model', p.model || ''), row('proposal.beneficiaries', p.beneficiaries || ''),
    row('proposal.households', formatInt(p.households)), row('proposal.resources', p.resources || ''),
    row('proposal.cost', formatVnd(p.cost_vnd)));
  // In blind review the residential group is withheld unless the call shows it (blind_shows_group).
  if (p.group_name) dl.append(row('proposal.group', p.group_name));
  // Photos and documents the resident attached (file names are neutral when the review is blind).
  const files = p.attachments || [];
  let n = 0;
  clear($('rv-files')).append(...files.map((a) => (/^image\//.test(a.mime) ? photoItem(a, ++n) : attachmentItem(a))));
  $('rv-no-files').hidden = files.length > 0;
}

// A photo inline at a readable size (the server's 320 or 1024 px WebP copy, as the
// screen needs), lazy-loaded; its alt text is "Ảnh N", never the file name or the
// author. Tapping it opens it enlarged; the link under it downloads the original.
function photoItem(a, n) {
  const url = apiUrl(`/attachments/${a.id}`);
  const name = t('review.photoN', { n });
  const img = el('img', {
    class: 'photo__img', src: `${url}?size=1024`, srcset: `${url}?size=320 320w, ${url}?size=1024 1024w`,
    sizes: '(max-width: 40rem) calc(100vw - 4rem), 36rem', loading: 'lazy', decoding: 'async',
    width: 1024, height: 768, alt: name,
  });
  const open = el('button', { type: 'button', class: 'photo__open', on: { click: () => openPhoto(url, name) } },
    img, el('span', { class: 'visually-hidden', i18n: 'review.photoEnlarge' }));
  const item = attachmentItem(a);
  item.classList.add('files__item--photo');
  const thumb = item.querySelector('.files__thumb');
  if (thumb) thumb.remove();
  item.prepend(open);
  return item;
}

function openPhoto(url, name) {
  const opener = document.activeElement;
  const close = el('button', { type: 'button', class: 'button button--secondary', i18n: 'review.photoClose' });
  const dialog = el('dialog', { class: 'dialog dialog--photo', 'aria-labelledby': 'rv-photo-title' },
    el('h2', { id: 'rv-photo-title', class: 'dialog__title', text: name }),
    el('img', { class: 'dialog__photo', src: `${url}?size=1024`, alt: name, width: 1024, height: 768 }),
    el('div', { class: 'dialog__actions' }, close));
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener && typeof opener.focus === 'function' && document.contains(opener)) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
}

function renderState() {
  const r = data.review;
  const key = !r ? 'panel.notStarted' : r.status === 'submitted' ? 'panel.submitted' : 'panel.drafted';
  const kind = !r ? 'other' : r.status === 'submitted' ? 'submitted' : 'draft';
  clear($('rv-state')).append(el('span', { class: `badge badge--status-${kind}`, i18n: key }));
  const submitted = r && r.status === 'submitted';
  $('rv-reason-field').hidden = !submitted;
  setKey($('rv-submit'), submitted ? 'review.revise' : 'review.submit');
  $('rv-draft').hidden = !!submitted;
  $('rv-locked').hidden = !data.locked;
  for (const c of form.elements) c.disabled = !!data.locked;
  $('rv-conflict-section').hidden = !!data.locked || !!submitted;
}

function renderCriteria() {
  const list = clear($('rv-criteria'));
  const scores = new Map(((data.review && data.review.scores) || []).map((s) => [s.criterion_id, s]));
  for (const c of data.criteria) {
    const s = scores.get(c.id);
    const id = `rv-k${c.id}`;
    const score = el('input', {
      id: `${id}-score`, name: `score_${c.id}`, type: 'text', inputmode: 'numeric', autocomplete: 'off',
      class: 'input--short score-input', 'aria-describedby': `${id}-desc ${id}-score-hint`, 'data-criterion': c.id, 'data-max': c.max_score,
    });
    score.value = s ? String(s.score) : '';
    const comment = el('textarea', { id: `${id}-comment`, name: `comment_${c.id}`, rows: 2, maxlength: 2000, class: 'score-comment' });
    comment.value = s && s.comment ? s.comment : '';
    list.append(el('li', { class: 'criteria__item score-item' },
      el('h3', { class: 'criteria__name', id: `${id}-name`, text: c.name }),
      el('p', { class: 'criteria__description', id: `${id}-desc`, text: c.description || '' }),
      el('div', { class: 'field' },
        el('label', { for: `${id}-score`, i18n: 'review.scoreLabel', vars: { name: c.name } }),
        el('p', { class: 'hint', id: `${id}-score-hint`, i18n: 'review.scoreHint', vars: { max: c.max_score } }),
        el('p', { class: 'field-error', id: `${id}-score-error`, hidden: true }),
        score),
      el('div', { class: 'field' },
        el('label', { for: `${id}-comment` }, el('span', { i18n: 'review.commentLabel', vars: { name: c.name } }), ' ',
          el('span', { class: 'optional', i18n: 'common.optional' })),
        comment)));
  }
  $('rv-overall').value = data.review ? data.review.overall_comment || '' : '';
}

function renderOthers() {
  const others = data.other_reviews;
  const section = $('rv-others-section');
  section.hidden = !Array.isArray(others);
  if (!Array.isArray(others)) return;
  const names = new Map(data.criteria.map((c) => [c.id, c]));
  $('rv-others-empty').hidden = others.length > 0;
  clear($('rv-others')).append(...others.map((o, i) => el('li', { class: 'card' },
    el('h3', { class: 'card__title', i18n: 'review.otherN', vars: { n: i + 1 } }),
    el('dl', { class: 'details' }, (o.scores || []).map((s) => el('div', { class: 'details__row' },
      el('dt', { text: names.get(s.criterion_id) ? names.get(s.criterion_id).name : String(s.criterion_id) }),
      el('dd', {}, t('review.scoreOf', { score: s.score, max: names.get(s.criterion_id) ? names.get(s.criterion_id).max_score : '' }),
        s.comment ? el('span', { class: 'pre', text: ` ${s.comment}` }) : null)))),
    o.overall_comment ? el('p', { class: 'pre', text: o.overall_comment }) : null)));
}

function renderAll() {
  renderProposal();
  renderCriteria();
  renderState();
  renderOthers();
}

/** The body for PUT /review, or null after marking what is wrong. */
function readForm(submit) {
  const scores = [];
  for (const input of form.querySelectorAll('.score-input')) {
    const max = Number(input.getAttribute('data-max'));
    const v = input.value.trim();
    const cid = Number(input.getAttribute('data-criterion'));
    const comment = document.getElementById(input.id.replace(/-score$/, '-comment')).value.trim();
    if (v === '') {
      if (submit) errors.field(input, 'review.scoreRequired', { max });
      continue;
    }
    if (!/^\d{1,3}$/.test(v) || Number(v) > max) {
      errors.field(input, 'review.scoreInvalid', { max });
      continue;
    }
    scores.push({ criterion_id: cid, score: Number(v), comment });
  }
  const overall = $('rv-overall').value.trim();
  if (submit && overall === '') errors.field($('rv-overall'), 'review.overallRequired');
  const body = { scores, overall_comment: overall, version: data.review ? data.review.version : 0, submit };
  const resubmit = data.review && data.review.status === 'submitted';
  if (resubmit) {
    const reason = $('rv-reason').value.trim();
    if (reason === '') errors.field($('rv-reason'), 'review.reasonRequired');
    body.reason = reason;
  }
  return errors.count === 0 ? body : null;
}

/** FormErrors links only the hint and the error: keep each score tied to its criterion's description too. */
function describeScores() {
  for (const input of form.querySelectorAll('.score-input')) {
    const desc = input.id.replace(/-score$/, '-desc');
    const now = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
    if (!now.includes(desc)) input.setAttribute('aria-describedby', [desc, ...now].join(' '));
  }
}

async function save(submit) {
  errors.clear();
  describeScores();
  setKey($('rv-done'), null);
  const body = readForm(submit);
  describeScores();
  if (!body) {
    errors.alert('validation.summary');
    errors.focusFirst();
    return;
  }
  const status = $('rv-form-status');
  setBusy(form, status, true);
  $('rv-draft').disabled = true;
  try {
    const res = await request('PUT', `/proposals/${proposalId}/review`, body);
    data.review = res.review;
  } catch (err) {
    setBusy(form, status, false);
    $('rv-draft').disabled = false;
    if (err.code === 'version_conflict') {
      errors.alert('review.versionConflict');
      return;
    }
    const input = err.field === 'overall_comment' ? $('rv-overall') : err.field === 'reason' ? $('rv-reason') : null;
    if (input) {
      errors.field(input, fieldMessage(err));
      errors.focusFirst();
    }
    errors.alert(errorMessage(err));
    return;
  }
  setBusy(form, status, false);
  $('rv-draft').disabled = false;
  // The others' reviews appear once mine is submitted.
  data = await api.get(`/proposals/${proposalId}/appraisal`).catch(() => data);
  renderAll();
  $('rv-reason').value = '';
  setKey($('rv-done'), submit ? 'review.submittedDone' : 'review.savedDone');
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  save(true);
});
$('rv-draft').addEventListener('click', () => save(false));

$('rv-conflict').addEventListener('click', async () => {
  const input = $('rv-conflict-reason');
  const err = $('rv-conflict-reason-error');
  const reason = input.value.trim();
  if (reason === '') {
    setKey(err, 'review.conflictReasonRequired');
    err.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', err.id);
    input.focus();
    return;
  }
  err.hidden = true;
  input.removeAttribute('aria-invalid');
  input.removeAttribute('aria-describedby');
  const yes = await confirmDialog({
    title: 'review.conflictTitle', body: 'review.conflictBody', confirm: 'review.conflictConfirm',
    vars: { title: data.proposal.title }, danger: true,
  });
  if (!yes) return;
  try {
    await api.post(`/proposals/${proposalId}/conflict`, { reason });
  } catch (e) {
    showAlert(alertEl, e);
    return;
  }
  window.location.assign(`panel.html?campaign=${data.proposal.campaign_id}`);
});

async function main() {
  const account = await startPage();
  if (!account) {
    goToLogin();
    return;
  }
  const status = $('rv-status');
  if (!proposalId) {
    setKey(status, null);
    showAlert(alertEl, 'errors.not_found');
    return;
  }
  try {
    data = await api.get(`/proposals/${proposalId}/appraisal`);
  } catch (err) {
    setKey(status, null);
    showAlert(alertEl, err);
    return;
  }
  renderAll();
  setKey(status, null);
  $('rv-body').hidden = false;
  onLangChange(() => {
    renderProposal();
    renderOthers();
  });
}

runPage(main);
