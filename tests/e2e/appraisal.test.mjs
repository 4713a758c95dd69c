// Appraisal to published results on a 360 x 740 phone. Seed (lib/appraisal-seed.mjs):
// a call with three proposals, closed and in appraisal, two panelists assigned
// to every proposal. In the browser a panelist saves a draft, meets a version
// conflict (the same review saved elsewhere), scores two proposals and declares
// a conflict of interest on the third (confirmation dialog); the other panelist
// scores through the API. The leader sets the awards, locks the panel with a
// review missing (a note is required), decides in ranking order, publishes
// with the password typed again (a wrong one first), and opens the public
// results page: the winner with its award, the seals, and og:title in the HTML
// that /results/{id} serves. axe-core on each new page in Vietnamese, and on
// the results page in English. Screenshots: /tmp/sangkien-review.png,
// /tmp/sangkien-results.png.
//
// Run: node --test tests/e2e/   (see tests/e2e/lib/server.mjs for the environment)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, phonePage, waitForLang } from './lib/browser.mjs';
import { PASSWORD } from './lib/seed.mjs';
import { PROPOSALS, seedAppraisal } from './lib/appraisal-seed.mjs';
import { alertText, assertAccessibleWithCSP, assertFitsPhone, loginUI, openReady, text } from './lib/flows.mjs';

const { vi, en } = dicts;
const SHOTS = process.env.SANGKIEN_E2E_SCREENSHOTS || '/tmp';
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs database access (psql) for seeding roles' : false;
const TIMEOUT = { timeout: 120000, skip: SKIP };
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));

let srv;
let browser;
let seed;

before(async () => {
  if (SKIP) return;
  srv = await startServer({ env: { SANGKIEN_TEST_CLOCK: '1' } });
  browser = await launchBrowser();
  seed = await seedAppraisal(srv);
});

after(async () => {
  if (browser) await browser.close();
  if (srv) {
    const { code, log } = await srv.stop();
    assert.equal(code, 0, `server exit ${code}; tail:\n${log.slice(-3000)}`);
  }
});

/** Fills every criterion's score (and the overall comment) on review.html. */
async function scoreAll(page, criteria, score) {
  for (const c of criteria) {
    await page.getByLabel(fill(vi.review.scoreLabel, { name: c.name }), { exact: true }).fill(String(score));
  }
  await page.getByLabel(vi.review.overallLabel, { exact: true }).fill('Mô hình rõ ràng, dễ làm ở tổ dân phố.');
}

test('a panelist scores and declares a conflict; the leader locks, decides and publishes; the results are public', TIMEOUT, async () => {
  const { call, proposals, panelists: [a, b], leader } = seed;
  const criteria = call.criteria;
  const panelist = await phonePage(browser, srv.baseURL);
  const page = panelist.page;
  try {
    await loginUI(page, vi, a.phone, { next: `panel.html?campaign=${call.id}` });
    await page.locator('#panel-body').waitFor();
    assert.equal(await text(page.locator('h1')), fill(vi.panel.headingFor, { title: call.title }));
    assert.equal(await page.locator('#panel-list > li').count(), 3);
    await assertAccessibleWithCSP(page, 'panel.html');
    await assertFitsPhone(page, 'panel.html');

    // Proposal 1: a draft, a version conflict, then submitted.
    await page.getByRole('link', { name: PROPOSALS[0], exact: true }).click();
    await page.waitForURL(/\/review\.html\?proposal=\d+$/);
    await page.locator('#rv-body').waitFor();
    assert.equal(await text(page.locator('h1')), PROPOSALS[0]);
    await page.getByLabel(fill(vi.review.scoreLabel, { name: criteria[0].name }), { exact: true }).fill('8');
    await page.getByRole('button', { name: vi.review.saveDraft, exact: true }).click();
    await page.locator('#rv-done').filter({ hasText: vi.review.savedDone }).waitFor();
    // The same review saved elsewhere (another tab): the page's version is stale.
    const other = await a.api.get(`/proposals/${proposals[0].id}/appraisal`);
    await a.api.request('PUT', `/proposals/${proposals[0].id}/review`, { scores: [], overall_comment: '', version: other.review.version });
    await scoreAll(page, criteria, 9);
    await page.getByRole('button', { name: vi.review.submit, exact: true }).click();
    assert.equal(await alertText(page, '#rv-form-alert.is-shown'), vi.review.versionConflict);
    await page.reload();
    await page.locator('#rv-body').waitFor();
    await scoreAll(page, criteria, 9);
    await page.getByLabel(fill(vi.review.commentLabel, { name: criteria[0].name })).fill('Ý tưởng mới ở phường.');
    await assertAccessibleWithCSP(page, 'review.html');
    await assertFitsPhone(page, 'review.html');
    await page.screenshot({ path: path.join(SHOTS, 'sangkien-review.png'), fullPage: true });
    await page.getByRole('button', { name: vi.review.submit, exact: true }).click();
    await page.locator('#rv-done').filter({ hasText: vi.review.submittedDone }).waitFor();
    assert.equal(await text(page.locator('#rv-state')), vi.panel.submitted);
    // Submitted: the others' scores are shown (none yet), and a revision needs a reason.
    await page.locator('#rv-others-section').waitFor();
    assert.equal(await text(page.locator('#rv-others-empty')), vi.review.othersEmpty);
    await page.getByRole('button', { name: vi.review.revise, exact: true }).click();
    assert.equal(await text(page.locator('#rv-reason-error')), vi.review.reasonRequired);

    // Proposal 2.
    await page.getByRole('link', { name: vi.review.back }).click();
    await page.locator('#panel-body').waitFor();
    await page.getByRole('link', { name: PROPOSALS[1], exact: true }).click();
    await page.locator('#rv-body').waitFor();
    await scoreAll(page, criteria, 5);
    await page.getByRole('button', { name: vi.review.submit, exact: true }).click();
    await page.locator('#rv-done').filter({ hasText: vi.review.submittedDone }).waitFor();

    // Proposal 3: a conflict of interest, after the confirmation.
    await page.goto(`/review.html?proposal=${proposals[2].id}`);
    await page.locator('#rv-body').waitFor();
    await page.getByRole('button', { name: vi.review.conflictButton, exact: true }).click();
    assert.equal(await text(page.locator('#rv-conflict-reason-error')), vi.review.conflictReasonRequired);
    await page.getByLabel(vi.review.conflictReason, { exact: true }).fill('Người gửi là hàng xóm sát nhà tôi.');
    await page.getByRole('button', { name: vi.review.conflictButton, exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await assertAccessibleWithCSP(page, 'conflict dialog');
    await dialog.getByRole('button', { name: vi.review.conflictConfirm, exact: true }).click();
    await page.waitForURL(new RegExp(`/panel\\.html\\?campaign=${call.id}$`));
    await page.locator('#panel-body').waitFor();
    assert.equal(await page.locator('#panel-list > li').count(), 2);
    assertNoProblems(page, 'panelist pages');
  } finally {
    await panelist.context.close();
  }

  // The other panelist scores proposals 1 and 2 (lower), and leaves 3 undone.
  for (const [i, score] of [[0, 7], [1, 4]]) {
    const ap = await b.api.get(`/proposals/${proposals[i].id}/appraisal`);
    await b.api.request('PUT', `/proposals/${proposals[i].id}/review`, {
      scores: ap.criteria.map((c) => ({ criterion_id: c.id, score })), overall_comment: 'Được.', version: 0, submit: true,
    });
  }

  const boss = await phonePage(browser, srv.baseURL);
  const lp = boss.page;
  try {
    await loginUI(lp, vi, leader.phone, { next: `appraisal.html?campaign=${call.id}` });
    await lp.locator('#ap-body').waitFor();
    assert.equal(await text(lp.locator('h1')), fill(vi.appraisal.headingFor, { title: call.title }));
    assert.equal(await text(lp.locator('#ap-missing')), fill(vi.appraisal.missing, { n: 1 }));
    await assertAccessibleWithCSP(lp, 'appraisal.html');
    await assertFitsPhone(lp, 'appraisal.html');

    // The awards form: one row (name, count) to start with.
    await lp.getByLabel(vi.workspace.awardName, { exact: true }).fill('Giải Nhất');
    await lp.getByLabel(vi.workspace.awardCount, { exact: true }).fill('1');
    await lp.getByRole('button', { name: vi.appraisal.awardsSave, exact: true }).click();
    await lp.locator('#ap-done').filter({ hasText: vi.appraisal.awardsSaved }).waitFor();

    // Lock with a review missing: a note is required.
    await lp.getByRole('button', { name: vi.appraisal.lock, exact: true }).click();
    assert.equal(await text(lp.locator('#ap-note-error')), vi.appraisal.noteRequired);
    await lp.getByLabel(vi.appraisal.noteLabel, { exact: true }).fill('Một thành viên báo xung đột lợi ích; không kịp giao lại.');
    await lp.getByRole('button', { name: vi.appraisal.lock, exact: true }).click();
    await lp.getByRole('dialog').getByRole('button', { name: vi.appraisal.lock, exact: true }).click();
    await lp.locator('#ap-ranking-section').waitFor();
    const first = lp.locator('#ap-ranking > li').first();
    assert.equal(await text(first.locator('h3')), PROPOSALS[0]);
    assert.equal(await first.getByLabel(fill(vi.appraisal.awardLabel, { code: proposals[0].tracking_code })).inputValue(), 'Giải Nhất');
    await assertAccessibleWithCSP(lp, 'appraisal.html ranking');
    await assertFitsPhone(lp, 'appraisal.html ranking');

    // Decide in ranking order, then publish (a wrong password first).
    await lp.getByRole('button', { name: vi.appraisal.decide, exact: true }).click();
    await lp.getByRole('dialog').getByRole('button', { name: vi.appraisal.decide, exact: true }).click();
    await lp.locator('#ap-publish-section').waitFor();
    await lp.getByLabel(vi.common.passwordLabel, { exact: true }).fill('sai mật khẩu rồi');
    await lp.getByRole('button', { name: vi.appraisal.publish, exact: true }).click();
    await lp.locator('#ap-password-error').filter({ hasText: vi.appraisal.wrongPassword }).waitFor();
    await lp.getByLabel(vi.common.passwordLabel, { exact: true }).fill(PASSWORD);
    await lp.getByRole('button', { name: vi.appraisal.publish, exact: true }).click();
    await lp.locator('#ap-done').filter({ hasText: vi.appraisal.publishedDone }).waitFor();
    assertNoProblems(lp, 'leader pages');
  } finally {
    await boss.context.close();
  }

  // The public page, signed out, served at /results/{id}.
  const pub = await phonePage(browser, srv.baseURL);
  const rp = pub.page;
  try {
    await openReady(rp, `/results/${call.id}`);
    await rp.locator('#res-body').waitFor();
    assert.equal(await text(rp.locator('h1')), fill(vi.results.headingFor, { title: call.title }));
    const winner = rp.locator('#res-winners > li');
    assert.equal(await winner.count(), 1);
    assert.equal(await text(winner.locator('h3')), PROPOSALS[0]);
    assert.match(await text(winner), /Giải Nhất/);
    assert.match(await text(winner), new RegExp(proposals[0].tracking_code));
    assert.equal(await rp.locator('#res-rows > tr').count(), 3);
    assert.equal(await text(rp.locator('#res-config')), call.config_digest);
    assert.match(await text(rp.locator('#res-head')), /^[0-9a-f]{64}$/);
    assert.equal(await rp.getByRole('link', { name: vi.results.csv }).getAttribute('href'), `/api/v1/campaigns/${call.id}/results.csv`);
    await winner.locator('summary').click();
    assert.match(await text(winner.locator('details')), new RegExp(criteria[0].name));
    await assertAccessibleWithCSP(rp, 'results (vi)');
    await assertFitsPhone(rp, 'results (vi)');
    await rp.screenshot({ path: path.join(SHOTS, 'sangkien-results.png'), fullPage: true });
    await rp.emulateMedia({ media: 'print' });
    assert.equal(await rp.locator('.site-header').isVisible(), false);
    assert.equal(await rp.getByRole('button', { name: vi.results.print }).isVisible(), false);
    await rp.emulateMedia({ media: 'screen' });

    await rp.getByRole('button', { name: vi.lang.switch, exact: true }).click();
    await waitForLang(rp, 'en');
    assert.equal(await text(rp.locator('h1')), fill(en.results.headingFor, { title: call.title }));
    assert.equal(await text(rp.locator('#res-winners-title')), en.results.winners);
    await assertAccessibleWithCSP(rp, 'results (en)');
    assertNoProblems(rp, 'results page');
  } finally {
    await pub.context.close();
  }

  const res = await fetch(`${srv.baseURL}/results/${call.id}`);
  assert.equal(res.status, 200);
  const html = await res.text();
  const og = /<meta property="og:title" content="([^"]*)"/.exec(html);
  assert.ok(og, `no og:title in:\n${html.slice(0, 800)}`);
  assert.match(og[1], new RegExp(call.title));
  assert.doesNotMatch(html, /<!--og-->/);
});

test('the catalogue finds the winner without accents; a leader records an adoption with its history', TIMEOUT, async () => {
  const { leader, call } = seed;
  const { models } = await (await fetch(`${srv.baseURL}/api/v1/models`)).json();
  assert.equal(models.length, 1, 'the published winner entered the catalogue');
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await openReady(page, `/call.html?id=${call.id}`);
    await page.locator('#call-body').waitFor();
    assert.equal(await page.getByRole('link', { name: vi.leader.results, exact: true }).getAttribute('href'), `/results/${call.id}`);
    await openReady(page, '/catalogue.html');
    await page.locator('#cat-list > li').first().waitFor();
    await page.getByLabel(vi.catalogue.qLabel, { exact: true }).fill('dang ky lich kham');
    await page.getByRole('button', { name: vi.catalogue.search, exact: true }).click();
    await page.locator('#cat-count').filter({ hasText: fill(vi.catalogue.count, { n: 1 }) }).waitFor();
    // Not adopted yet: said in words, not "0 groups".
    assert.match(await text(page.locator('#cat-list > li').first()), new RegExp(vi.catalogue.noAdoptions));
    await assertAccessibleWithCSP(page, 'catalogue.html');
    await assertFitsPhone(page, 'catalogue.html');
    await page.getByLabel(vi.catalogue.qLabel, { exact: true }).fill('khong co mo hinh nay');
    await page.getByRole('button', { name: vi.catalogue.search, exact: true }).click();
    await page.locator('#cat-empty').waitFor();

    await loginUI(page, vi, leader.phone, { next: `model.html?id=${models[0].id}` });
    await page.locator('#model-adopt-section').waitFor();
    assert.equal(await text(page.locator('h1')), PROPOSALS[0]);
    assert.equal(await page.getByRole('link', { name: call.title }).getAttribute('href'), `/results/${call.id}`);
    // Without a start date: the field says a date (not a date and time) is missing.
    await page.getByRole('button', { name: vi.model.adoptSubmit, exact: true }).click();
    assert.equal(await text(page.locator('#ad-started-error')), vi.validation.dayRequired);
    await page.getByLabel(vi.model.startedLabel, { exact: true }).fill('2026-12-01');
    await page.getByLabel(vi.catalogue.stageLabel, { exact: true }).selectOption('piloting');
    await page.getByLabel(vi.proposal.households).fill('40');
    await page.getByRole('button', { name: vi.model.adoptSubmit, exact: true }).click();
    await page.locator('#model-done').filter({ hasText: vi.model.adopted }).waitFor();
    const card = page.locator('#model-adoptions > li');
    assert.equal(await card.count(), 1);
    assert.match(await text(card), new RegExp(vi.stages.piloting));
    await assertAccessibleWithCSP(page, 'model.html');
    await assertFitsPhone(page, 'model.html');
    assertNoProblems(page, 'catalogue pages');
  } finally {
    await context.close();
  }
});
