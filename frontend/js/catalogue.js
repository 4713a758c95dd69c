// The catalogue of winning models from every ward (GET /api/v1/models with
// ward_id, stage, tag and q; the server ignores accents in q), each with its
// award, ward, adoption count and stages. Filters live in the address (?q=…)
// so a search can be shared and the Back button works.
import { onLangChange, setKey, t } from './i18n.js';
import { api } from './api.js';
import { clear, el } from './dom.js';
import { formatDateTime, formatInt } from './format.js';
import { runPage, showAlert, startPage } from './ui.js';

const $ = (id) => document.getElementById(id);
const form = $('cat-form');
const FIELDS = ['q', 'ward_id', 'stage', 'tag'];
const STAGES = ['planned', 'piloting', 'in_use', 'stopped'];
let models = [];
let asOf = null; // when the list's data is current as of (it may come from a read replica)

function stagesText(stages) {
  return STAGES.filter((s) => stages && stages[s]).map((s) => t('catalogue.stageCount', { stage: t(`stages.${s}`), n: stages[s] })).join(', ');
}

function render() {
  clear($('cat-list')).append(...models.map((m) => el('li', { class: 'card card--link' },
    el('h2', { class: 'card__title' }, el('a', { href: `model.html?id=${m.id}`, text: m.title })),
    el('p', { class: 'badges' }, m.award ? el('span', { class: 'badge badge--award', text: m.award }) : null),
    el('p', { class: 'card__meta', text: m.ward ? m.ward.name : '' }),
    el('p', { class: 'card__meta', text: m.summary || '' }),
    m.adoption_count ? el('p', { class: 'card__meta', i18n: 'catalogue.adoptions', vars: { n: formatInt(m.adoption_count) } })
      : el('p', { class: 'card__meta', i18n: 'catalogue.noAdoptions' }),
    m.adoption_count ? el('p', { class: 'card__meta', text: stagesText(m.stages) }) : null)));
  $('cat-empty').hidden = models.length > 0;
  setKey($('cat-count'), 'catalogue.count', { n: models.length });
  $('cat-as-of').hidden = !asOf;
  if (asOf) setKey($('cat-as-of'), 'catalogue.asOf', { time: formatDateTime(asOf) });
}

async function search() {
  const params = new URLSearchParams();
  for (const name of FIELDS) {
    const v = form.elements[name].value.trim();
    if (v) params.set(name, v);
  }
  const qs = params.toString();
  const data = await api.get(`/models${qs ? `?${qs}` : ''}`);
  models = data.models || [];
  asOf = data.as_of || null;
  render();
}

async function main() {
  await startPage({ optional: true });
  const wards = (await api.get('/wards')).wards || [];
  for (const w of wards) $('cat-ward').append(el('option', { value: String(w.id), text: w.name }));
  const params = new URLSearchParams(window.location.search);
  for (const name of FIELDS) if (params.get(name)) form.elements[name].value = params.get(name);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    for (const name of FIELDS) if (form.elements[name].value.trim()) p.set(name, form.elements[name].value.trim());
    window.history.replaceState(null, '', `catalogue.html${p.toString() ? `?${p}` : ''}`);
    try {
      await search();
    } catch (err) {
      showAlert($('cat-alert'), err);
    }
  });
  await search();
  setKey($('cat-status'), null);
  onLangChange(render);
}

runPage(main);
