// One call (campaign): its texts, dates, criteria with weights, the
// configuration seal once it has opened, and what the person can do now
// (send a proposal while it accepts; help a resident; see what came in). Once it
// opened: its deadline extensions with their reasons and the dates of text revisions.
import { onLangChange, setKey, t } from './i18n.js';
import { api, apiUrl } from './api.js';
import { el, clear, idParam } from './dom.js';
import { formatDateTime, formatNumber } from './format.js';
import { hasRole } from './session.js';
import { acceptingBadge, runPage, showAlert, startPage, stateBadge } from './ui.js';

const $ = (id) => document.getElementById(id);
let call = null;
let account = null;

/** "Gia hạn đến … (lý do: …)" for each extension and "Đã sửa ngày …" for each text revision, newest first. */
function renderHistory(c) {
  const extensions = Array.isArray(c.extensions) ? c.extensions : [];
  const revisions = Array.isArray(c.revisions) ? c.revisions : [];
  const original = $('call-closes-original');
  if (extensions.length > 0 && c.original_closes_at) {
    setKey(original, 'call.originalDeadline', { date: formatDateTime(c.original_closes_at) });
    original.hidden = false;
  } else {
    setKey(original, null);
    original.hidden = true;
  }
  const ext = clear($('call-extensions'));
  for (const e of [...extensions].reverse()) {
    ext.append(el('li', { class: 'history__item history__item--extension' },
      el('span', { i18n: 'call.extendedTo', vars: { date: formatDateTime(e.new_closes_at), reason: e.reason } }),
      el('span', { class: 'history__when', i18n: 'call.extendedOn', vars: { date: formatDateTime(e.extended_at) } })));
  }
  const rev = clear($('call-revisions'));
  for (const r of [...revisions].reverse()) {
    const fields = (r.fields || []).map((f) => t(`call.revisedField.${f}`)).join(', ');
    rev.append(el('li', { class: 'history__item history__item--revision', i18n: 'call.revisedOn', vars: { date: formatDateTime(r.revised_at), fields } }));
  }
  ext.hidden = extensions.length === 0;
  rev.hidden = revisions.length === 0;
  $('call-history').hidden = extensions.length === 0 && revisions.length === 0;
}

function render() {
  if (!call) return;
  const c = call;
  setKey($('call-heading'), null, undefined, c.title);
  setKey(document.querySelector('title'), 'call.titleWith', { title: c.title });
  const badges = clear($('call-badges'));
  if (c.accepting) badges.append(acceptingBadge());
  badges.hidden = !c.accepting;
  $('call-ward').textContent = c.ward_name || '';
  clear($('call-state')).append(stateBadge(c.state));
  $('call-opens').textContent = formatDateTime(c.opens_at);
  $('call-closes').textContent = formatDateTime(c.closes_at);
  $('call-scoring').textContent = c.scoring_deadline ? formatDateTime(c.scoring_deadline) : '';
  $('call-scoring-row').hidden = !c.scoring_deadline;
  renderHistory(c);

  const note = $('call-note');
  const notYet = c.state === 'open' && !c.accepting && new Date(c.opens_at).getTime() > Date.now();
  if (notYet) setKey(note, 'call.notYetOpen', { date: formatDateTime(c.opens_at) });
  else if (!c.accepting) setKey(note, 'call.notAccepting');
  note.hidden = c.accepting;

  $('call-propose').href = `propose.html?campaign=${c.id}`;
  $('call-propose-item').hidden = !c.accepting;
  $('call-assist').href = `assist.html?campaign=${c.id}`;
  $('call-assist-item').hidden = !(c.accepting && hasRole(account, 'volunteer', c.ward_id));
  $('call-submissions').href = `submissions.html?campaign=${c.id}`;
  $('call-submissions-item').hidden = !(c.state !== 'draft' && hasRole(account, 'leader', c.ward_id));
  $('call-results').href = `/results/${c.id}`;
  $('call-results-item').hidden = c.state !== 'published';
  // The notice-board poster (issue 10), offered to the ward's leaders while open and once published.
  $('call-poster').href = apiUrl(`/campaigns/${c.id}/poster.pdf`);
  $('call-poster-item').hidden = !((c.state === 'open' || c.state === 'published') && hasRole(account, 'leader', c.ward_id));

  $('call-description').textContent = c.description || '';
  $('call-description-section').hidden = !c.description;
  $('call-rules').textContent = c.rules || '';
  $('call-rules-section').hidden = !c.rules;

  const list = clear($('call-criteria'));
  for (const k of c.criteria || []) {
    list.append(el('li', { class: 'criteria__item' },
      el('h3', { class: 'criteria__name', text: k.name }),
      k.description ? el('p', { class: 'criteria__description', text: k.description }) : null,
      el('p', { class: 'criteria__numbers' },
        el('span', { i18n: 'call.weight', vars: { w: formatNumber(k.weight) } }),
        el('span', { i18n: 'call.maxScore', vars: { n: k.max_score } }))));
  }
  setKey($('call-blind'), !c.blind_review ? 'call.notBlind' : c.blind_shows_group ? 'call.blindShowsGroup' : 'call.blind');
  setKey($('call-reviews'), 'call.reviews', { n: c.reviews_required });

  $('call-seal').textContent = c.config_digest || '';
  $('call-seal-section').hidden = !c.config_digest;
}

async function main() {
  account = await startPage({ optional: true });
  const status = $('call-status');
  const id = idParam('id');
  try {
    if (!id) throw Object.assign(new Error('no id'), { code: 'not_found' });
    call = (await api.get(`/campaigns/${id}`)).campaign;
  } catch (err) {
    setKey(status, null);
    showAlert($('call-alert'), err);
    return;
  }
  setKey(status, null);
  render();
  $('call-body').hidden = false;
  onLangChange(render);
}

runPage(main);
