// The leader's appraisal of one call (?campaign=): move a closed call to
// appraisal, name the panel (ticking the ward's panelists by name), assign (all, or k per
// proposal), follow the progress, lock the panel (with a note when reviews are
// missing), set the awards, read the ranking (both methods, ties), decide
// (a written reason for every departure from the default awards), read the
// decision back (awards, departures and their reasons) and publish with the
// password typed again. The leader's workspace (issue 9): a jump list of the
// page's sections, who reviews what (GET /assignments: cards on a phone, a
// table on a desktop) with "Chuyển" to move a review not yet started, the
// awards as rows (name, count, order), a correction after publication (the
// ranking's award choices, a public reason, the password again), and the score
// record checked in plain words.
import { onLangChange, setKey, t } from './i18n.js';
import { api, request } from './api.js';
import { clear, el, idParam } from './dom.js';
import { confirmDialog } from './dialog.js';
import { errorMessage } from './form.js';
import { formatNumber } from './format.js';
import { goToLogin, hasRole } from './session.js';
import { clearAlert, runPage, showAlert, startPage, stateBadge } from './ui.js';

const $ = (id) => document.getElementById(id);
const alertEl = $('ap-alert');
const doneEl = $('ap-done');
const id = idParam('campaign');
let call = null;
let panel = null;
let progress = null;
let awards = [];
let ranking = null;
let candidates = [];
let decision = null;
let assignments = null;
let record = null;
/** The awards being edited (rows of {name, count}); null: take them from the server at the next render. */
let awardDraft = null;
let awardSeq = 0;
/** The review whose "Chuyển" picker is open: { pid, from, view: 'card' | 'table' }, or null. */
let moving = null;
/** The panelists ticked on the page, by account id (kept over a re-render, reset by a load). */
let picked = new Set();

function fieldError(input, key, vars) {
  const err = $(`${input.id}-error`);
  if (key) {
    setKey(err, key, vars);
    err.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', [err.id, $(`${input.id}-hint`) ? `${input.id}-hint` : null].filter(Boolean).join(' '));
    input.focus();
  } else {
    setKey(err, null);
    err.hidden = true;
    input.removeAttribute('aria-invalid');
    if ($(`${input.id}-hint`)) input.setAttribute('aria-describedby', `${input.id}-hint`);
    else input.removeAttribute('aria-describedby');
  }
}

function fieldApiError(input, err) {
  const msg = errorMessage(err);
  fieldError(input, msg.key || 'errors.unknown');
}

async function act(fn, doneKey, vars) {
  clearAlert(alertEl);
  setKey(doneEl, null);
  try {
    await fn();
  } catch (err) {
    showAlert(alertEl, err);
    return false;
  }
  await load();
  if (doneKey) setKey(doneEl, doneKey, vars);
  return true;
}

async function load() {
  call = (await api.get(`/campaigns/${id}`)).campaign;
  const inAppraisal = ['closed', 'appraisal'].includes(call.state);
  const none = Promise.resolve(null);
  // Independent reads, at once. A draft call has no public awards (404).
  let cand, aw;
  [panel, progress, cand, decision, aw, assignments] = await Promise.all([
    inAppraisal || call.state === 'decided' ? api.get(`/campaigns/${id}/panel`) : none,
    inAppraisal || call.state === 'decided' ? api.get(`/campaigns/${id}/progress`) : none,
    inAppraisal ? api.get(`/campaigns/${id}/panel/candidates`) : none,
    ['decided', 'published'].includes(call.state) ? api.get(`/campaigns/${id}/decision`) : none,
    call.state !== 'draft' ? api.get(`/campaigns/${id}/awards`) : none,
    inAppraisal || call.state === 'decided' ? api.get(`/campaigns/${id}/assignments`) : none,
  ]);
  candidates = cand ? cand.candidates || [] : [];
  picked = new Set(candidates.filter((c) => c.on_panel).map((c) => c.account_id));
  awards = aw ? aw.awards || [] : [];
  ranking = null;
  if ((call.state === 'appraisal' && progress && progress.locked_at) || call.state === 'published') {
    ranking = await api.get(`/campaigns/${id}/ranking`);
  }
  awardDraft = null;
  moving = null;
  render();
}

function render() {
  setKey($('ap-heading'), 'appraisal.headingFor', { title: call.title });
  clear($('ap-state')).append(stateBadge(call.state));
  const locked = !!(progress && progress.locked_at);
  $('ap-start-section').hidden = call.state !== 'closed';
  $('ap-panel-section').hidden = !(['closed', 'appraisal'].includes(call.state) && !locked);
  $('ap-progress-section').hidden = !progress;
  $('ap-lock-section').hidden = !(call.state === 'appraisal' && !locked && panel && panel.panelists.length > 0);
  $('ap-awards-section').hidden = !(['closed', 'appraisal'].includes(call.state));
  $('ap-ranking-section').hidden = !ranking;
  $('ap-publish-section').hidden = call.state !== 'decided';
  $('ap-correction-section').hidden = call.state !== 'published';
  $('ap-record-section').hidden = !['appraisal', 'decided', 'published'].includes(call.state);
  $('ap-assignments-section').hidden = !assignments;
  $('ap-decide-item').hidden = call.state !== 'appraisal';
  $('ap-correcting').hidden = call.state !== 'published';
  $('ap-decision-section').hidden = !decision;
  $('ap-results-item').hidden = call.state !== 'published';
  $('ap-results').href = `/results/${id}`;

  renderConflicts();
  if (panel) {
    clear($('ap-panelists')).append(...panel.panelists.map((p) => el('li', { text: t('appraisal.panelistItem', { name: p.display_name, id: p.account_id }) })));
  }
  renderCandidates();
  renderDecision();
  if (progress) {
    setKey($('ap-missing'), 'appraisal.missing', { n: progress.missing });
    clear($('ap-progress')).append(...progress.panelists.map((p) => el('tr', {},
      el('th', { scope: 'row', text: p.display_name }), el('td', { text: String(p.assigned) }),
      el('td', { text: String(p.drafted) }), el('td', { text: String(p.submitted) }))));
    $('ap-note-field').hidden = !(progress.missing > 0);
    const lockedEl = $('ap-locked');
    lockedEl.hidden = !locked;
    if (locked) setKey(lockedEl, progress.lock_note ? 'appraisal.lockedWithNote' : 'appraisal.lockedDone', { note: progress.lock_note || '' });
  }
  if (!$('ap-k').dataset.touched && call.reviews_required) $('ap-k').value = String(call.reviews_required);
  showK();
  renderAwardRows();
  if (ranking) renderRanking();
  renderAssignments();
  renderRecord();
  renderJumpList();
}

/** The jump list: one link per section shown now, in page order. */
function renderJumpList() {
  const shown = [...document.querySelectorAll('section[data-jump]')].filter((sec) => !sec.hidden);
  $('ap-jump').hidden = shown.length < 2;
  clear($('ap-jump-list')).append(...shown.map((sec) => el('li', {},
    el('a', { href: `#${sec.id}`, i18n: sec.getAttribute('data-jump') }))));
}

/** The award chosen and the reason typed for each proposal, by proposal id (kept over a re-render). */
function rankingChoices() {
  const out = new Map();
  for (const sel of document.querySelectorAll('.award-select')) {
    const pid = sel.getAttribute('data-proposal');
    out.set(pid, { award: sel.value, reason: $(`ap-reason-${pid}`).value });
  }
  return out;
}

/** The ward's panelists as checkboxes, named by name and residential group; the panel's members ticked. */
function renderCandidates() {
  const box = $('ap-candidate-list');
  clear(box).append(...candidates.map((c) => {
    const input = el('input', { id: `ap-cand-${c.account_id}`, type: 'checkbox', name: 'panelist_ids', value: c.account_id,
      class: 'candidate-check', checked: picked.has(c.account_id) });
    input.addEventListener('change', () => {
      if (input.checked) picked.add(c.account_id);
      else picked.delete(c.account_id);
    });
    return el('div', { class: 'choice__item' }, input,
      el('label', { for: input.id, i18n: c.group_name ? 'appraisal.candidateItemGroup' : 'appraisal.candidateItem',
        vars: { name: c.display_name, group: c.group_name || '', id: c.account_id } }));
  }));
  $('ap-candidates-empty').hidden = candidates.length > 0;
  $('ap-panel-save').hidden = candidates.length === 0;
}

/** The decision made (published or not): its winners, and every departure from the ranking with its reason. */
function renderDecision() {
  if (!decision) return;
  setKey($('ap-decision-state'), decision.published ? 'appraisal.decisionPublished' : 'appraisal.decisionUnpublished');
  const corr = $('ap-decision-correction');
  corr.hidden = !decision.correction_reason;
  if (decision.correction_reason) setKey(corr, 'workspace.decisionCorrected', { version: decision.version, reason: decision.correction_reason });
  const winners = decision.winners || [];
  clear($('ap-decision-winners')).append(...winners.map((w) => el('li', { class: 'card' },
    el('p', { class: 'badges' }, el('span', { class: 'badge badge--status-submitted', text: w.award })),
    el('h4', { class: 'card__title', text: w.title }),
    el('p', { class: 'card__meta', i18n: 'appraisal.decisionEntry', vars: { code: w.tracking_code, rank: w.rank } }))));
  $('ap-decision-none').hidden = winners.length > 0;
  const deps = decision.departures || [];
  $('ap-decision-departures-block').hidden = deps.length === 0;
  const name = (a) => a || t('appraisal.noAward');
  clear($('ap-decision-departures')).append(...deps.map((d) => el('li', {
    i18n: 'appraisal.departureItem',
    vars: { code: d.tracking_code, title: d.title, from: name(d.default_award), to: name(d.award), reason: d.reason || '' },
  })));
}

/** Every conflict of interest, found by the server or declared by a panelist. */
function renderConflicts() {
  const list = panel && Array.isArray(panel.conflicts) ? panel.conflicts : [];
  $('ap-conflicts-section').hidden = list.length === 0;
  clear($('ap-conflicts')).append(...list.map((c) => el('li', {
    i18n: c.reason ? 'appraisal.conflictItemReason' : 'appraisal.conflictItem',
    vars: { name: c.display_name, code: c.tracking_code || '', kind: t(`appraisal.conflictKinds.${c.kind}`), reason: c.reason || '' },
  })));
}

/** After publication: the award (and departure reason) the published decision gives proposal pid, or null. */
function publishedChoice(pid) {
  if (!decision || !decision.published || call.state !== 'published') return null;
  const w = (decision.winners || []).find((x) => x.proposal_id === pid);
  const d = (decision.departures || []).find((x) => x.proposal_id === pid);
  return { award: w ? w.award : '', reason: d && d.reason ? d.reason : '' };
}

/** The per-criterion scores of one entry, under the call's method. */
function breakdown(e) {
  const crit = Array.isArray(e.criteria) ? e.criteria : [];
  if (crit.length === 0) return null;
  return el('details', { class: 'breakdown' },
    el('summary', { i18n: 'results.breakdown' }),
    el('dl', { class: 'details' }, crit.map((c) => {
      const v = ranking.method === 'raw' ? c.raw : c.normalised;
      return el('div', { class: 'details__row' }, el('dt', { text: c.name }),
        el('dd', { text: v === null || v === undefined ? t('results.noScore') : t('results.criterionScore', { score: fmt1(v) }) }));
    })));
}

/** Scores as people read them: one decimal (the JSON keeps three). */
const fmt1 = (v) => formatNumber(v, 1);

/** How normalisation moves each panelist, and which proposals change rank because of it. */
function renderNormalisation() {
  const nz = ranking.normalisation;
  for (const k of ['ap-norm-title', 'ap-norm-intro', 'ap-norm-panelists', 'ap-norm-moved-intro', 'ap-norm-moved']) $(k).hidden = !nz;
  if (!nz) return;
  setKey($('ap-norm-intro'), nz.applied ? 'appraisal.rankingNormIntro' : 'appraisal.rankingNormIntroRaw',
    { mean: fmt1(nz.call_mean), sd: fmt1(nz.call_sd) });
  const names = new Map(((panel && panel.panelists) || []).map((p) => [p.account_id, p.display_name]));
  clear($('ap-norm-panelists')).append(...(nz.panelists || []).map((p) => {
    const name = names.get(p.panelist_id) || t('appraisal.rankingNormPanelist', { id: p.panelist_id });
    const vars = { name, mean: fmt1(p.mean), sd: fmt1(p.sd), n: p.reviews, diff: fmt1(Math.abs(p.shift ?? 0)) };
    const key = !p.adjusted ? 'appraisal.rankingNormUnadjusted'
      : Math.abs(p.shift) < 0.05 ? 'appraisal.rankingNormEven'
        : p.shift < 0 ? 'appraisal.rankingNormLenient' : 'appraisal.rankingNormHarsh';
    return el('li', { i18n: key, vars });
  }));
  const moved = nz.moved || [];
  setKey($('ap-norm-moved-intro'), moved.length ? 'appraisal.rankingNormMovedIntro' : 'appraisal.rankingNormMovedNone');
  clear($('ap-norm-moved')).append(...moved.map((m) => el('li', {
    i18n: 'appraisal.rankingNormMovedItem', vars: { code: m.tracking_code, title: m.title, normalised: m.rank_normalised, raw: m.rank_raw },
  })));
  $('ap-norm-moved').hidden = moved.length === 0;
}

function renderAgreement() {
  const ag = ranking.agreement || {};
  const val = (x) => (x === null || x === undefined ? t('results.noScore') : formatNumber(x, 2));
  clear($('ap-agreement')).append(
    el('div', { class: 'details__row' }, el('dt', { i18n: 'results.agreementOverall' }), el('dd', { text: val(ag.review_score) })),
    ...(ag.criteria || []).map((c) => el('div', { class: 'details__row' }, el('dt', { text: c.criterion }), el('dd', { text: val(c.alpha) }))));
}

function renderRanking() {
  const kept = rankingChoices();
  renderAgreement();
  renderNormalisation();
  setKey($('ap-method'), ranking.method === 'raw' ? 'appraisal.methodRaw' : 'appraisal.methodNormalised');
  $('ap-tie-warning').hidden = !ranking.tie_warning;
  const names = awards.map((a) => a.name);
  clear($('ap-ranking')).append(...ranking.ranking.map((e) => {
    const sel = el('select', { id: `ap-award-${e.proposal_id}`, class: 'award-select', 'data-proposal': e.proposal_id, 'data-default': e.default_award || '' },
      el('option', { value: '', i18n: 'appraisal.noAward' }),
      names.map((n) => el('option', { value: n, text: n })));
    const before = kept.get(String(e.proposal_id));
    const published = publishedChoice(e.proposal_id);
    const start = published ? published.award : e.default_award || '';
    sel.value = before && (before.award === '' || names.includes(before.award)) ? before.award : start;
    const reason = el('textarea', { id: `ap-reason-${e.proposal_id}`, rows: 2, maxlength: 2000, class: 'award-reason' });
    if (before) reason.value = before.reason;
    else if (published) reason.value = published.reason;
    const reasonField = el('div', { class: 'field', hidden: sel.value === (e.default_award || '') },
      el('label', { for: reason.id, i18n: 'appraisal.reasonLabel', vars: { code: e.tracking_code } }),
      el('p', { id: `${reason.id}-error`, class: 'field-error', hidden: true }), reason);
    sel.addEventListener('change', () => {
      reasonField.hidden = sel.value === (e.default_award || '');
    });
    // A proposal with a single review has a score but no interval.
    const score = e.score === null || e.score === undefined ? t('results.noScore')
      : e.interval ? t('results.scoreInterval', { score: fmt1(e.score), low: fmt1(e.interval.low), high: fmt1(e.interval.high) })
        : fmt1(e.score);
    return el('li', { class: 'card' },
      el('p', { class: 'badges' }, el('span', { class: 'badge badge--status-submitted', i18n: 'appraisal.rankN', vars: { n: e.rank } }),
        e.tied_with_next ? el('span', { class: 'badge badge--tie', i18n: 'results.tied' }) : null),
      el('h3', { class: 'card__title', text: e.title }),
      el('dl', { class: 'details' },
        el('div', { class: 'details__row' }, el('dt', { i18n: 'results.colCode' }), el('dd', { text: e.tracking_code })),
        el('div', { class: 'details__row' }, el('dt', { i18n: 'results.colScore' }), el('dd', { text: score })),
        el('div', { class: 'details__row' }, el('dt', { i18n: 'appraisal.bothMethods' }),
          el('dd', { text: t('appraisal.bothMethodsText', { raw: fmt1(e.raw) || '–', normalised: fmt1(e.normalised) || '–', other: e.rank_other_method ?? '–' }) })),
        el('div', { class: 'details__row' }, el('dt', { i18n: 'appraisal.reviews' }), el('dd', { text: String(e.reviews) }))),
      breakdown(e),
      // Places go by rank: a proposal nobody scored can still fall on one.
      e.default_award && (e.score === null || e.score === undefined)
        ? el('p', { class: 'warning unscored-award', i18n: 'appraisal.unscoredAward', vars: { award: e.default_award } }) : null,
      el('div', { class: 'field' }, el('label', { for: sel.id, i18n: 'appraisal.awardLabel', vars: { code: e.tracking_code } }), sel),
      reasonField);
  }));
}

$('ap-start').addEventListener('click', async () => {
  const yes = await confirmDialog({ title: 'appraisal.startTitle', body: 'appraisal.startBody', confirm: 'appraisal.start', vars: { title: call.title } });
  if (yes) await act(() => api.post(`/campaigns/${id}/transitions`, { to: 'appraisal' }), 'appraisal.startedDone');
});

$('ap-panel-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const box = $('ap-candidates');
  const err = $('ap-candidates-error');
  const showError = (key) => {
    setKey(err, key);
    err.hidden = !key;
    box.setAttribute('aria-describedby', key ? 'ap-candidates-error ap-candidates-hint' : 'ap-candidates-hint');
    if (key) (box.querySelector('input') || box).focus();
  };
  showError(null);
  const ids = [...box.querySelectorAll('input.candidate-check:checked')].map((i) => Number(i.value));
  if (ids.length === 0) {
    showError('appraisal.candidatesRequired');
    return;
  }
  try {
    await request('PUT', `/campaigns/${id}/panel`, { panelist_ids: ids });
  } catch (err2) {
    showError(errorMessage(err2).key || 'errors.unknown');
    return;
  }
  await load();
  setKey(doneEl, 'appraisal.panelSaved');
});

/** "Members per proposal" only matters when each proposal gets some of the members. */
function showK() {
  $('ap-k-field').hidden = !$('ap-mode-k').checked;
}
for (const r of [$('ap-mode-all'), $('ap-mode-k')]) r.addEventListener('change', showK);
$('ap-k').addEventListener('input', () => { $('ap-k').dataset.touched = '1'; });

$('ap-assign').addEventListener('click', async () => {
  const k = $('ap-mode-k').checked;
  const body = k ? { mode: 'k', k: Number($('ap-k').value) || 0, seed: 1 } : { mode: 'all' };
  await act(() => api.post(`/campaigns/${id}/assignments`, body), 'appraisal.assignedDone');
});

$('ap-lock').addEventListener('click', async () => {
  const missing = progress && progress.missing > 0;
  const note = $('ap-note');
  fieldError(note, null);
  if (missing && note.value.trim() === '') {
    fieldError(note, 'appraisal.noteRequired');
    return;
  }
  const yes = await confirmDialog({ title: 'appraisal.lockTitle', body: missing ? 'appraisal.lockBodyMissing' : 'appraisal.lockBody',
    confirm: 'appraisal.lock', vars: { n: progress ? progress.missing : 0 } });
  if (!yes) return;
  const body = missing ? { allow_missing: true, note: note.value.trim() } : {};
  await act(() => api.post(`/campaigns/${id}/panel/lock`, body), 'appraisal.lockedNow');
});

// ---------------------------------------------------------------------------
// Awards: one row per award (name, count), in the order they are given out.
// ---------------------------------------------------------------------------

function awardRowsNow() {
  if (awardDraft === null) awardDraft = awards.map((a) => ({ key: ++awardSeq, name: a.name, count: String(a.count) }));
  if (awardDraft.length === 0) awardDraft.push({ key: ++awardSeq, name: '', count: '1' });
  return awardDraft;
}

function awardsError(input, key, vars) {
  const err = $('ap-awards-error');
  for (const i of document.querySelectorAll('#ap-award-rows input')) {
    i.removeAttribute('aria-invalid');
    i.removeAttribute('aria-describedby');
  }
  setKey(err, key || null, vars);
  err.hidden = !key;
  if (key && input) {
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', 'ap-awards-error');
    input.focus();
  }
}

/** Draws the rows; focus goes to the control named by focus ({ key, what }) when given. */
function renderAwardRows(focus) {
  const rows = awardRowsNow();
  const n = rows.length;
  clear($('ap-award-rows')).append(...rows.map((r, i) => {
    const place = { n: i + 1 };
    const name = el('input', { id: `ap-aw-name-${r.key}`, type: 'text', maxlength: 100, autocomplete: 'off', value: r.name, 'data-key': r.key });
    name.value = r.name;
    name.addEventListener('input', () => { r.name = name.value; });
    const count = el('input', { id: `ap-aw-count-${r.key}`, type: 'text', inputmode: 'numeric', autocomplete: 'off', class: 'input--short', 'data-key': r.key });
    count.value = r.count;
    count.addEventListener('input', () => { r.count = count.value; });
    const button = (what, textKey, disabled, fn) => el('button', {
      type: 'button', class: 'button button--secondary button--small', 'data-key': r.key, 'data-what': what, disabled,
      on: { click: fn },
    }, el('span', { i18n: textKey }), el('span', { class: 'visually-hidden', i18n: 'workspace.awardRowOf', vars: place }));
    return el('li', { class: 'award-row' },
      el('fieldset', { class: 'award-row__set' },
        el('legend', { i18n: 'workspace.awardRowLegend', vars: place }),
        el('div', { class: 'award-row__fields' },
          el('div', { class: 'field' }, el('label', { for: name.id, i18n: 'workspace.awardName' }), name),
          el('div', { class: 'field' }, el('label', { for: count.id, i18n: 'workspace.awardCount' }), count)),
        el('div', { class: 'award-row__actions' },
          button('up', 'workspace.awardUp', i === 0, () => moveAward(i, -1)),
          button('down', 'workspace.awardDown', i === n - 1, () => moveAward(i, 1)),
          button('remove', 'workspace.awardRemove', n === 1, () => removeAward(i)))));
  }));
  if (focus) {
    const sel = focus.what === 'name' ? `#ap-aw-name-${focus.key}` : `button[data-key="${focus.key}"][data-what="${focus.what}"]`;
    let target = document.querySelector(sel);
    if (target && target.disabled) target = document.querySelector(`#ap-aw-name-${focus.key}`);
    if (target) target.focus();
  }
}

function awardLabel(r, i) {
  return r.name.trim() || t('workspace.awardRowLegend', { n: i + 1 });
}

function moveAward(i, step) {
  awardsError(null, null); // its row number may no longer be right
  const rows = awardRowsNow();
  const j = i + step;
  if (j < 0 || j >= rows.length) return;
  [rows[i], rows[j]] = [rows[j], rows[i]];
  renderAwardRows({ key: rows[j].key, what: step < 0 ? 'up' : 'down' });
  setKey($('ap-awards-live'), 'workspace.awardMoved', { name: awardLabel(rows[j], j), n: j + 1 });
}

function removeAward(i) {
  awardsError(null, null);
  const rows = awardRowsNow();
  if (rows.length < 2) return;
  const [gone] = rows.splice(i, 1);
  const next = rows[Math.min(i, rows.length - 1)];
  renderAwardRows({ key: next.key, what: 'name' });
  setKey($('ap-awards-live'), 'workspace.awardRemoved', { name: awardLabel(gone, i) });
}

$('ap-award-add').addEventListener('click', () => {
  awardsError(null, null);
  const rows = awardRowsNow();
  const r = { key: ++awardSeq, name: '', count: '1' };
  rows.push(r);
  renderAwardRows({ key: r.key, what: 'name' });
  setKey($('ap-awards-live'), 'workspace.awardAdded', { n: rows.length });
});

$('ap-awards-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  awardsError(null, null);
  const rows = awardRowsNow();
  const list = [];
  for (const [i, r] of rows.entries()) {
    const name = r.name.trim();
    const count = /^\s*\d{1,4}\s*$/.test(r.count) ? Number(r.count) : NaN;
    if (name === '') {
      awardsError($(`ap-aw-name-${r.key}`), 'workspace.awardNameRequired', { n: i + 1 });
      return;
    }
    if (!(count >= 1 && count <= 1000)) {
      awardsError($(`ap-aw-count-${r.key}`), 'workspace.awardCountInvalid', { n: i + 1 });
      return;
    }
    list.push({ name, count });
  }
  try {
    await request('PUT', `/campaigns/${id}/awards`, { awards: list });
  } catch (err) {
    const msg = errorMessage(err);
    awardsError($(`ap-aw-name-${rows[0].key}`), msg.key || 'errors.unknown', msg.vars);
    return;
  }
  await load();
  setKey(doneEl, 'appraisal.awardsSaved');
});

// ---------------------------------------------------------------------------
// Assignments: who reviews what; a review not yet started moves to another panelist.
// ---------------------------------------------------------------------------

const STATE_BADGE = { not_started: 'badge--status-draft', draft: 'badge--status-draft', submitted: 'badge--status-submitted', revised: 'badge--status-submitted' };

/** The panelists review rv of proposal p may move to: on the panel, no conflict, not assigned it already. */
function moveTargets(p) {
  const busy = new Set([...p.reviewers.map((r) => r.panelist_id), ...p.conflicts.map((c) => c.panelist_id)]);
  return assignments.panelists.filter((q) => !busy.has(q.account_id));
}

function canMove() {
  return ['closed', 'appraisal'].includes(call.state) && !(progress && progress.locked_at);
}

function movePicker(p, rv) {
  const targets = moveTargets(p);
  const cancel = el('button', { type: 'button', class: 'button button--secondary', i18n: 'common.cancel', on: { click: () => {
    const back = moving;
    moving = null;
    renderAssignments();
    const btn = document.querySelector(`button[data-move="${back.view}-${back.pid}-${back.from}"]`);
    if (btn) btn.focus();
  } } });
  if (targets.length === 0) {
    return el('div', { class: 'move-picker' }, el('p', { i18n: 'workspace.moveNobody', vars: { name: rv.display_name } }), el('p', {}, cancel));
  }
  const select = el('select', { id: 'ap-move-to' }, targets.map((q) => el('option', { value: String(q.account_id), text: q.display_name })));
  const go = el('button', { type: 'button', class: 'button', i18n: 'workspace.moveConfirm', on: { click: async () => {
    const to = targets.find((q) => q.account_id === Number(select.value));
    const ok = await act(() => api.post(`/campaigns/${id}/assignments/move`, { proposal_id: p.proposal_id, from_panelist_id: rv.panelist_id, to_panelist_id: to.account_id }),
      'workspace.movedDone', { code: p.tracking_code, from: rv.display_name, to: to.display_name });
    if (ok) doneEl.focus();
  } } });
  return el('div', { class: 'move-picker' },
    el('div', { class: 'field' },
      el('label', { for: select.id, i18n: 'workspace.moveTo', vars: { name: rv.display_name, code: p.tracking_code } }), select),
    el('p', { class: 'move-picker__actions' }, go, ' ', cancel));
}

function reviewerItem(p, rv, view) {
  const open = moving && moving.pid === p.proposal_id && moving.from === rv.panelist_id && moving.view === view;
  const moveBtn = canMove() && rv.state === 'not_started' && !open
    ? el('button', { type: 'button', class: 'button button--secondary button--small', 'data-move': `${view}-${p.proposal_id}-${rv.panelist_id}`,
      on: { click: () => {
        moving = { pid: p.proposal_id, from: rv.panelist_id, view };
        renderAssignments();
        const target = $('ap-move-to') || document.querySelector('.move-picker button');
        if (target) target.focus();
      } } },
    el('span', { i18n: 'workspace.move' }), el('span', { class: 'visually-hidden', i18n: 'workspace.moveWhat', vars: { name: rv.display_name, code: p.tracking_code } }))
    : null;
  return el('li', { class: 'reviewer' },
    el('span', { class: 'reviewer__name', text: rv.display_name }), ' ',
    el('span', { class: `badge ${STATE_BADGE[rv.state] || ''}`, i18n: `workspace.reviewStates.${rv.state}` }), ' ',
    moveBtn, open ? movePicker(p, rv) : null);
}

function conflictsText(p) {
  if (p.conflicts.length === 0) return t('workspace.noConflicts');
  return p.conflicts.map((c) => t('workspace.conflictShort', { name: c.display_name, kind: t(`appraisal.conflictKinds.${c.kind}`) })).join('; ');
}

function renderAssignments() {
  if (!assignments) return;
  const list = assignments.proposals || [];
  const any = list.some((p) => p.reviewers.length > 0);
  $('ap-assignments-empty').hidden = any;
  const cards = $('ap-assign-cards');
  const table = document.querySelector('.assign-table');
  cards.hidden = !any;
  table.hidden = !any;
  clear(cards).append(...list.map((p) => el('li', { class: 'card' },
    el('h3', { class: 'card__title', text: p.title }),
    el('p', { class: 'card__meta', i18n: 'workspace.proposalCode', vars: { code: p.tracking_code } }),
    p.reviewers.length
      ? el('ul', { class: 'reviewers', 'aria-label': t('workspace.reviewersOf', { code: p.tracking_code }) }, p.reviewers.map((rv) => reviewerItem(p, rv, 'card')))
      : el('p', { class: 'empty', i18n: 'workspace.noReviewers' }),
    el('p', { class: 'card__meta', text: `${t('workspace.colConflicts')}: ${conflictsText(p)}` }))));
  clear($('ap-assign-rows')).append(...list.map((p) => el('tr', {},
    el('th', { scope: 'row' }, el('span', { class: 'assign-title', text: p.title }), el('br'),
      el('span', { class: 'card__meta', i18n: 'workspace.proposalCode', vars: { code: p.tracking_code } })),
    el('td', {}, p.reviewers.length
      ? el('ul', { class: 'reviewers' }, p.reviewers.map((rv) => reviewerItem(p, rv, 'table')))
      : el('span', { i18n: 'workspace.noReviewers' })),
    el('td', { text: conflictsText(p) }))));
}

// ---------------------------------------------------------------------------
// The score record, checked on request and said in plain words.
// ---------------------------------------------------------------------------

function renderRecord() {
  const out = $('ap-record-result');
  if (!record) {
    setKey(out, null);
    out.className = '';
    return;
  }
  if (record.ok) {
    setKey(out, record.verified_events ? 'workspace.recordOk' : 'workspace.recordEmpty',
      { n: record.verified_events, head: (record.head || '').slice(0, 16) });
    out.className = 'success-line';
  } else {
    const b = record.first_broken || {};
    setKey(out, 'workspace.recordBroken', { seq: b.seq, review: b.review_id, why: b.why || '' });
    out.className = 'warning';
  }
}

$('ap-record-check').addEventListener('click', async () => {
  clearAlert(alertEl);
  const btn = $('ap-record-check');
  btn.disabled = true;
  setKey($('ap-record-result'), 'workspace.recordChecking');
  try {
    record = await api.get(`/campaigns/${id}/score-record`);
  } catch (err) {
    record = null;
    showAlert(alertEl, err);
  } finally {
    btn.disabled = false;
  }
  renderRecord();
});

/**
 * The award chosen for each ranked proposal, and the reason typed for every departure from the
 * ranking's default: { chosen, reasons, departures }, or null after showing the first missing reason.
 */
function collectChoices() {
  const chosen = [];
  const reasons = {};
  let departures = 0;
  let bad = null;
  for (const sel of document.querySelectorAll('.award-select')) {
    const pid = sel.getAttribute('data-proposal');
    if (sel.value) chosen.push({ proposal_id: Number(pid), award: sel.value });
    const reason = $(`ap-reason-${pid}`);
    fieldError(reason, null);
    if (sel.value !== sel.getAttribute('data-default')) {
      departures += 1;
      if (reason.value.trim() === '') bad = bad || reason;
      else reasons[pid] = reason.value.trim();
    }
  }
  if (bad) {
    fieldError(bad, 'appraisal.reasonRequired');
    return null;
  }
  return { chosen, reasons, departures };
}

$('ap-decide').addEventListener('click', async () => {
  const c = collectChoices();
  if (!c) return;
  const yes = await confirmDialog({ title: 'appraisal.decideTitle', body: c.departures ? 'appraisal.decideBodyChanged' : 'appraisal.decideBody',
    confirm: 'appraisal.decide', vars: { n: c.departures } });
  if (!yes) return;
  const body = c.departures ? { awards: c.chosen, reasons: c.reasons } : {};
  if (await act(() => api.post(`/campaigns/${id}/decision`, body), 'appraisal.decidedDone')) $('ap-password').focus();
});

$('ap-correction-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const why = $('ap-correction-reason');
  const pw = $('ap-correction-password');
  fieldError(why, null);
  fieldError(pw, null);
  const c = collectChoices();
  if (!c) return;
  if (why.value.trim().length < 5) {
    fieldError(why, 'workspace.correctionReasonRequired');
    return;
  }
  if (pw.value === '') {
    fieldError(pw, 'appraisal.passwordRequired');
    return;
  }
  const yes = await confirmDialog({ title: 'workspace.correctTitle', body: 'workspace.correctBody', confirm: 'workspace.correct' });
  if (!yes) return;
  const body = { correction_reason: why.value.trim(), password: pw.value, awards: c.chosen, reasons: c.reasons };
  try {
    await api.post(`/campaigns/${id}/corrections`, body);
  } catch (err) {
    if (err.code === 'invalid_credentials') fieldError(pw, 'appraisal.wrongPassword');
    else if (err.field === 'correction_reason') fieldApiError(why, err);
    else {
      clearAlert(alertEl);
      showAlert(alertEl, err);
    }
    return;
  }
  pw.value = '';
  why.value = '';
  await load();
  setKey(doneEl, 'workspace.correctedDone');
  $('ap-results').focus();
});

$('ap-publish-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = $('ap-password');
  fieldError(input, null);
  if (input.value === '') {
    fieldError(input, 'appraisal.passwordRequired');
    return;
  }
  try {
    await api.post(`/campaigns/${id}/publish`, { password: input.value });
  } catch (err) {
    if (err.code === 'invalid_credentials') fieldError(input, 'appraisal.wrongPassword');
    else fieldApiError(input, err);
    return;
  }
  input.value = '';
  await load();
  setKey(doneEl, 'appraisal.publishedDone');
  $('ap-results').focus();
});

async function main() {
  const account = await startPage();
  if (!account) {
    goToLogin();
    return;
  }
  const status = $('ap-status');
  if (!id || !hasRole(account, 'leader')) {
    setKey(status, null);
    showAlert(alertEl, id ? 'leader.notLeader' : 'errors.not_found');
    return;
  }
  try {
    await load();
  } catch (err) {
    setKey(status, null);
    showAlert(alertEl, err);
    return;
  }
  setKey(status, null);
  $('ap-body').hidden = false;
  onLangChange(() => render());
}

runPage(main);
