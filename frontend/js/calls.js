// Open calls: every call (campaign) that is not a draft, newest first, from
// GET /api/v1/campaigns; each links to its page (call.html?id=).
import { onLangChange, setKey } from './i18n.js';
import { api } from './api.js';
import { el, clear } from './dom.js';
import { formatDateTime } from './format.js';
import { acceptingBadge, runPage, showAlert, startPage, stateBadge } from './ui.js';

const list = document.getElementById('calls-list');
const statusEl = document.getElementById('calls-status');
const empty = document.getElementById('calls-empty');
let calls = [];

function render() {
  clear(list);
  const now = Date.now();
  for (const c of calls) {
    const notYet = c.state === 'open' && new Date(c.opens_at).getTime() > now;
    list.append(el('li', { class: 'card card--link' },
      el('h2', { class: 'card__title' }, el('a', { href: `call.html?id=${c.id}`, text: c.title })),
      el('p', { class: 'badges' }, stateBadge(c.state), c.accepting ? acceptingBadge() : null),
      el('p', { class: 'card__meta', text: c.ward_name }),
      notYet ? el('p', { class: 'card__meta', i18n: 'calls.opensAt', vars: { date: formatDateTime(c.opens_at) } }) : null,
      el('p', { class: 'card__deadline', i18n: 'calls.deadline', vars: { date: formatDateTime(c.closes_at) } })));
  }
  empty.hidden = calls.length > 0;
}

async function main() {
  await startPage({ optional: true });
  try {
    const data = await api.get('/campaigns');
    calls = data && Array.isArray(data.campaigns) ? data.campaigns : [];
  } catch (err) {
    setKey(statusEl, null);
    showAlert(document.getElementById('calls-alert'), err);
    return;
  }
  setKey(statusEl, null);
  render();
  onLangChange(render);
}

runPage(main);
