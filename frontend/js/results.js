// The public results of a call (GET /api/v1/campaigns/{id}/results): the
// winners first (award, rank, tracking code, score, the per-criterion
// breakdown) with one sentence when the award cut cannot be separated, a chart
// (inline SVG: each proposal's score split by criterion, its 95% interval,
// winners highlighted; a visually hidden list says the same), the full table
// with the statistics in a "Chi tiết" fold, the reasons for departures from the
// ranking, the panel's agreement in words (the numbers in a fold) and the seals
// (in a fold). Scores show one decimal; the JSON and the CSV keep three.
// "In biên bản" (or Ctrl+P) prints the minutes in the order of the server's PDF
// (src/render/minutes.c): the print-only head (national and committee headers,
// title, call, panel, method, winners with reasons, the tie sentence), the chart
// and the full table, then the print-only signatures and the digests last; the
// rest of the page is hidden in print (see "The results page printed as the
// minutes" in app.css). Filled from the same results: nothing more is fetched.
//
// Served as /results.html?id= and, with Open Graph tags, as /results/{id}:
// every asset path is absolute.
import { onLangChange, setKey, t } from './i18n.js';
import { api, apiUrl } from './api.js';
import { clear, el } from './dom.js';
import { cardPhoto, contactNode } from './showcase.js';
import { formatDateTime, formatNumber } from './format.js';
import { runPage, showAlert, startPage } from './ui.js';

const $ = (id) => document.getElementById(id);
const alertEl = $('res-alert');
let data = null;
let wardName = null; // the ward's name, from the call (the results do not name it)
const weights = new Map(); // criterion id -> weight, from the call (for the chart's parts)

/** A score as people read it: one decimal, the Vietnamese decimal comma in Vietnamese. */
const fmt1 = (v) => formatNumber(v, 1);

function campaignId() {
  const m = /^\/results\/([1-9]\d{0,17})\/?$/.exec(window.location.pathname);
  if (m) return Number(m[1]);
  const v = new URLSearchParams(window.location.search).get('id');
  return v && /^[1-9]\d{0,17}$/.test(v) ? Number(v) : null;
}

const hasScore = (e) => e.score !== null && e.score !== undefined;

/** "91,7" */
function scoreOnly(e) {
  return hasScore(e) ? fmt1(e.score) : t('results.noScore');
}

/** "91,7 (từ 82,9 đến 100)" */
function scoreText(e) {
  if (!hasScore(e)) return t('results.noScore');
  const s = fmt1(e.score);
  return e.interval ? t('results.scoreInterval', { score: s, low: fmt1(e.interval.low), high: fmt1(e.interval.high) }) : s;
}

/** The number of award places (Giải Nhất ×1, Giải Nhì ×2: 3). */
function awardPlaces(s) {
  return (Array.isArray(s.awards) ? s.awards : []).reduce((n, a) => n + (Number(a.count) || 0), 0);
}

/** One sentence about the award cut, only when it cannot be separated. */
function cutSentence(s, ranking) {
  const places = awardPlaces(s);
  if (!s.tie_warning || places < 1 || places >= ranking.length) return null;
  const last = ranking[places - 1], next = ranking[places];
  return { key: 'results.cutTied', vars: { rank: last.rank, next: next.rank, code: last.tracking_code, nextCode: next.tracking_code } };
}

/** The agreement in words: [key, vars] for alpha (null: not enough reviews). */
function agreementSentence(alpha) {
  if (alpha === null || alpha === undefined) return ['results.agreementNone', undefined];
  const vars = { alpha: formatNumber(alpha, 2) };
  if (alpha >= 0.8) return ['results.agreementHigh', vars];
  if (alpha >= 0.667) return ['results.agreementFair', vars];
  if (alpha >= 0) return ['results.agreementLow', vars];
  return ['results.agreementNegative', vars];
}

/** The public photos and contact of winner e (sql/026), or {}. */
function showcaseOf(e) {
  const list = data && Array.isArray(data.showcase) ? data.showcase : [];
  return list.find((x) => x.proposal_id === e.proposal_id) || {};
}

function winnerCard(e) {
  const shown = showcaseOf(e);
  return el('li', { class: 'card result' },
    cardPhoto(shown.photos, e.title),
    el('p', { class: 'badges' }, el('span', { class: 'badge badge--award', text: e.award })),
    el('h3', { class: 'card__title' }, shown.model_id
      ? el('a', { href: `model.html?id=${shown.model_id}`, text: e.title }) : e.title),
    el('dl', { class: 'details' },
      el('div', { class: 'details__row' }, el('dt', { i18n: 'results.colRank' }), el('dd', { text: String(e.rank) })),
      el('div', { class: 'details__row' }, el('dt', { i18n: 'results.colCode' }), el('dd', { class: 'tracking-code--small', text: e.tracking_code })),
      el('div', { class: 'details__row' }, el('dt', { i18n: 'results.colGroup' }), el('dd', { text: e.group_name || '' })),
      el('div', { class: 'details__row' }, el('dt', { i18n: 'results.colScoreOnly' }), el('dd', { text: scoreOnly(e) })),
      e.reason ? el('div', { class: 'details__row' }, el('dt', { i18n: 'results.reason' }), el('dd', { text: e.reason })) : null,
      shown.contact ? el('div', { class: 'details__row' }, el('dt', { i18n: 'showcase.contact' }), el('dd', {}, contactNode(shown.contact))) : null),
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
        : t('results.criterionScore', { score: fmt1(data.snapshot.method === 'raw' ? c.raw : c.normalised) }) })))));
}

// ---- The chart ---------------------------------------------------------------------------------

const SVG = 'http://www.w3.org/2000/svg';
/* Criterion colours: distinct in hue and lightness, readable in greyscale print (darkest first). */
const PALETTE = ['#0b4f8a', '#b35900', '#2e7d32', '#7b1fa2', '#00838f', '#8d6e00', '#ad1457', '#455a64'];

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

/** The per-criterion parts of a score: weighted criterion means under the method, scaled to sum to the score. */
function parts(e, method) {
  const crit = Array.isArray(e.criteria) ? e.criteria : [];
  const raw = crit.map((c) => {
    const v = Number(method === 'raw' ? c.raw : c.normalised);
    const w = Number(weights.get(c.criterion_id)) || 1;
    return Number.isFinite(v) ? Math.max(0, v) * w : 0;
  });
  const wsum = crit.reduce((n, c) => n + (Number(weights.get(c.criterion_id)) || 1), 0) || 1;
  const sum = raw.reduce((a, b) => a + b, 0) / wsum;
  const k = sum > 0 ? e.score / sum : 0;
  return raw.map((v) => (v / wsum) * k);
}

function chart(s, ranking) {
  const scored = ranking.filter(hasScore);
  const W = 360, LEFT = 4, VALUE = 40, BAR = 16, ROW = 48, TOP = 22;
  const plot = W - LEFT - VALUE - 4;
  const x = (v) => LEFT + (Math.min(100, Math.max(0, v)) / 100) * plot;
  const H = TOP + scored.length * ROW + 6;
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', 'aria-labelledby': 'res-chart-title res-chart-caption',
    class: 'res-chart__svg', preserveAspectRatio: 'xMinYMin meet',
  });
  // The scale: 0, 25, 50, 75, 100 with faint lines.
  for (const v of [0, 25, 50, 75, 100]) {
    root.append(svg('line', { x1: x(v), x2: x(v), y1: TOP - 4, y2: H - 4, class: 'res-chart__grid' }));
    root.append(svg('text', { x: x(v), y: 12, class: 'res-chart__tick', 'text-anchor': v === 0 ? 'start' : v === 100 ? 'end' : 'middle' }, fmt1(v)));
  }
  scored.forEach((e, i) => {
    const y = TOP + i * ROW;
    const winner = !!e.award;
    const g = svg('g', { class: winner ? 'res-chart__row res-chart__row--winner' : 'res-chart__row' });
    if (winner) g.append(svg('rect', { x: 0, y: y - 2, width: W, height: ROW - 4, class: 'res-chart__band' }));
    const label = winner ? `${e.rank}. ${e.award}: ${e.title}` : `${e.rank}. ${e.title}`;
    g.append(svg('text', { x: LEFT, y: y + 13, class: 'res-chart__label' },
      label.length > 46 ? `${label.slice(0, 45)}…` : label));
    const by = y + 19;
    g.append(svg('text', { x: W - 2, y: by + BAR - 3, class: 'res-chart__value', 'text-anchor': 'end' }, fmt1(e.score)));
    g.append(svg('rect', { x: LEFT, y: by, width: plot, height: BAR, class: 'res-chart__track' }));
    let at = 0;
    parts(e, s.method).forEach((p, c) => {
      if (!(p > 0)) return;
      g.append(svg('rect', {
        x: x(at), y: by, width: Math.max(0, x(at + p) - x(at)), height: BAR,
        fill: PALETTE[c % PALETTE.length], class: winner ? 'res-chart__part' : 'res-chart__part res-chart__part--other',
      }));
      at += p;
    });
    if (e.interval) {
      const lo = x(e.interval.low), hi = x(e.interval.high), mid = by + BAR / 2;
      g.append(svg('line', { x1: lo, x2: hi, y1: mid, y2: mid, class: 'res-chart__ci' }));
      g.append(svg('line', { x1: lo, x2: lo, y1: by + 2, y2: by + BAR - 2, class: 'res-chart__ci' }));
      g.append(svg('line', { x1: hi, x2: hi, y1: by + 2, y2: by + BAR - 2, class: 'res-chart__ci' }));
    }
    g.append(svg('line', { x1: x(e.score), x2: x(e.score), y1: by - 2, y2: by + BAR + 2, class: 'res-chart__mark' }));
    root.append(g);
  });
  return root;
}

function renderChart(s, ranking) {
  const box = clear($('res-chart'));
  const crit = (ranking.find((e) => Array.isArray(e.criteria)) || {}).criteria || [];
  if (!ranking.some(hasScore)) {
    box.append(el('p', { class: 'empty', i18n: 'results.chartEmpty' }));
  } else {
    box.append(chart(s, ranking));
  }
  clear($('res-chart-legend')).append(...crit.map((c, i) => el('li', {},
    svg('svg', { viewBox: '0 0 14 14', width: 14, height: 14, class: 'res-chart__swatch' },
      svg('rect', { x: 0, y: 0, width: 14, height: 14, fill: PALETTE[i % PALETTE.length] })), ' ', c.name)));
  // The text equivalent: what each bar says.
  clear($('res-chart-text')).append(...ranking.filter(hasScore).map((e) => el('li', {
    text: t('results.chartItem', {
      rank: e.rank, title: e.title, award: e.award || t('results.noAward'), score: scoreText(e),
      parts: (e.criteria || []).map((c) => `${c.name} ${fmt1(s.method === 'raw' ? c.raw : c.normalised)}`).join('; '),
    }),
  })));
}

// ---- The printed minutes -----------------------------------------------------------------------

/** "PHƯỜNG BẾN NGHÉ" for "Bến Nghé" or "Phường Bến Nghé" (as committee_header in minutes.c). */
function committeeWard(ward) {
  const w = (ward || '').trim();
  const named = /^(phường|xã|thị trấn)\s/i.test(w);
  return (named ? w : t('print.ward', { ward: w })).toLocaleUpperCase('vi');
}

/** { day, month, year } of an ISO 8601 date, as the PDF reads it (its first ten characters). */
function dateParts(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || '');
  return m ? { day: m[3], month: m[2], year: m[1] } : { day: '…', month: '…', year: '…' };
}

function renderPrint(s, ranking) {
  const when = dateParts(data.published_at || data.decided_at);
  $('print-ward').textContent = committeeWard(wardName);
  setKey($('print-place'), 'print.place', { ward: wardName || '', ...when });
  setKey($('print-call'), 'print.call', { title: s.campaign_title || '' });
  const crit = (ranking.find((e) => Array.isArray(e.criteria)) || {}).criteria || [];
  setKey($('print-panel'), 'print.panel', {
    panelists: s.panelists ?? 0, reviews: s.reviews ?? 0, entries: ranking.length,
    criteria: weights.size || crit.length, version: data.version, ...when,
  });
  setKey($('print-method'), s.method === 'raw' ? 'print.methodRaw' : 'print.methodNormalised');
  const corr = $('print-correction');
  corr.hidden = !data.correction_reason;
  if (data.correction_reason) setKey(corr, 'print.correction', { reason: data.correction_reason });
  const winners = ranking.filter((e) => e.award);
  clear($('print-winners')).append(...winners.map((e) => el('li', {},
    el('span', { text: t('print.winner', {
      award: e.award, title: e.title || '', code: e.tracking_code || '', group: e.group_name || '', rank: e.rank,
      score: hasScore(e) ? t('print.score', { score: formatNumber(e.score, 3) }) : t('print.noScore'),
    }) }),
    e.reason ? el('span', { class: 'minutes__reason', text: t('print.reason', { reason: e.reason }) }) : null)));
  if (winners.length === 0) $('print-winners').append(el('li', { i18n: 'print.noWinners' }));
  $('print-tie').hidden = !s.tie_warning;
  $('print-config').textContent = s.config_digest || t('print.none');
  $('print-head-digest').textContent = s.score_record_head || t('print.none');
  $('print-inputs').textContent = s.inputs_digest || t('print.none');
  setKey($('print-version'), 'print.version', { method: s.method || '', version: data.version });
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
  const cut = cutSentence(s, ranking);
  $('res-cut').hidden = !cut;
  if (cut) setKey($('res-cut'), cut.key, cut.vars);

  renderChart(s, ranking);

  clear($('res-rows')).append(...ranking.map((e) => el('tr', { class: e.award ? 'is-winner' : null },
    el('td', { text: String(e.rank) }),
    el('td', { class: 'nowrap', text: e.tracking_code }),
    el('td', { text: e.title }),
    el('td', { text: e.group_name || '' }),
    el('td', { text: e.award || '' }),
    el('td', { class: 'nowrap', text: scoreOnly(e) }))));
  clear($('res-stats')).append(...ranking.map((e) => el('tr', {},
    el('td', { text: String(e.rank) }),
    el('td', { class: 'nowrap', text: e.tracking_code }),
    el('td', { text: scoreText(e) }),
    el('td', { text: String(e.reviews ?? '') }),
    el('td', { text: e.tied_with_next ? t('results.yes') : '' }))));

  const reasons = ranking.filter((e) => e.reason);
  $('res-reasons-section').hidden = reasons.length === 0;
  clear($('res-reasons')).append(...reasons.map((e) => el('li', {},
    el('strong', { text: `${e.tracking_code} ${e.title}` }), ': ', e.reason)));

  const ag = s.agreement || {};
  const [agKey, agVars] = agreementSentence(ag.review_score);
  setKey($('res-agreement-text'), agKey, agVars);
  const alphaText = (a) => (a === null || a === undefined ? t('results.agreementUndefined')
    : t(agreementSentence(a)[0] + 'Short', { alpha: formatNumber(a, 2) }));
  clear($('res-agreement')).append(
    el('div', { class: 'details__row' }, el('dt', { i18n: 'results.agreementOverall' }), el('dd', { text: alphaText(ag.review_score) })),
    ...(ag.criteria || []).map((c) => el('div', { class: 'details__row' }, el('dt', { text: c.criterion }),
      el('dd', { text: alphaText(c.alpha) }))));

  $('res-config').textContent = s.config_digest || '';
  $('res-head').textContent = s.score_record_head || '';
  $('res-inputs').textContent = s.inputs_digest || '';
  renderPrint(s, ranking);
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
      api.get(`/campaigns/${id}`).then((r) => {
        for (const c of (r.campaign && r.campaign.criteria) || []) weights.set(c.id, Number(c.weight));
        return r.campaign && r.campaign.ward_name;
      }).catch(() => null),
    ]);
    wardName = ward || null;
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
  render();
  setKey(status, null);
  $('res-body').hidden = false;
  onLangChange(render);
}

runPage(main);
