// One proposal, in full, for those who may see it (its author, the volunteer
// who helped, the ward's leaders): GET /api/v1/proposals/{id}. Once the call's
// results are published, its author and helper also see how it did
// (GET /api/v1/proposals/{id}/result): award, rank, score, the per-criterion
// breakdown and the panel's overall comments, without names.
import { onLangChange, setKey, t } from './i18n.js';
import { api } from './api.js';
import { clear, el, idParam } from './dom.js';
import { confirmDialog } from './dialog.js';
import { formatDateTime, formatInt, formatNumber, formatVnd } from './format.js';
import { goToLogin, hasRole } from './session.js';
import { attachmentItem, clearAlert, runPage, showAlert, startPage, statusBadge } from './ui.js';

const $ = (id) => document.getElementById(id);
let p = null;
let campaign = null;
let account = null;
let result = null; // GET /proposals/{id}/result, once published

function row(key, value) {
  const dd = el('dd');
  if (value instanceof Node) dd.append(value);
  else dd.textContent = value;
  return el('div', { class: 'details__row' }, el('dt', { i18n: key }), dd);
}

function render() {
  if (!p) return;
  setKey($('proposal-heading'), null, undefined, p.title);
  setKey(document.querySelector('title'), 'proposal.titleWith', { title: p.title });
  const mine = p.author && p.author.id === account.id;
  const helped = p.helped_by && p.helped_by.id === account.id;
  const back = $('proposal-back');
  if (mine) back.href = 'my.html';
  else if (helped) back.href = 'assist.html';
  else back.href = `submissions.html?campaign=${p.campaign_id}`;

  const meta = clear($('proposal-meta'));
  meta.append(
    row('proposal.code', p.tracking_code ? el('span', { class: 'tracking-code tracking-code--small', text: p.tracking_code }) : el('span', { i18n: 'my.noCode' })),
    row('proposal.status', statusBadge(p.status)),
    row('proposal.call', el('a', { href: `call.html?id=${p.campaign_id}`, text: p.campaign_title || '' })),
    row('proposal.author', p.author ? p.author.display_name : ''),
  );
  if (p.helped_by) meta.append(row('proposal.helpedBy', p.helped_by.display_name));
  meta.append(row('proposal.group', p.group_name || ''));
  if (p.submitted_at) meta.append(row('proposal.submittedAt', formatDateTime(p.submitted_at)));
  meta.append(row('proposal.updatedAt', formatDateTime(p.updated_at)));
  // The consents to publish (sql/026), with when they were given.
  const consent = (on, at) => (on ? t('proposal.consentGiven', { date: formatDateTime(at) }) : t('proposal.consentNot'));
  if (p.publish_photos !== undefined) {
    meta.append(row('proposal.publishPhotos', consent(p.publish_photos, p.publish_photos_at)),
      row('proposal.publishContact', consent(p.publish_contact, p.publish_contact_at)));
  }

  const revisions = $('proposal-revisions');
  revisions.hidden = !(p.revision_count > 0);
  if (p.revision_count > 0) setKey(revisions, 'proposal.revisions', { n: p.revision_count });

  const content = clear($('proposal-content'));
  const part = (key, text, pre = true) => {
    if (text === null || text === undefined || text === '') return;
    const id = `proposal-part-${key.replace(/\W/g, '-')}`;
    content.append(el('section', { 'aria-labelledby': id },
      el('h2', { id, i18n: key }),
      el('p', { class: pre ? 'pre' : '', text })));
  };
  part('proposal.summary', p.summary);
  part('proposal.problem', p.problem);
  part('proposal.model', p.model);
  part('proposal.beneficiaries', p.beneficiaries);
  part('proposal.households', p.households === null ? '' : formatInt(p.households), false);
  part('proposal.resources', p.resources);
  part('proposal.cost', p.cost_vnd === null ? '' : formatVnd(p.cost_vnd), false);
  part('proposal.tags', (p.tags || []).join(', '), false);

  clear($('proposal-files')).append(...(p.attachments || []).map(attachmentItem));
  $('proposal-no-files').hidden = (p.attachments || []).length > 0;

  renderResult();

  const actions = clear($('proposal-actions'));
  if ((mine || helped) && p.status !== 'withdrawn' && campaign && campaign.accepting) {
    actions.append(el('li', {}, el('a', {
      class: 'button', href: `propose.html?id=${p.id}`, i18n: p.status === 'draft' ? 'my.continue' : 'my.edit',
    })));
    // Also for the volunteer who helped: the resident may have no password to do it themselves.
    actions.append(el('li', {}, el('button', {
      type: 'button', class: 'button button--secondary', i18n: p.status === 'draft' ? 'my.discard' : 'my.withdraw',
      on: { click: (ev) => withdraw(ev.currentTarget) },
    })));
  } else if ((mine || helped) && (p.publish_photos || p.publish_contact)) {
    // After the deadline a consent can still be taken back (not given): the photos stop at once.
    actions.append(el('li', {}, el('button', {
      type: 'button', id: 'proposal-unpublish', class: 'button button--secondary', i18n: 'proposal.unpublish',
      on: { click: (ev) => unpublish(ev.currentTarget) },
    })));
  }
}

/** Withdraws both publication consents (allowed at any time). */
async function unpublish(button) {
  const yes = await confirmDialog({ title: 'proposal.unpublishTitle', body: 'proposal.unpublishBody', confirm: 'proposal.unpublishConfirm' });
  if (!yes) return;
  const alertEl = $('proposal-alert');
  clearAlert(alertEl);
  button.disabled = true;
  try {
    const res = await api.put(`/proposals/${p.id}/publicity`, { photos: false, contact: false });
    p = { ...p, ...res.proposal };
  } catch (err) {
    button.disabled = false;
    showAlert(alertEl, err);
    return;
  }
  render();
  setKey($('proposal-status'), 'proposal.unpublished');
  $('proposal-heading').focus();
}

/** Withdraws a sent proposal, or deletes an unsent draft (the same API call, different words). */
async function withdraw(button) {
  const draft = p.status === 'draft';
  const yes = await confirmDialog(draft
    ? { title: 'my.discardTitle', body: 'my.discardBody', confirm: 'my.discardConfirm', vars: { title: p.title }, danger: true }
    : { title: 'my.withdrawTitle', body: 'my.withdrawBody', confirm: 'my.withdrawConfirm', vars: { title: p.title }, danger: true });
  if (!yes) return;
  const alertEl = $('proposal-alert');
  clearAlert(alertEl);
  button.disabled = true;
  try {
    const res = await api.action(`/proposals/${p.id}/withdraw`);
    p = { ...p, ...res.proposal };
  } catch (err) {
    button.disabled = false;
    showAlert(alertEl, err);
    return;
  }
  render();
  setKey($('proposal-status'), draft ? 'my.discarded' : 'my.withdrawn', { title: p.title });
  $('proposal-heading').focus();
}

function renderResult() {
  const section = $('proposal-result-section');
  section.hidden = !result;
  if (!result) return;
  const r = result.result || {};
  const score = r.score === null || r.score === undefined ? t('results.noScore')
    : r.interval ? t('results.scoreInterval', { score: formatNumber(r.score, 1), low: formatNumber(r.interval.low, 1), high: formatNumber(r.interval.high, 1) })
      : formatNumber(r.score, 1);
  const dl = clear($('proposal-result'));
  dl.append(
    row('results.colAward', r.award ? el('span', { class: 'badge badge--award', text: r.award }) : el('span', { i18n: 'proposal.noAward' })),
    row('results.colRank', String(r.rank ?? '')),
    row('results.colScore', score));
  for (const c of r.criteria || []) {
    const v = campaign && campaign.ranking_method === 'raw' ? c.raw : c.normalised;
    dl.append(el('div', { class: 'details__row' }, el('dt', { text: c.name }),
      el('dd', { text: v === null || v === undefined ? t('results.noScore') : t('results.criterionScore', { score: formatNumber(v, 1) }) })));
  }
  if (r.reason) dl.append(row('results.reason', r.reason));
  const comments = (result.panel_comments || []).filter((c) => c && c.trim());
  clear($('proposal-comments')).append(...comments.map((c) => el('li', { class: 'pre', text: c })));
  $('proposal-no-comments').hidden = comments.length > 0;
  $('proposal-results-link').href = `/results/${p.campaign_id}`;
}

async function main() {
  account = await startPage();
  if (!account) {
    goToLogin();
    return;
  }
  const id = idParam('id');
  try {
    if (!id) throw Object.assign(new Error('no id'), { code: 'not_found' });
    p = (await api.get(`/proposals/${id}`)).proposal;
    campaign = (await api.get(`/campaigns/${p.campaign_id}`).catch(() => ({ campaign: null }))).campaign;
    const mine = (p.author && p.author.id === account.id) || (p.helped_by && p.helped_by.id === account.id);
    // 404: no published result for it (withdrawn, or not published yet).
    if (mine && campaign && campaign.state === 'published') result = await api.get(`/proposals/${id}/result`).catch(() => null);
  } catch (err) {
    setKey($('proposal-status'), null);
    showAlert($('proposal-alert'), err);
    return;
  }
  setKey($('proposal-status'), null);
  render();
  $('proposal-body').hidden = false;
  onLangChange(render);
  // Leaders reach this page from the submissions list.
  if (!hasRole(account, 'leader', p.ward_id) && $('proposal-back').href.includes('submissions')) $('proposal-back').href = 'my.html';
}

runPage(main);
