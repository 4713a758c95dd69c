// Small pieces shared by the pages: badges for a call's state and a
// proposal's status, page messages, and the start of every page.
import { setKey } from './i18n.js';
import { initLayout } from './layout.js';
import { api, apiUrl } from './api.js';
import { el } from './dom.js';
import { errorMessage, showMessage } from './form.js';
import { applyNav, initNav, loadMe } from './session.js';
import { formatDateTime, formatSize } from './format.js';

const CALL_STATES = new Set(['draft', 'open', 'closed', 'appraisal', 'decided', 'published']);
const PROPOSAL_STATUSES = new Set(['draft', 'submitted', 'withdrawn']);

/** A badge with a call's state ("Đang mở"). */
export function stateBadge(state) {
  const key = CALL_STATES.has(state) ? `states.${state}` : null;
  return el('span', { class: `badge badge--state-${CALL_STATES.has(state) ? state : 'other'}`, i18n: key, text: key ? null : state });
}

/** The "accepting proposals" badge. */
export function acceptingBadge() {
  return el('span', { class: 'badge badge--accepting', i18n: 'calls.accepting' });
}

/** A badge with a proposal's status ("Đã gửi"). */
export function statusBadge(status) {
  const key = PROPOSAL_STATUSES.has(status) ? `status.${status}` : null;
  return el('span', { class: `badge badge--status-${PROPOSAL_STATUSES.has(status) ? status : 'other'}`, i18n: key, text: key ? null : status });
}

/** Shows an API error (translated by its code) in the page's alert element. */
export function showAlert(alertEl, errOrKey, vars) {
  if (typeof errOrKey === 'string') setKey(alertEl, errOrKey, vars);
  else showMessage(alertEl, errorMessage(errOrKey));
  alertEl.classList.add('is-shown');
}

export function clearAlert(alertEl) {
  setKey(alertEl, null);
  alertEl.classList.remove('is-shown');
}

/**
 * Draws the layout (layout.js) and translates the page, then asks who is signed in; resolves to the account or
 * null (signed out). When the server cannot say (no connection), public pages
 * ({ optional: true }) carry on as for a guest; the others reject with the
 * ApiError, which runPage shows.
 */
export async function startPage({ optional = false } = {}) {
  await initLayout();
  if (optional) return initNav();
  let account;
  try {
    account = await loadMe();
  } catch (err) {
    applyNav(null);
    throw err;
  }
  applyNav(account);
  return account;
}

/** Runs a page's main function; a failure it did not handle is shown, translated, in the page's alert. */
export function runPage(main) {
  main().catch((err) => {
    const status = document.querySelector('main [role="status"]');
    const alertEl = document.querySelector('main [role="alert"]');
    if (status) setKey(status, null);
    if (alertEl) showAlert(alertEl, err);
    else console.error(err);
  });
}

const byName = new Intl.Collator('vi', { numeric: true, sensitivity: 'base' });

/** Residential groups in the order people count them: "Tổ dân phố 2" before "Tổ dân phố 10". */
export function sortGroups(groups) {
  return [...groups].sort((a, b) => byName.compare(a.name, b.name));
}

/** The residential groups of ward (from the public GET /api/v1/wards), in natural order. */
export async function wardGroups(wardId) {
  const data = await api.get('/wards');
  const ward = (data && Array.isArray(data.wards) ? data.wards : []).find((w) => w.id === wardId);
  return ward && Array.isArray(ward.groups) ? sortGroups(ward.groups) : [];
}

/** A link or button whose visible text is short ("Sửa") and whose name also says which proposal. */
export function named(key, title) {
  return [el('span', { i18n: key }), el('span', { class: 'visually-hidden', text: ` (${title})` })];
}

/** A proposal as a card; shared with the volunteer's list. */
export function proposalCard(p, { actions = [], extra = [], level = 2 } = {}) {
  return el('li', { class: 'card card--link', id: `proposal-${p.id}` },
    el(`h${level}`, { class: 'card__title' }, el('a', { href: `proposal.html?id=${p.id}`, text: p.title })),
    el('p', { class: 'badges' }, statusBadge(p.status)),
    el('p', { class: 'card__code' },
      el('span', { class: 'card__code-label', i18n: 'proposal.code' }), ': ',
      p.tracking_code ? el('span', { class: 'card__code-value', text: p.tracking_code }) : el('span', { i18n: 'my.noCode' })),
    extra,
    p.campaign_title ? el('p', { class: 'card__meta', text: p.campaign_title }) : null,
    p.submitted_at ? el('p', { class: 'card__meta' },
      el('span', { i18n: 'proposal.submittedAt' }), ': ', formatDateTime(p.submitted_at)) : null,
    actions.length ? el('ul', { class: 'card__actions' }, actions.map((a) => el('li', {}, a))) : null);
}

/** An attachment as a list item: a thumbnail (or "PDF") and a download link with its size. */
export function attachmentItem(a) {
  const url = apiUrl(`/attachments/${a.id}`);
  return el('li', { class: 'files__item' },
    /^image\//.test(a.mime)
      // The 320 px copy (sql/030), not the photo itself (up to 2,560 px, hundreds of KB): the
      // thumbnail is 64 CSS px, so 320 px is sharp up to 5x screens (issue 11).
      ? el('img', { class: 'files__thumb', src: `${url}?size=320`, alt: '', width: 64, height: 64, loading: 'lazy', decoding: 'async' })
      : el('span', { class: 'files__thumb files__thumb--pdf', 'aria-hidden': 'true', text: 'PDF' }),
    el('span', { class: 'files__name' },
      el('a', { class: 'files__link', href: url, download: a.filename },
        el('span', { class: 'visually-hidden', i18n: 'proposal.download' }), ' ', a.filename),
      el('span', { class: 'files__size', text: formatSize(a.size) })));
}
