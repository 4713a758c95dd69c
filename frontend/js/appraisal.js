// The leader's appraisal of one call (?campaign=): move a closed call to
// appraisal, name the panel (ticking the ward's panelists by name), assign (all, or k per
// proposal), follow the progress, lock the panel (with a note when reviews are
// missing), set the awards, read the ranking (both methods, ties), decide
// (a written reason for every departure from the default awards), read the
// decision back (awards, departures and their reasons) and publish with the
// password typed again.
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
  [panel, progress, cand, decision, aw] = await Promise.all([
    inAppraisal || call.state === 'decided' ? api.get(`/campaigns/${id}/panel`) : none,
    inAppraisal || call.state === 'decided' ? api.get(`/campaigns/${id}/progress`) : none,
    inAppraisal ? api.get(`/campaigns/${id}/panel/candidates`) : none,
    ['decided', 'published'].includes(call.state) ? api.get(`/campaigns/${id}/decision`) : none,
    call.state !== 'draft' ? api.get(`/campaigns/${id}/awards`) : none,
  ]);
  candidates = cand ? cand.candidates || [] : [];
  picked = new Set(candidates.filter((c) => c.on_panel).map((c) => c.account_id));
  awards = aw ? aw.awards || [] : [];
  ranking = null;
  if (call.state === 'appraisal' && progress && progress.locked_at) {
    ranking = await api.get(`/campaigns/${id}/ranking`);
  }
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
  if (!$('ap-awards').value) $('ap-awards').value = awards.map((a) => `${a.name} = ${a.count}`).join('\n');
  if (ranking) renderRanking();
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

/** The per-criterion scores of one entry, under the call's method. */
function breakdown(e) {
  const crit = Array.isArray(e.criteria) ? e.criteria : [];
  if (crit.length === 0) return null;
  return el('details', { class: 'breakdown' },
    el('summary', { i18n: 'results.breakdown' }),
    el('dl', { class: 'details' }, crit.map((c) => {
      const v = ranking.method === 'raw' ? c.raw : c.normalised;
      return el('div', { class: 'details__row' }, el('dt', { text: c.name }),
        el('dd', { text: v === null || v === undefined ? t('results.noScore') : t('results.criterionScore', { score: formatNumber(v) }) }));
    })));
}

function renderAgreement() {
  const ag = ranking.agreement || {};
  const val = (x) => (x === null || x === undefined ? t('results.noScore') : formatNumber(x));
  clear($('ap-agreement')).append(
    el('div', { class: 'details__row' }, el('dt', { i18n: 'results.agreementOverall' }), el('dd', { text: val(ag.review_score) })),
    ...(ag.criteria || []).map((c) => el('div', { class: 'details__row' }, el('dt', { text: c.criterion }), el('dd', { text: val(c.alpha) }))));
}

function renderRanking() {
  const kept = rankingChoices();
  renderAgreement();
  setKey($('ap-method'), ranking.method === 'raw' ? 'appraisal.methodRaw' : 'appraisal.methodNormalised');
  $('ap-tie-warning').hidden = !ranking.tie_warning;
  const names = awards.map((a) => a.name);
  clear($('ap-ranking')).append(...ranking.ranking.map((e) => {
    const sel = el('select', { id: `ap-award-${e.proposal_id}`, class: 'award-select', 'data-proposal': e.proposal_id, 'data-default': e.default_award || '' },
      el('option', { value: '', i18n: 'appraisal.noAward' }),
      names.map((n) => el('option', { value: n, text: n })));
    const before = kept.get(String(e.proposal_id));
    sel.value = before && (before.award === '' || names.includes(before.award)) ? before.award : e.default_award || '';
    const reason = el('textarea', { id: `ap-reason-${e.proposal_id}`, rows: 2, maxlength: 2000, class: 'award-reason' });
    if (before) reason.value = before.reason;
    const reasonField = el('div', { class: 'field', hidden: sel.value === (e.default_award || '') },
      el('label', { for: reason.id, i18n: 'appraisal.reasonLabel', vars: { code: e.tracking_code } }),
      el('p', { id: `${reason.id}-error`, class: 'field-error', hidden: true }), reason);
    sel.addEventListener('change', () => {
      reasonField.hidden = sel.value === (e.default_award || '');
    });
    // A proposal with a single review has a score but no interval.
    const score = e.score === null || e.score === undefined ? t('results.noScore')
      : e.interval ? t('results.scoreInterval', { score: formatNumber(e.score), low: formatNumber(e.interval.low), high: formatNumber(e.interval.high) })
        : formatNumber(e.score);
    return el('li', { class: 'card' },
      el('p', { class: 'badges' }, el('span', { class: 'badge badge--status-submitted', i18n: 'appraisal.rankN', vars: { n: e.rank } }),
        e.tied_with_next ? el('span', { class: 'badge badge--tie', i18n: 'results.tied' }) : null),
      el('h3', { class: 'card__title', text: e.title }),
      el('dl', { class: 'details' },
        el('div', { class: 'details__row' }, el('dt', { i18n: 'results.colCode' }), el('dd', { text: e.tracking_code })),
        el('div', { class: 'details__row' }, el('dt', { i18n: 'results.colScore' }), el('dd', { text: score })),
        el('div', { class: 'details__row' }, el('dt', { i18n: 'appraisal.bothMethods' }),
          el('dd', { text: t('appraisal.bothMethodsText', { raw: formatNumber(e.raw) || '–', normalised: formatNumber(e.normalised) || '–', other: e.rank_other_method ?? '–' }) })),
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

$('ap-awards-save').addEventListener('click', async () => {
  const input = $('ap-awards');
  fieldError(input, null);
  const list = [];
  for (const line of input.value.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const m = /^(.+?)\s*[=x×:]\s*(\d{1,3})$/.exec(line);
    if (!m) {
      fieldError(input, 'appraisal.awardsInvalid');
      return;
    }
    list.push({ name: m[1].trim(), count: Number(m[2]) });
  }
  try {
    await request('PUT', `/campaigns/${id}/awards`, { awards: list });
  } catch (err) {
    fieldApiError(input, err);
    return;
  }
  input.value = '';
  await load();
  setKey(doneEl, 'appraisal.awardsSaved');
});

$('ap-decide').addEventListener('click', async () => {
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
    return;
  }
  const yes = await confirmDialog({ title: 'appraisal.decideTitle', body: departures ? 'appraisal.decideBodyChanged' : 'appraisal.decideBody',
    confirm: 'appraisal.decide', vars: { n: departures } });
  if (!yes) return;
  const body = departures ? { awards: chosen, reasons } : {};
  if (await act(() => api.post(`/campaigns/${id}/decision`, body), 'appraisal.decidedDone')) $('ap-password').focus();
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
