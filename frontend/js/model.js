// One model of the catalogue (GET /api/v1/models/{id}) with every adoption and
// its history; a leader or volunteer records an adoption by a residential
// group of their ward (POST /api/v1/models/{id}/adoptions), and updates the
// stage and outcome of one of their ward (PATCH /api/v1/adoptions/{id}, with the
// version read).
import { onLangChange, setKey, t } from './i18n.js';
import { api } from './api.js';
import { clear, el, idParam } from './dom.js';
import { FormErrors, errorMessage, setBusy } from './form.js';
import { formatDate, formatDateTime, formatInt, formatVnd, parseInteger } from './format.js';
import { wardsWithRole } from './session.js';
import { contactNode, photoList } from './showcase.js';
import { runPage, showAlert, startPage, wardGroups } from './ui.js';

const $ = (id) => document.getElementById(id);
const id = idParam('id');
const form = $('model-form');
const errors = new FormErrors(form, $('model-form-alert'));
let data = null;
let account = null;
/** The adoption whose update form is open, by id, or null. */
let editing = null;

function mayUpdate(a) {
  if (!account || !a.ward) return false;
  return wardsWithRole(account, 'leader').includes(a.ward.id) || wardsWithRole(account, 'volunteer').includes(a.ward.id);
}

function placeOf(a) {
  return `${a.group ? a.group.name : ''}, ${a.ward ? a.ward.name : ''}`;
}

/** The inline form that updates adoption a's stage, households and notes. */
function updateForm(a) {
  const f = el('form', { id: `ad-edit-${a.id}`, class: 'form adoption-edit', action: 'model.html', method: 'post', novalidate: true,
    'aria-labelledby': `ad-edit-title-${a.id}` });
  const alertBox = el('div', { id: `ad-edit-alert-${a.id}`, class: 'alert', role: 'alert' });
  const stage = el('select', { id: `ad-edit-stage-${a.id}`, name: 'stage' },
    ['planned', 'piloting', 'in_use', 'stopped'].map((v) => el('option', { value: v, i18n: `stages.${v}` })));
  stage.value = a.stage;
  const hh = el('input', { id: `ad-edit-households-${a.id}`, name: 'households', type: 'text', inputmode: 'numeric', class: 'input--short', autocomplete: 'off' });
  hh.value = a.households === null || a.households === undefined ? '' : String(a.households);
  const notes = el('textarea', { id: `ad-edit-notes-${a.id}`, name: 'notes', rows: 3, maxlength: 2000 });
  notes.value = a.notes || '';
  const errs = new FormErrors(f, alertBox);
  f.append(
    el('h3', { id: `ad-edit-title-${a.id}`, i18n: 'workspace.adoptionEditHeading', vars: { place: placeOf(a) } }),
    alertBox,
    el('div', { class: 'field' }, el('label', { for: stage.id, i18n: 'catalogue.stageLabel' }), stage),
    el('div', { class: 'field' },
      el('label', { for: hh.id }, el('span', { i18n: 'proposal.households' }), ' ', el('span', { class: 'optional', i18n: 'common.optional' })),
      el('p', { id: `${hh.id}-error`, class: 'field-error', hidden: true }), hh),
    el('div', { class: 'field' },
      el('label', { for: notes.id }, el('span', { i18n: 'model.notesLabel' }), ' ', el('span', { class: 'optional', i18n: 'common.optional' })), notes),
    el('p', {}, el('button', { type: 'submit', class: 'button', i18n: 'workspace.adoptionSave' }), ' ',
      el('button', { type: 'button', class: 'button button--secondary', i18n: 'common.cancel', on: { click: () => {
        editing = null;
        render();
        const b = document.querySelector(`button[data-adoption="${a.id}"]`);
        if (b) b.focus();
      } } })));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errs.clear();
    const text = hh.value.trim();
    const households = text === '' ? null : parseInteger(text);
    if (text !== '' && !(households !== null && households >= 0 && households < 1e7)) errs.field(hh, 'model.householdsInvalid');
    if (errs.count > 0) {
      errs.alert('validation.summary');
      errs.focusFirst();
      return;
    }
    const body = { version: a.version, stage: stage.value, notes: notes.value.trim() };
    if (households !== null) body.households = households;
    setBusy(f, null, true);
    try {
      await api.patch(`/adoptions/${a.id}`, body);
    } catch (err) {
      setBusy(f, null, false);
      if (err.code === 'version_conflict') {
        data = await api.get(`/models/${id}`);
        render();
        const again = document.getElementById(`ad-edit-alert-${a.id}`);
        if (again) showAlert(again, 'workspace.adoptionChanged');
        return;
      }
      errs.alert(errorMessage(err));
      return;
    }
    editing = null;
    data = await api.get(`/models/${id}`);
    render();
    setKey($('model-done'), 'workspace.adoptionUpdated', { place: placeOf(a) });
    $('model-done').focus();
  });
  return f;
}

function row(key, value) {
  return el('div', { class: 'details__row' }, el('dt', { i18n: key }), el('dd', {}, value));
}

function render() {
  const m = data.model;
  setKey($('model-heading'), null, undefined, m.title);
  setKey(document.querySelector('title'), 'model.titleWith', { title: m.title });
  clear($('model-badges')).append(m.award ? el('span', { class: 'badge badge--award', text: m.award }) : '');
  clear($('model-details')).append(...[
    row('catalogue.wardLabel', m.ward ? m.ward.name : ''),
    row('proposal.call', el('a', { href: `/results/${m.campaign.id}`, text: m.campaign.title })),
    row('proposal.code', m.tracking_code || ''),
    row('proposal.tags', (m.tags || []).join(', ')),
    row('results.publishedAt', formatDate(m.published_at)),
    m.households === null || m.households === undefined ? null : row('proposal.households', formatInt(m.households)),
    m.cost_vnd === null || m.cost_vnd === undefined ? null : row('proposal.cost', formatVnd(m.cost_vnd)),
    m.contact ? row('showcase.contact', contactNode(m.contact)) : null].filter(Boolean));
  const photos = photoList(m.photos, m.title);
  $('model-photos-section').hidden = !photos;
  clear($('model-photos')).append(photos || '');
  $('model-summary').textContent = m.summary || '';
  $('model-text').textContent = m.model || '';
  $('model-problem-section').hidden = !m.problem;
  $('model-problem').textContent = m.problem || '';
  $('model-resources-section').hidden = !m.resources;
  $('model-resources').textContent = m.resources || '';
  const list = data.adoptions || [];
  $('model-adoptions-empty').hidden = list.length > 0;
  clear($('model-adoptions')).append(...list.map((a) => el('li', { class: 'card' },
    el('h3', { class: 'card__title', text: placeOf(a) }),
    el('p', { class: 'badges' }, el('span', { class: 'badge badge--status-submitted', i18n: `stages.${a.stage}` })),
    el('p', { class: 'card__meta', i18n: 'model.startedOn', vars: { date: formatDate(`${a.started_on}T00:00:00+07:00`) } }),
    a.households ? el('p', { class: 'card__meta', i18n: 'model.householdsN', vars: { n: formatInt(a.households) } }) : null,
    a.notes ? el('p', { class: 'pre', text: a.notes }) : null,
    el('details', { class: 'breakdown' }, el('summary', { i18n: 'model.history', vars: { n: (a.history || []).length } }),
      el('ol', {}, (a.history || []).map((h) => el('li', {},
        t('model.historyItem', { date: formatDateTime(h.recorded_at), stage: t(`stages.${h.stage}`) }),
        h.households ? ` · ${t('model.householdsN', { n: formatInt(h.households) })}` : '',
        h.cost_vnd ? ` · ${formatVnd(h.cost_vnd)}` : '',
        h.notes ? ` · ${h.notes}` : '')))),
    mayUpdate(a) && editing !== a.id
      ? el('p', {}, el('button', { type: 'button', class: 'button button--secondary', 'data-adoption': a.id, on: { click: () => {
        editing = a.id;
        render();
        document.getElementById(`ad-edit-stage-${a.id}`).focus();
      } } }, el('span', { i18n: 'workspace.adoptionEdit' }), el('span', { class: 'visually-hidden', i18n: 'workspace.adoptionEditWhat', vars: { place: placeOf(a) } })))
      : null,
    mayUpdate(a) && editing === a.id ? updateForm(a) : null)));
}

async function setupForm() {
  const wardIds = [...new Set([...wardsWithRole(account, 'leader'), ...wardsWithRole(account, 'volunteer')])];
  if (wardIds.length === 0) return;
  const all = (await api.get('/wards')).wards || [];
  const wardSel = $('ad-ward');
  for (const w of all.filter((x) => wardIds.includes(x.id))) wardSel.append(el('option', { value: String(w.id), text: w.name }));
  const fillGroups = async () => {
    const groups = await wardGroups(Number(wardSel.value));
    clear($('ad-group')).append(...groups.map((g) => el('option', { value: String(g.id), text: g.name })));
  };
  wardSel.addEventListener('change', fillGroups);
  await fillGroups();
  $('model-adopt-section').hidden = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    errors.clear();
    setKey($('model-done'), null);
    const started = $('ad-started');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(started.value)) errors.field(started, 'validation.dayRequired');
    const hh = $('ad-households').value.trim();
    const households = hh === '' ? null : parseInteger(hh);
    if (hh !== '' && !(households !== null && households >= 0 && households < 1e7)) errors.field($('ad-households'), 'model.householdsInvalid');
    if (errors.count > 0) {
      errors.alert('validation.summary');
      errors.focusFirst();
      return;
    }
    const body = { ward_id: Number(wardSel.value), group_id: Number($('ad-group').value), started_on: started.value, stage: $('ad-stage').value };
    if (households !== null) body.households = households;
    if ($('ad-notes').value.trim()) body.notes = $('ad-notes').value.trim();
    setBusy(form, null, true);
    try {
      await api.post(`/models/${id}/adoptions`, body);
    } catch (err) {
      setBusy(form, null, false);
      errors.alert(errorMessage(err));
      return;
    }
    setBusy(form, null, false);
    form.reset();
    data = await api.get(`/models/${id}`);
    render();
    setKey($('model-done'), 'model.adopted');
  });
}

async function main() {
  account = await startPage({ optional: true });
  const status = $('model-status');
  if (!id) {
    setKey(status, null);
    showAlert($('model-alert'), 'errors.not_found');
    return;
  }
  try {
    data = await api.get(`/models/${id}`);
  } catch (err) {
    setKey(status, null);
    showAlert($('model-alert'), err);
    return;
  }
  render();
  setKey(status, null);
  $('model-body').hidden = false;
  if (account) await setupForm().catch((err) => showAlert($('model-alert'), err));
  onLangChange(render);
}

runPage(main);
