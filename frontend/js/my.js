// "My proposals": GET /api/v1/me/proposals, each with its status and tracking
// code; edit while its call accepts; withdraw (or, for an unsent draft, delete:
// "Xoá bản nháp", and it leaves the list) after a confirmation; once the
// call's results are published, a link to the proposal's result.
import { onLangChange, setKey } from './i18n.js';
import { api } from './api.js';
import { el, clear } from './dom.js';
import { confirmDialog } from './dialog.js';
import { goToLogin } from './session.js';
import { clearAlert, named, proposalCard, runPage, showAlert, startPage } from './ui.js';

const $ = (id) => document.getElementById(id);
const list = $('my-list');
const alertEl = $('my-alert');
const statusEl = $('my-status');
let proposals = [];
const accepting = new Map();
const published = new Set(); // calls whose results are out

/** A draft never sent that its author deleted (withdrawn before any submission): not listed. */
function deletedDraft(p) {
  return p.status === 'withdrawn' && !p.submitted_at;
}

/** Withdraws a sent proposal, or deletes an unsent draft (the same API call, different words). */
async function withdraw(p, button) {
  const draft = p.status === 'draft';
  const yes = await confirmDialog(draft
    ? { title: 'my.discardTitle', body: 'my.discardBody', confirm: 'my.discardConfirm', vars: { title: p.title }, danger: true }
    : { title: 'my.withdrawTitle', body: 'my.withdrawBody', confirm: 'my.withdrawConfirm', vars: { title: p.title }, danger: true });
  if (!yes) return;
  clearAlert(alertEl);
  button.disabled = true;
  try {
    const res = await api.action(`/proposals/${p.id}/withdraw`);
    proposals = proposals.map((x) => (x.id === p.id ? { ...x, ...res.proposal } : x));
  } catch (err) {
    button.disabled = false;
    showAlert(alertEl, err);
    return;
  }
  render();
  setKey(statusEl, draft ? 'my.discarded' : 'my.withdrawn', { title: p.title });
  const card = $(`proposal-${p.id}`);
  if (card) card.querySelector('a').focus();
  else $('main').focus();
}

function render() {
  clear(list);
  const shown = proposals.filter((p) => !deletedDraft(p));
  for (const p of shown) {
    const open = accepting.get(p.campaign_id) === true;
    const actions = [];
    const extra = [];
    if (p.helped_by) extra.push(el('p', { class: 'card__meta', i18n: 'proposal.helpedByText', vars: { name: p.helped_by.display_name } }));
    if (p.status !== 'withdrawn' && open) {
      actions.push(el('a', { class: 'button button--secondary', href: `propose.html?id=${p.id}` },
        named(p.status === 'draft' ? 'my.continue' : 'my.edit', p.title)));
      const b = el('button', { type: 'button', class: 'button button--secondary' },
        named(p.status === 'draft' ? 'my.discard' : 'my.withdraw', p.title));
      b.addEventListener('click', () => withdraw(p, b));
      actions.push(b);
    } else if (p.status === 'submitted' && published.has(p.campaign_id)) {
      // The result (award, rank, the panel's comments) is on the proposal's page.
      actions.push(el('a', { class: 'button', href: `proposal.html?id=${p.id}` }, named('my.result', p.title)));
    } else if (p.status !== 'withdrawn') {
      extra.push(el('p', { class: 'card__meta', i18n: 'my.closedNote' }));
    }
    list.append(proposalCard(p, { actions, extra }));
  }
  $('my-empty').hidden = shown.length > 0;
}

async function main() {
  const account = await startPage();
  if (!account) {
    goToLogin();
    return;
  }
  try {
    const [mine, calls] = await Promise.all([api.get('/me/proposals'), api.get('/campaigns')]);
    proposals = mine.proposals || [];
    for (const c of calls.campaigns || []) {
      accepting.set(c.id, c.accepting);
      if (c.state === 'published') published.add(c.id);
    }
  } catch (err) {
    setKey(statusEl, null);
    showAlert(alertEl, err);
    return;
  }
  setKey(statusEl, null);
  render();
  onLangChange(render);
}

runPage(main);
