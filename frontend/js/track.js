// Public tracking: GET /api/v1/track/{code} shows a proposal's status, its
// call and when it was sent, the call's stage and, once results are published,
// whether it won; nothing else, and no login needed.
import { onLangChange, setKey } from './i18n.js';
import { api } from './api.js';
import { clear, el } from './dom.js';
import { FormErrors, errorMessage, setBusy } from './form.js';
import { formatDateTime, normalizeTrackingCode } from './format.js';
import { runPage, startPage, stateBadge, statusBadge } from './ui.js';

const $ = (id) => document.getElementById(id);
const form = $('track-form');
const input = $('track-code');
const statusEl = $('track-status');
const result = $('track-result');
const errors = new FormErrors(form, $('track-alert'));
let found = null;

function render() {
  if (!found) return;
  $('track-r-code').textContent = found.tracking_code;
  clear($('track-r-status')).append(statusBadge(found.status));
  clear($('track-r-call')).append(el('a', { href: `call.html?id=${found.campaign.id}`, text: found.campaign.title }));
  const sub = $('track-r-submitted');
  if (found.submitted_at) setKey(sub, null, undefined, formatDateTime(found.submitted_at));
  else setKey(sub, 'track.notSent');
  // The call's stage and, once published, the result: what the author's notices say too.
  const stage = found.campaign.state;
  clear($('track-r-stage')).append(stage ? stateBadge(stage) : '');
  const row = $('track-r-result-row');
  row.hidden = !found.result;
  if (found.result) {
    const res = $('track-r-result');
    if (found.result.award) setKey(res, 'track.won', { award: found.result.award, date: formatDateTime(found.result.published_at) });
    else setKey(res, 'track.noAward', { date: formatDateTime(found.result.published_at) });
  }
}

async function lookUp(raw, { focus = true } = {}) {
  errors.clear();
  const code = normalizeTrackingCode(raw);
  if (code === '') {
    errors.field(input, 'track.codeRequired');
    errors.alert('validation.summary');
    errors.focusFirst();
    return;
  }
  input.value = code;
  setBusy(form, statusEl, true);
  result.hidden = true;
  found = null;
  try {
    found = await api.get(`/track/${encodeURIComponent(code)}`);
  } catch (err) {
    setBusy(form, statusEl, false);
    const msg = err.status === 404 ? 'track.notFound' : errorMessage(err);
    if (err.status === 404) errors.field(input, msg);
    errors.alert(msg);
    if (focus) input.focus();
    return;
  }
  setBusy(form, statusEl, false);
  const url = new URL(window.location.href);
  url.searchParams.set('code', code);
  window.history.replaceState(null, '', url);
  render();
  result.hidden = false;
  if (focus) result.focus();
}

async function main() {
  await startPage({ optional: true });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    lookUp(input.value);
  });
  onLangChange(render);
  const code = new URLSearchParams(window.location.search).get('code');
  if (code) lookUp(code, { focus: false });
}

runPage(main);
