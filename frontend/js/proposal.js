// One proposal, in full, for those who may see it (its author, the volunteer
// who helped, the ward's leaders): GET /api/v1/proposals/{id}.
import { onLangChange, setKey } from './i18n.js';
import { api, apiUrl } from './api.js';
import { clear, el, idParam } from './dom.js';
import { formatDateTime, formatInt, formatSize, formatVnd } from './format.js';
import { goToLogin, hasRole } from './session.js';
import { runPage, showAlert, startPage, statusBadge } from './ui.js';

const $ = (id) => document.getElementById(id);
let p = null;
let campaign = null;
let account = null;

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

  const files = clear($('proposal-files'));
  for (const a of p.attachments || []) {
    const url = apiUrl(`/attachments/${a.id}`);
    files.append(el('li', { class: 'files__item' },
      /^image\//.test(a.mime)
        ? el('img', { class: 'files__thumb', src: url, alt: '', width: 64, height: 64 })
        : el('span', { class: 'files__thumb files__thumb--pdf', 'aria-hidden': 'true', text: 'PDF' }),
      el('span', { class: 'files__name' },
        el('a', { class: 'files__link', href: url, download: a.filename },
          el('span', { class: 'visually-hidden', i18n: 'proposal.download' }), ' ', a.filename),
        el('span', { class: 'files__size', text: formatSize(a.size) }))));
  }
  $('proposal-no-files').hidden = (p.attachments || []).length > 0;

  const actions = clear($('proposal-actions'));
  if ((mine || helped) && p.status !== 'withdrawn' && campaign && campaign.accepting) {
    actions.append(el('li', {}, el('a', {
      class: 'button', href: `propose.html?id=${p.id}`, i18n: p.status === 'draft' ? 'my.continue' : 'my.edit',
    })));
  }
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
