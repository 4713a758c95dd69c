// A panelist's work list: the calls being appraised whose panel the account is
// on, with how much of its work is done (without ?campaign=), or the proposals assigned in one
// call (GET /api/v1/campaigns/{id}/worklist) with the state of my review.
import { onLangChange, setKey, t } from './i18n.js';
import { formatDateTime } from './format.js';
import { api } from './api.js';
import { clear, el, idParam } from './dom.js';
import { goToLogin, wardsWithRole } from './session.js';
import { named, runPage, showAlert, startPage, stateBadge } from './ui.js';

const $ = (id) => document.getElementById(id);
const alertEl = $('panel-alert');
const list = $('panel-list');
let render = () => {};

function reviewBadge(review) {
  const key = !review ? 'panel.notStarted' : review.status === 'submitted' ? 'panel.submitted' : 'panel.drafted';
  const kind = !review ? 'other' : review.status === 'submitted' ? 'submitted' : 'draft';
  return el('span', { class: `badge badge--status-${kind}`, i18n: key });
}

/** The words of "Hạn chấm điểm: … (còn 2 ngày)" for a call, or null when it has no scoring deadline. */
function scoringVars(c) {
  if (!c.scoring_deadline) return null;
  const ms = new Date(c.scoring_deadline).getTime() - Date.now();
  const hours = Math.floor(ms / 3600000);
  const left = ms <= 0 ? t('panel.leftPassed')
    : hours >= 48 ? t('panel.leftDays', { n: Math.floor(hours / 24) }) : t('panel.leftHours', { n: Math.max(hours, 1) });
  return { date: formatDateTime(c.scoring_deadline), left };
}

function scoringLine(c) {
  const vars = scoringVars(c);
  return vars ? el('p', { class: 'card__deadline', i18n: 'panel.scoringDeadline', vars }) : null;
}

async function showCalls(account) {
  const calls = [];
  for (const w of [...new Set(wardsWithRole(account, 'panelist'))]) {
    const data = await api.get(`/campaigns?ward_id=${w}`);
    for (const c of data.campaigns || []) if (c.ward_id === w && ['closed', 'appraisal'].includes(c.state)) calls.push(c);
  }
  // Only the calls whose panel I am on (the others answer 404), with my share of the work.
  const mine = [];
  for (const c of calls) {
    const work = await api.get(`/campaigns/${c.id}/worklist`).catch((err) => {
      if (err.status === 404 || err.status === 403) return null;
      throw err;
    });
    if (!work) continue;
    const items = work.proposals || [];
    mine.push({ ...c, assigned: items.length, done: items.filter((p) => p.review && p.review.status === 'submitted').length });
  }
  setKey($('panel-heading'), 'panel.heading');
  render = () => {
    clear(list).append(...mine.map((c) => el('li', { class: 'card card--link', id: `call-${c.id}` },
      el('h2', { class: 'card__title' }, el('a', { href: `panel.html?campaign=${c.id}`, text: c.title })),
      el('p', { class: 'badges' }, stateBadge(c.state)),
      scoringLine(c),
      el('p', { class: 'card__meta', i18n: 'panel.progress', vars: { done: c.done, n: c.assigned } }))));
    $('panel-empty').hidden = mine.length > 0;
  };
}

async function showWorklist(id) {
  const [{ campaign }, data] = await Promise.all([api.get(`/campaigns/${id}`), api.get(`/campaigns/${id}/worklist`)]);
  const items = data.proposals || [];
  setKey($('panel-heading'), 'panel.headingFor', { title: campaign.title });
  $('panel-intro').hidden = false;
  render = () => {
    clear(list).append(...items.map((p) => el('li', { class: 'card card--link', id: `work-${p.id}` },
      el('h2', { class: 'card__title' }, el('a', { href: `review.html?proposal=${p.id}`, text: p.title })),
      el('p', { class: 'badges' }, reviewBadge(p.review)),
      el('p', { class: 'card__code' }, el('span', { class: 'card__code-label', i18n: 'proposal.code' }), ': ',
        el('span', { class: 'card__code-value', text: p.tracking_code })),
      p.group_name ? el('p', { class: 'card__meta', text: p.group_name }) : null,
      el('ul', { class: 'card__actions' }, el('li', {}, el('a', { class: 'button button--secondary', href: `review.html?proposal=${p.id}` },
        named(p.review && p.review.status === 'submitted' ? 'panel.open' : 'panel.score', p.title)))))));
    const done = items.filter((p) => p.review && p.review.status === 'submitted').length;
    setKey($('panel-progress'), 'panel.progress', { done, n: items.length });
    const vars = scoringVars(campaign);
    if (vars) setKey($('panel-scoring'), 'panel.scoringDeadline', vars);
    $('panel-scoring').hidden = !vars;
    $('panel-progress').hidden = items.length === 0;
    setKey($('panel-empty'), 'panel.emptyWork');
    $('panel-empty').hidden = items.length > 0;
  };
}

async function main() {
  const account = await startPage();
  if (!account) {
    goToLogin();
    return;
  }
  const id = idParam('campaign');
  try {
    if (id) await showWorklist(id);
    else await showCalls(account);
  } catch (err) {
    setKey($('panel-status'), null);
    showAlert(alertEl, err);
    return;
  }
  render();
  setKey($('panel-status'), null);
  $('panel-body').hidden = false;
  onLangChange(() => render());
}

runPage(main);
