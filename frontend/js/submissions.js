// What a call received, for the ward's leaders: filters (residential group,
// status), a search that ignores Vietnamese accents (done by the server),
// "load more" pages keyed by the last id (next), and a CSV export with the
// same filters. A proposal opens on proposal.html.
import { onLangChange, setKey } from './i18n.js';
import { api, apiUrl } from './api.js';
import { clear, el, idParam } from './dom.js';
import { FormErrors, errorMessage, fieldMessage } from './form.js';
import { formatDateTime } from './format.js';
import { goToLogin } from './session.js';
import { runPage, showAlert, startPage, statusBadge, wardGroups } from './ui.js';

const PAGE = 10;
const $ = (id) => document.getElementById(id);
const alertEl = $('sub-alert');
const form = $('sub-filters');
const q = $('sub-q');
const groupSelect = $('sub-group');
const stateSelect = $('sub-state');
const list = $('sub-list');
const more = $('sub-more');
const shown = $('sub-shown');
const errors = new FormErrors(form, alertEl);

let campaign = null;
let proposals = [];
let next = null;

function filters() {
  const params = new URLSearchParams();
  if (groupSelect.value) params.set('group_id', groupSelect.value);
  if (stateSelect.value) params.set('status', stateSelect.value);
  const text = q.value.trim();
  if (text) params.set('q', text);
  return params;
}

function card(p) {
  return el('li', { class: 'card card--link', id: `proposal-${p.id}` },
    el('h2', { class: 'card__title' }, el('a', { href: `proposal.html?id=${p.id}`, text: p.title })),
    el('p', { class: 'badges' }, statusBadge(p.status)),
    el('p', { class: 'card__code', text: p.tracking_code || '' }),
    el('p', { class: 'card__meta', text: [p.group_name, p.author ? p.author.display_name : ''].filter(Boolean).join(' · ') }),
    p.helped_by ? el('p', { class: 'card__meta', i18n: 'proposal.helpedByText', vars: { name: p.helped_by.display_name } }) : null,
    p.submitted_at ? el('p', { class: 'card__meta' }, el('span', { i18n: 'proposal.submittedAt' }), ': ', formatDateTime(p.submitted_at)) : null);
}

function render() {
  clear(list);
  for (const p of proposals) list.append(card(p));
  $('sub-empty').hidden = proposals.length > 0;
  setKey(shown, proposals.length > 0 ? 'submissions.shown' : null, { n: proposals.length });
  more.hidden = next === null;
}

async function load(reset) {
  errors.clear();
  const params = filters();
  params.set('limit', String(PAGE));
  if (!reset && next !== null) params.set('after', String(next));
  more.disabled = true;
  let data;
  try {
    data = await api.get(`/campaigns/${campaign.id}/proposals?${params}`);
  } catch (err) {
    more.disabled = false;
    if (err.field === 'q') {
      errors.field(q, fieldMessage(err));
      errors.focusFirst();
    }
    errors.alert(errorMessage(err));
    return false;
  }
  more.disabled = false;
  const firstNew = reset ? 0 : proposals.length;
  proposals = reset ? data.proposals : proposals.concat(data.proposals);
  next = data.next ?? null;
  render();
  if (!reset && proposals[firstNew]) {
    // Keep the keyboard where the new rows start.
    const link = $(`proposal-${proposals[firstNew].id}`).querySelector('a');
    link.focus();
  }
  const csv = filters();
  $('sub-csv').href = apiUrl(`/campaigns/${campaign.id}/proposals.csv${csv.toString() ? `?${csv}` : ''}`);
  return true;
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const url = new URL(window.location.href);
  url.search = '';
  url.searchParams.set('campaign', String(campaign.id));
  for (const [k, v] of filters()) url.searchParams.set(k, v);
  window.history.replaceState(null, '', url);
  load(true);
});
more.addEventListener('click', () => load(false));

async function main() {
  const account = await startPage();
  const status = $('sub-status');
  if (!account) {
    goToLogin();
    return;
  }
  const id = idParam('campaign');
  let groups;
  try {
    if (!id) throw Object.assign(new Error('no id'), { code: 'not_found' });
    campaign = (await api.get(`/campaigns/${id}`)).campaign;
    groups = await wardGroups(campaign.ward_id);
  } catch (err) {
    setKey(status, null);
    showAlert(alertEl, err);
    return;
  }
  const title = $('sub-call');
  title.textContent = campaign.title;
  title.hidden = false;
  $('sub-campaign').value = String(campaign.id);
  for (const g of groups) groupSelect.add(el('option', { value: String(g.id), text: g.name }));
  const params = new URLSearchParams(window.location.search);
  q.value = params.get('q') || '';
  if (params.get('group_id')) groupSelect.value = params.get('group_id');
  if (params.get('status')) stateSelect.value = params.get('status');
  const ok = await load(true);
  setKey(status, null);
  if (!ok) return;
  $('sub-body').hidden = false;
  onLangChange(render);
}

runPage(main);
