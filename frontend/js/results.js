// The public results of a call (GET /api/v1/campaigns/{id}/results): the
// winners first (award, rank, tracking code, score with its 95% interval,
// "cannot be separated" marks, the per-criterion breakdown), the full table,
// the reasons for departures from the ranking, the panel's agreement and the
// seals (config digest, score-record head). "In biên bản" prints the minutes
// (see @media print in app.css).
//
// Served as /results.html?id= and, with Open Graph tags, as /results/{id}:
// every asset path is absolute.
import { onLangChange, setKey, t } from './i18n.js';
import { api, apiUrl } from './api.js';
import { clear, el } from './dom.js';
import { formatDateTime, formatNumber } from './format.js';
import { runPage, showAlert, startPage } from './ui.js';

const $ = (id) => document.getElementById(id);
const alertEl = $('res-alert');
let data = null;

function campaignId() {
  const m = /^\/results\/([1-9]\d{0,17})\/?$/.exec(window.location.pathname);
  if (m) return Number(m[1]);
  const v = new URLSearchParams(window.location.search).get('id');
  return v && /^[1-9]\d{0,17}$/.test(v) ? Number(v) : null;
}

/** "85 (21,469 – 148,531)" */
function scoreText(e) {
  if (e.score === null || e.score === undefined) return t('results.noScore');
  const s = formatNumber(e.score);
  return e.interval ? t('results.scoreInterval', { score: s, low: formatNumber(e.interval.low), high: formatNumber(e.interval.high) }) : s;
}

function tieMark(e) {
  return e.tied_with_next
    ? el('span', { class: 'badge badge--tie', i18n: 'results.tied' })
    : null;
}

function winnerCard(e) {
  return el('li', { class: 'card result' },
    el('p', { class: 'badges' }, el('span', { class: 'badge badge--award', text: e.award }), tieMark(e)),
    el('h3', { class: 'card__title', text: e.title }),
    el('dl', { class: 'details' },
      el('div', { class: 'details__row' }, el('dt', { i18n: 'results.colRank' }), el('dd', { text: String(e.rank) })),
      el('div', { class: 'details__row' }, el('dt', { i18n: 'results.colCode' }), el('dd', { class: 'tracking-code--small', text: e.tracking_code })),
      el('div', { class: 'details__row' }, el('dt', { i18n: 'results.colGroup' }), el('dd', { text: e.group_name || '' })),
      el('div', { class: 'details__row' }, el('dt', { i18n: 'results.colScore' }), el('dd', { text: scoreText(e) })),
      e.reason ? el('div', { class: 'details__row' }, el('dt', { i18n: 'results.reason' }), el('dd', { text: e.reason })) : null),
    breakdown(e));
}

function breakdown(e) {
  const crit = Array.isArray(e.criteria) ? e.criteria : [];
  if (crit.length === 0) return null;
  return el('details', { class: 'breakdown' },
    el('summary', { i18n: 'results.breakdown' }),
    el('dl', { class: 'details' }, crit.map((c) => el('div', { class: 'details__row' },
      el('dt', { text: c.name }),
      el('dd', { text: c.normalised === null || c.normalised === undefined ? t('results.noScore')
        : t('results.criterionScore', { score: formatNumber(data.snapshot.method === 'raw' ? c.raw : c.normalised) }) })))));
}

function render() {
  const s = data.snapshot;
  const ranking = Array.isArray(s.ranking) ? s.ranking : [];
  setKey($('res-heading'), 'results.headingFor', { title: s.campaign_title });
  document.title = t('results.titleFor', { title: s.campaign_title });
  $('res-published').textContent = formatDateTime(data.published_at);
  setKey($('res-method'), s.method === 'raw' ? 'results.methodRaw' : 'results.methodNormalised');
  setKey($('res-panel'), 'results.panelText', { panelists: s.panelists ?? 0, reviews: s.reviews ?? 0 });
  $('res-version').textContent = String(data.version);
  const corr = $('res-correction');
  corr.hidden = !data.correction_reason;
  if (data.correction_reason) setKey(corr, 'results.correction', { reason: data.correction_reason });

  const winners = ranking.filter((e) => e.award);
  clear($('res-winners')).append(...winners.map(winnerCard));
  $('res-no-winners').hidden = winners.length > 0;

  clear($('res-rows')).append(...ranking.map((e) => el('tr', {},
    el('td', { text: String(e.rank) }),
    el('td', { class: 'nowrap', text: e.tracking_code }),
    el('td', { text: e.title }),
    el('td', { text: e.group_name || '' }),
    el('td', { text: e.award || '' }),
    el('td', {}, scoreText(e), e.tied_with_next ? [' ', el('span', { class: 'tie-mark', 'aria-hidden': 'true', text: '≈' }),
      el('span', { class: 'visually-hidden', i18n: 'results.tied' })] : null))));

  const reasons = ranking.filter((e) => e.reason);
  $('res-reasons-section').hidden = reasons.length === 0;
  clear($('res-reasons')).append(...reasons.map((e) => el('li', {},
    el('strong', { text: `${e.tracking_code} ${e.title}` }), ': ', e.reason)));

  const ag = s.agreement || {};
  clear($('res-agreement')).append(
    el('div', { class: 'details__row' }, el('dt', { i18n: 'results.agreementOverall' }),
      el('dd', { text: ag.review_score === null || ag.review_score === undefined ? t('results.noScore') : formatNumber(ag.review_score) })),
    ...(ag.criteria || []).map((c) => el('div', { class: 'details__row' }, el('dt', { text: c.criterion }),
      el('dd', { text: c.alpha === null || c.alpha === undefined ? t('results.noScore') : formatNumber(c.alpha) }))));

  $('res-config').textContent = s.config_digest || '';
  $('res-head').textContent = s.score_record_head || '';
  $('res-inputs').textContent = s.inputs_digest || '';
}

async function main() {
  await startPage({ optional: true });
  const id = campaignId();
  const status = $('res-status');
  if (!id) {
    setKey(status, null);
    showAlert(alertEl, 'results.notFound');
    return;
  }
  try {
    // The ward heads the page and the printed minutes (the results do not name it): read at once.
    let ward;
    [data, ward] = await Promise.all([
      api.get(`/campaigns/${id}/results`),
      api.get(`/campaigns/${id}`).then((r) => r.campaign && r.campaign.ward_name).catch(() => null),
    ]);
    $('res-ward').textContent = ward || '';
    $('res-ward').hidden = !ward;
  } catch (err) {
    setKey(status, null);
    if (err.status === 404) showAlert(alertEl, 'results.notFound');
    else showAlert(alertEl, err);
    return;
  }
  $('res-csv').setAttribute('href', apiUrl(`/campaigns/${id}/results.csv`));
  // Documents rendered by the server once per publication (issue 10).
  $('res-minutes-pdf').setAttribute('href', apiUrl(`/campaigns/${id}/minutes.pdf`));
  $('res-xlsx').setAttribute('href', apiUrl(`/campaigns/${id}/results.xlsx`));
  $('res-poster').setAttribute('href', apiUrl(`/campaigns/${id}/poster.pdf`));
  $('res-print').addEventListener('click', () => window.print());
  // The minutes show every breakdown: open them for printing, close them after.
  let opened = [];
  window.addEventListener('beforeprint', () => {
    opened = [...document.querySelectorAll('details:not([open])')];
    for (const d of opened) d.open = true;
  });
  window.addEventListener('afterprint', () => {
    for (const d of opened) d.open = false;
    opened = [];
  });
  render();
  setKey(status, null);
  $('res-body').hidden = false;
  onLangChange(render);
}

runPage(main);
