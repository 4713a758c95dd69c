// The leader's appraisal workspace (issue 9), seeded by lib/appraisal-seed.mjs
// (three proposals in appraisal, panelists A and B on every one) with a third
// panelist C named to the panel and given nothing. On a 360 px phone the
// leader jumps between the page's sections, reads who reviews what (one card
// per proposal, each review's state), moves B's unstarted review of the first
// proposal to C with "Chuyển" (only C is offered), and sets the awards with the
// form (an empty name refused, a row moved up with the keyboard, a row
// removed). At 1280 px the same assignments are a table with a caption and
// headers. After the reviews, the lock, the decision and the publication (API),
// the leader publishes a correction from the page (one award taken away, with
// its reason, the public reason and the password again) that the public results
// show, and checks the score record in plain words. A leader updates an
// adoption's stage and households on the model page; a visitor is offered no
// update. axe-core with the CSP on at both widths. Screenshots
// /tmp/sangkien-workspace-360.png and /tmp/sangkien-workspace-1280.png.
//
// Run: node --test tests/e2e/workspace.test.mjs   (see tests/e2e/README.md)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, phonePage, waitForLang } from './lib/browser.mjs';
import { PASSWORD, addGroup, makeAccount } from './lib/seed.mjs';
import { PROPOSALS, seedAppraisal } from './lib/appraisal-seed.mjs';
import { assertAccessibleWithCSP, assertFitsPhone, loginUI, openReady, text } from './lib/flows.mjs';

/** axe-core with the CSP on: no violation at all, whatever its impact (landmark-unique is moderate). */
async function assertAccessible(page, label) {
  const results = await assertAccessibleWithCSP(page, label);
  const all = results.violations.map((v) => `${v.impact} ${v.id}: ${v.help} -> ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(all, [], `axe violations (any impact) on ${label}`);
}

const { vi, en } = dicts;
const SHOTS = process.env.SANGKIEN_E2E_SCREENSHOTS || '/tmp';
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs database access (psql) for seeding roles' : false;
const TIMEOUT = { timeout: 180000, skip: SKIP };
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
const DESKTOP = { viewport: { width: 1280, height: 900 }, isMobile: false, hasTouch: false, deviceScaleFactor: 1 };

let srv;
let browser;
let seed;
let c;

before(async () => {
  if (SKIP) return;
  srv = await startServer({ env: { SANGKIEN_TEST_CLOCK: '1' } });
  browser = await launchBrowser();
  seed = await seedAppraisal(srv);
  const group = await addGroup(srv, 'Tổ dân phố 15');
  c = await makeAccount(srv, { name: 'Trần Văn Chấm', phone: '0922000003', groupId: group.id }, 'panelist');
  const { leader, panelists: [a, b], call } = seed;
  await leader.api.request('PUT', `/campaigns/${call.id}/panel`, { panelist_ids: [a.id, b.id, c.id] });
});

after(async () => {
  if (browser) await browser.close();
  if (srv) {
    const { code, log } = await srv.stop();
    assert.equal(code, 0, `server exit ${code}; tail:\n${log.slice(-3000)}`);
  }
});

/** Saves (or submits) panelist p's review of proposal pid with every criterion at score. */
async function review(p, pid, score, submit = true) {
  const ap = await p.api.get(`/proposals/${pid}/appraisal`);
  await p.api.request('PUT', `/proposals/${pid}/review`, {
    scores: ap.criteria.map((k) => ({ criterion_id: k.id, score })), overall_comment: 'Làm được ở tổ.',
    version: ap.review ? ap.review.version : 0, submit,
  });
}

/** "name: state" of each reviewer in a card or table row. */
async function reviewerStates(scope) {
  const items = scope.locator('.reviewer');
  const out = [];
  for (let i = 0; i < await items.count(); i++) {
    out.push(`${await text(items.nth(i).locator('.reviewer__name'))}: ${await text(items.nth(i).locator('.badge'))}`);
  }
  return out;
}

test('the leader reads and moves assignments, sets the awards, corrects the results and checks the score record', TIMEOUT, async () => {
  const { leader, panelists: [a, b], call, proposals } = seed;
  const st = vi.workspace.reviewStates;
  // A has a draft of proposal 1; B has submitted proposal 2.
  await review(a, proposals[0].id, 6, false);
  await review(b, proposals[1].id, 5);

  const boss = await phonePage(browser, srv.baseURL);
  const lp = boss.page;
  try {
    await loginUI(lp, vi, leader.phone, { next: `appraisal.html?campaign=${call.id}` });
    await lp.locator('#ap-body').waitFor();

    // The jump list names the sections shown, and takes the leader there.
    const jump = lp.getByRole('navigation', { name: vi.workspace.jumpLabel });
    const links = await jump.getByRole('link').allTextContents();
    assert.deepEqual(links.map((s) => s.trim()), [vi.workspace.jumpPanel, vi.workspace.jumpAssignments, vi.workspace.jumpProgress,
      vi.workspace.jumpLock, vi.workspace.jumpAwards, vi.workspace.jumpRecord]);
    await jump.getByRole('link', { name: vi.workspace.jumpAssignments, exact: true }).click();
    await lp.waitForURL(/#ap-assignments-section$/);

    // One card per proposal: who reviews it, and how far.
    const cards = lp.locator('#ap-assign-cards > li');
    assert.equal(await cards.count(), 3);
    assert.equal(await lp.locator('.assign-table').isVisible(), false, 'the table is for wider screens');
    const card = (i) => cards.filter({ has: lp.getByRole('heading', { name: PROPOSALS[i], exact: true }) });
    assert.deepEqual(await reviewerStates(card(0)), [`${a.name}: ${st.draft}`, `${b.name}: ${st.not_started}`]);
    assert.deepEqual(await reviewerStates(card(1)), [`${a.name}: ${st.not_started}`, `${b.name}: ${st.submitted}`]);
    // Only a review not started can move: A's draft has no "Chuyển".
    const moveName = (name, code) => `${vi.workspace.move}${fill(vi.workspace.moveWhat, { name, code })}`;
    const code0 = proposals[0].tracking_code;
    assert.equal(await lp.getByRole('button', { name: moveName(a.name, code0), exact: true }).count(), 0);
    await assertAccessible(lp, 'appraisal.html assignments (360)');
    await assertFitsPhone(lp, 'appraisal.html assignments');

    // Move B's review of proposal 1: only C may take it (A reviews it already).
    await lp.getByRole('button', { name: moveName(b.name, code0), exact: true }).click();
    const to = lp.getByLabel(fill(vi.workspace.moveTo, { name: b.name, code: code0 }), { exact: true });
    assert.ok(await to.evaluate((e) => e === document.activeElement), 'the picker takes the focus');
    assert.deepEqual((await to.locator('option').allTextContents()).map((s) => s.trim()), [c.name]);
    await assertAccessible(lp, 'appraisal.html move picker');
    await lp.getByRole('button', { name: vi.workspace.moveConfirm, exact: true }).click();
    await lp.locator('#ap-done').filter({ hasText: fill(vi.workspace.movedDone, { code: code0, from: b.name, to: c.name }) }).waitFor();
    assert.deepEqual(await reviewerStates(card(0)), [`${a.name}: ${st.draft}`, `${c.name}: ${st.not_started}`]);
    const moved = await leader.api.get(`/campaigns/${call.id}/assignments`);
    assert.deepEqual(moved.proposals[0].reviewers.map((r) => r.panelist_id), [a.id, c.id]);

    // The awards form: an empty name is refused; a row moves up with the keyboard; a row is removed.
    const awardsForm = lp.locator('#ap-awards-form');
    await awardsForm.getByLabel(vi.workspace.awardName, { exact: true }).fill('Giải Nhì');
    await awardsForm.getByLabel(vi.workspace.awardCount, { exact: true }).fill('2');
    await lp.getByRole('button', { name: vi.workspace.awardAdd, exact: true }).click();
    const row = (n) => awardsForm.getByRole('group', { name: fill(vi.workspace.awardRowLegend, { n }), exact: true });
    assert.ok(await row(2).getByLabel(vi.workspace.awardName).evaluate((e) => e === document.activeElement), 'a new row takes the focus');
    await lp.keyboard.type('Giải Nhất');
    await row(2).getByLabel(vi.workspace.awardCount).fill('1');
    await lp.getByRole('button', { name: vi.workspace.awardAdd, exact: true }).click();
    await lp.getByRole('button', { name: vi.appraisal.awardsSave, exact: true }).click();
    assert.equal(await text(lp.locator('#ap-awards-error')), fill(vi.workspace.awardNameRequired, { n: 3 }));
    assert.equal(await row(3).getByLabel(vi.workspace.awardName).getAttribute('aria-invalid'), 'true');
    await lp.getByRole('button', { name: `${vi.workspace.awardRemove}${fill(vi.workspace.awardRowOf, { n: 3 })}`, exact: true }).click();
    assert.equal(await lp.locator('#ap-awards-error').isVisible(), false, 'the error left with its row');
    const up2 = lp.getByRole('button', { name: `${vi.workspace.awardUp}${fill(vi.workspace.awardRowOf, { n: 2 })}`, exact: true });
    await up2.focus();
    await lp.keyboard.press('Enter');
    assert.equal(await text(lp.locator('#ap-awards-live')), fill(vi.workspace.awardMoved, { name: 'Giải Nhất', n: 1 }));
    assert.equal(await row(1).getByLabel(vi.workspace.awardName).inputValue(), 'Giải Nhất');
    assert.ok(await row(1).getByLabel(vi.workspace.awardName).evaluate((e) => e === document.activeElement),
      'focus stays on the moved award');
    await assertAccessible(lp, 'appraisal.html awards form');
    await lp.screenshot({ path: path.join(SHOTS, 'sangkien-workspace-360.png'), fullPage: true });
    await assertFitsPhone(lp, 'appraisal.html awards form');
    await lp.getByRole('button', { name: vi.appraisal.awardsSave, exact: true }).click();
    await lp.locator('#ap-done').filter({ hasText: vi.appraisal.awardsSaved }).waitFor();
    assert.deepEqual((await leader.api.get(`/campaigns/${call.id}/awards`)).awards,
      [{ name: 'Giải Nhất', count: 1 }, { name: 'Giải Nhì', count: 2 }]);
    assert.equal(await row(2).getByLabel(vi.workspace.awardName).inputValue(), 'Giải Nhì', 'the saved awards are shown');
    assertNoProblems(lp, 'appraisal.html (360)');
  } finally {
    await boss.context.close();
  }

  // At 1280 px the assignments are a table with a caption and headers.
  const wide = await phonePage(browser, srv.baseURL, DESKTOP);
  const wp = wide.page;
  try {
    await loginUI(wp, vi, leader.phone, { next: `appraisal.html?campaign=${call.id}` });
    await wp.locator('#ap-body').waitFor();
    const table = wp.getByRole('table', { name: vi.workspace.assignmentsCaption });
    await table.waitFor();
    assert.equal(await wp.locator('#ap-assign-cards').isVisible(), false);
    assert.deepEqual((await table.getByRole('columnheader').allTextContents()).map((s) => s.trim()),
      [vi.workspace.colProposal, vi.workspace.colReviewers, vi.workspace.colConflicts]);
    assert.equal(await table.getByRole('rowheader').count(), 3);
    const r0 = table.getByRole('row').filter({ has: wp.getByRole('rowheader').filter({ hasText: PROPOSALS[0] }) });
    assert.deepEqual(await reviewerStates(r0), [`${a.name}: ${st.draft}`, `${c.name}: ${st.not_started}`]);
    await assertAccessible(wp, 'appraisal.html assignments (1280)');
    await wp.screenshot({ path: path.join(SHOTS, 'sangkien-workspace-1280.png'), fullPage: true });
    // In English, the same table and states, and the jump list.
    await wp.getByRole('button', { name: vi.lang.switch, exact: true }).click();
    await waitForLang(wp, 'en');
    const tableEn = wp.getByRole('table', { name: en.workspace.assignmentsCaption });
    const r0en = tableEn.getByRole('row').filter({ has: wp.getByRole('rowheader').filter({ hasText: PROPOSALS[0] }) });
    assert.deepEqual(await reviewerStates(r0en), [`${a.name}: ${en.workspace.reviewStates.draft}`, `${c.name}: ${en.workspace.reviewStates.not_started}`]);
    await wp.getByRole('navigation', { name: en.workspace.jumpLabel }).getByRole('link', { name: en.workspace.jumpAwards, exact: true }).waitFor();
    await assertAccessible(wp, 'appraisal.html assignments (1280, en)');
    await wp.getByRole('button', { name: en.lang.switch, exact: true }).click();
    await waitForLang(wp, 'vi');
    assertNoProblems(wp, 'appraisal.html (1280)');
  } finally {
    await wide.context.close();
  }

  // Every review done, locked, decided in ranking order and published (API).
  for (const [p, i, s] of [[a, 0, 9], [c, 0, 9], [a, 1, 7], [a, 2, 5], [b, 2, 5]]) await review(p, proposals[i].id, s);
  await leader.api.post(`/campaigns/${call.id}/panel/lock`, {});
  await leader.api.post(`/campaigns/${call.id}/decision`, {});
  await leader.api.post(`/campaigns/${call.id}/publish`, { password: PASSWORD });

  const boss2 = await phonePage(browser, srv.baseURL);
  const cp = boss2.page;
  let reasonText;
  try {
    await loginUI(cp, vi, leader.phone, { next: `appraisal.html?campaign=${call.id}` });
    await cp.locator('#ap-body').waitFor();
    const jump = cp.getByRole('navigation', { name: vi.workspace.jumpLabel });
    assert.deepEqual((await jump.getByRole('link').allTextContents()).map((s) => s.trim()),
      [vi.workspace.jumpRanking, vi.workspace.jumpDecision, vi.workspace.jumpCorrection, vi.workspace.jumpRecord]);
    // The published awards are chosen already; the third place loses its award, with a reason.
    const { ranking } = await leader.api.get(`/campaigns/${call.id}/ranking`);
    assert.deepEqual(ranking.map((e) => e.default_award), ['Giải Nhất', 'Giải Nhì', 'Giải Nhì']);
    const third = ranking[2];
    const code2 = third.tracking_code;
    const sel2 = cp.getByLabel(fill(vi.appraisal.awardLabel, { code: code2 }), { exact: true });
    assert.equal(await sel2.inputValue(), 'Giải Nhì');
    assert.equal(await cp.getByLabel(fill(vi.appraisal.awardLabel, { code: ranking[0].tracking_code }), { exact: true }).inputValue(), 'Giải Nhất');
    assert.equal(await cp.getByRole('button', { name: vi.appraisal.decide }).count(), 0, 'no second decision');
    await sel2.selectOption('');
    await cp.getByRole('button', { name: vi.workspace.correct, exact: true }).click();
    assert.equal(await text(cp.locator(`#ap-reason-${third.proposal_id}-error`)), vi.appraisal.reasonRequired);
    await cp.getByLabel(fill(vi.appraisal.reasonLabel, { code: code2 }), { exact: true }).fill('Đề xuất trùng với mô hình phường đã làm năm 2025.');
    await cp.getByRole('button', { name: vi.workspace.correct, exact: true }).click();
    assert.equal(await text(cp.locator('#ap-correction-reason-error')), vi.workspace.correctionReasonRequired);
    reasonText = 'Phát hiện đề xuất thứ ba trùng mô hình đã có.';
    await cp.getByLabel(vi.workspace.correctionReasonLabel, { exact: true }).fill(reasonText);
    await cp.getByLabel(vi.workspace.correctionPasswordLabel, { exact: true }).fill('sai mật khẩu rồi');
    await cp.getByRole('button', { name: vi.workspace.correct, exact: true }).click();
    await cp.getByRole('dialog').getByRole('button', { name: vi.workspace.correct, exact: true }).click();
    await cp.locator('#ap-correction-password-error').filter({ hasText: vi.appraisal.wrongPassword }).waitFor();
    await cp.getByLabel(vi.workspace.correctionPasswordLabel, { exact: true }).fill(PASSWORD);
    await assertAccessible(cp, 'appraisal.html correction');
    await assertFitsPhone(cp, 'appraisal.html correction');
    await cp.getByRole('button', { name: vi.workspace.correct, exact: true }).click();
    await cp.getByRole('dialog').getByRole('button', { name: vi.workspace.correct, exact: true }).click();
    await cp.locator('#ap-done').filter({ hasText: vi.workspace.correctedDone }).waitFor();
    assert.equal(await text(cp.locator('#ap-decision-correction')), fill(vi.workspace.decisionCorrected, { version: 2, reason: reasonText }));

    // The score record, in plain words: six submissions, the head's first 16 hex digits.
    await cp.getByRole('button', { name: vi.workspace.recordCheck, exact: true }).click();
    const rec = await leader.api.get(`/campaigns/${call.id}/score-record`);
    await cp.locator('#ap-record-result').filter({ hasText: fill(vi.workspace.recordOk, { n: 6, head: rec.head.slice(0, 16) }) }).waitFor();
    await assertAccessible(cp, 'appraisal.html score record');
    assertNoProblems(cp, 'appraisal.html corrected');
  } finally {
    await boss2.context.close();
  }

  // The public results show the correction and its reason; the third proposal has no award.
  const pub = await phonePage(browser, srv.baseURL);
  try {
    const rp = pub.page;
    await openReady(rp, `/results/${call.id}`);
    await rp.locator('#res-body').waitFor();
    assert.equal(await text(rp.locator('#res-correction')), fill(vi.results.correction, { reason: reasonText }));
    assert.equal(await rp.locator('#res-winners > li').count(), 2);
    await assertAccessible(rp, 'results corrected (360)');
  } finally {
    await pub.context.close();
  }
});

test('a leader updates an adoption on the model page; a visitor cannot', TIMEOUT, async () => {
  const { leader, call } = seed;
  const { models } = await leader.api.get(`/models?ward_id=${srv.ward.id}`);
  const model = models.find((m) => m.campaign && m.campaign.id === call.id) || models[0];
  assert.ok(model, 'a published winner is in the catalogue');
  const { adoption } = await leader.api.post(`/models/${model.id}/adoptions`,
    { ward_id: srv.ward.id, group_id: srv.group.id, started_on: '2027-03-01', stage: 'planned' });
  const place = `${adoption.group.name}, ${adoption.ward.name}`;
  const editName = `${vi.workspace.adoptionEdit}${fill(vi.workspace.adoptionEditWhat, { place })}`;

  // The form that records an adoption refuses a number of households without digits too.
  const rec = await phonePage(browser, srv.baseURL);
  try {
    await loginUI(rec.page, vi, leader.phone, { next: `model.html?id=${model.id}` });
    await rec.page.locator('#model-adopt-section').waitFor();
    const adopt = rec.page.locator('#model-form');
    await adopt.getByLabel(vi.model.startedLabel, { exact: true }).fill('2027-04-01');
    await adopt.getByLabel(vi.proposal.households).fill('nhiều');
    await adopt.getByRole('button', { name: vi.model.adoptSubmit, exact: true }).click();
    await rec.page.locator('#ad-households-error').filter({ hasText: vi.model.householdsInvalid }).waitFor();
    assert.equal((await leader.api.get(`/models/${model.id}`)).adoptions.length, 1, 'nothing recorded');
  } finally {
    await rec.context.close();
  }

  const visitor = await phonePage(browser, srv.baseURL);
  try {
    await openReady(visitor.page, `/model.html?id=${model.id}`);
    await visitor.page.locator('#model-body').waitFor();
    assert.equal(await visitor.page.getByRole('button', { name: editName }).count(), 0);
  } finally {
    await visitor.context.close();
  }

  for (const options of [{}, DESKTOP]) {
    const ctx = await phonePage(browser, srv.baseURL, options);
    const page = ctx.page;
    try {
      await loginUI(page, vi, leader.phone, { next: `model.html?id=${model.id}` });
      await page.locator('#model-body').waitFor();
      await page.getByRole('button', { name: editName, exact: true }).click();
      const form = page.getByRole('form', { name: fill(vi.workspace.adoptionEditHeading, { place }) });
      await form.waitFor();
      await assertAccessible(page, `model.html update (${options.viewport ? 1280 : 360})`);
      if (!options.viewport) await assertFitsPhone(page, 'model.html update');
      const stage = options.viewport ? 'in_use' : 'piloting';
      await form.getByLabel(vi.catalogue.stageLabel, { exact: true }).selectOption(stage);
      await form.getByLabel(vi.proposal.households).fill(options.viewport ? 'nhiều' : '120');
      await form.getByRole('button', { name: vi.workspace.adoptionSave, exact: true }).click();
      if (options.viewport) {
        assert.equal(await text(form.locator('.field-error').first()), vi.model.householdsInvalid);
        await form.getByLabel(vi.proposal.households).fill('150');
        await form.getByRole('button', { name: vi.workspace.adoptionSave, exact: true }).click();
      }
      await page.locator('#model-done').filter({ hasText: fill(vi.workspace.adoptionUpdated, { place }) }).waitFor();
      const card = page.locator('#model-adoptions > li').filter({ hasText: place });
      assert.equal(await text(card.locator('.badge')), vi.stages[stage]);
      assertNoProblems(page, 'model.html');
    } finally {
      await ctx.context.close();
    }
  }
  const { adoptions } = await leader.api.get(`/models/${model.id}`);
  const after = adoptions.find((x) => x.id === adoption.id);
  assert.equal(after.stage, 'in_use');
  assert.equal(after.households, 150);
  assert.equal(after.version, 3);
  assert.ok(after.history.length >= 2, 'every version is kept');
});
