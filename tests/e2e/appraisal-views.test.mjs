// What each person sees around the appraisal, on a 360 x 740 phone. Seed
// (lib/appraisal-seed.mjs with a photo on the first proposal): a call in
// appraisal with three proposals and two panelists.
//
// - The panelist reaches the call from the home page's scoring link (with how
//   many reviews are done) and sees the resident's photo on the scoring page;
//   a panelist of the ward who is not on the panel is not offered the call.
// - The leader names the panel by ticking the ward's panelists by name and
//   residential group (keyboard only; no account numbers to type; saving with
//   nobody ticked is refused); the panel's members come ticked.
// - The leader sees a declared conflict of interest with its reason; the
//   "members per proposal" field shows only for that way of assigning, filled
//   with the call's number of reviews.
// - After a lock with one review only (a score without a 95% interval) the
//   leader's ranking still shows, with the per-criterion breakdown, the
//   panel's agreement and what normalisation does (the member with one review
//   is left as is; no proposal moves), and warns where an award place falls on a
//   proposal nobody scored; an award taken away with a reason survives a
//   switch to English; the decision and the publication work in English, and
//   between the two the decided awards and the reason for the departure are
//   shown again after a reload, before the password prompt.
// - The resident goes from My proposals to the result of their own proposal
//   (award, rank, the panel's comments, a link to the whole results); the public results page
//   names the ward; residential groups are listed 5 before 12.
//
// Run: node --test tests/e2e/   (see tests/e2e/lib/server.mjs for the environment)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, open, phonePage, waitForLang } from './lib/browser.mjs';
import { PASSWORD, makeAccount } from './lib/seed.mjs';
import { PROPOSALS, seedAppraisal } from './lib/appraisal-seed.mjs';
import { assertAccessibleWithCSP, assertFitsPhone, loginUI, openReady, text } from './lib/flows.mjs';

const { vi, en } = dicts;
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs database access (psql) for seeding roles' : false;
const TIMEOUT = { timeout: 150000, skip: SKIP };
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
const OVERALL = 'Cách làm gọn, tổ dân phố nào cũng làm theo được.';

let srv;
let browser;
let seed;

before(async () => {
  if (SKIP) return;
  srv = await startServer({ env: { SANGKIEN_TEST_CLOCK: '1' } });
  browser = await launchBrowser();
  seed = await seedAppraisal(srv, { photo: true });
});

after(async () => {
  if (browser) await browser.close();
  if (srv) {
    const { code, log } = await srv.stop();
    assert.equal(code, 0, `server exit ${code}; tail:\n${log.slice(-3000)}`);
  }
});

test('from the photo a panelist sees to the result a resident reads', TIMEOUT, async () => {
  const { call, proposals, panelists: [a, b], leader, resident, photo } = seed;
  assert.ok(photo && photo.id, 'the seed attached a photo');

  // The panelist: the home page leads to scoring; the scoring page shows the photo.
  const pan = await phonePage(browser, srv.baseURL);
  try {
    const page = pan.page;
    await loginUI(page, vi, a.phone, { next: 'index.html' });
    await page.getByRole('main').getByRole('link', { name: vi.home.panelCta, exact: true }).click();
    await page.waitForURL(/\/panel\.html$/);
    const callCard = page.locator(`#call-${call.id}`);
    await callCard.waitFor();
    assert.match(await text(callCard), new RegExp(fill(vi.panel.progress, { done: 0, n: 3 })));
    await openReady(page, `/review.html?proposal=${proposals[0].id}`);
    await page.locator('#rv-body').waitFor();
    await page.getByText(vi.review.readProposal, { exact: true }).click();
    const files = page.locator('#rv-files > li');
    assert.equal(await files.count(), 1);
    assert.equal(await files.locator('a').getAttribute('href'), `/api/v1/attachments/${photo.id}`);
    // The image really loads for the panelist (the server lets an assigned panelist read it).
    await page.waitForFunction(() => {
      const img = document.querySelector('#rv-files img');
      return img && img.complete && img.naturalWidth > 0;
    });
    assert.equal(await page.locator('#rv-no-files').isVisible(), false);
    // The photo is shown inline at a readable size from a ?size= copy (not only a link), lazily,
    // with a neutral alt text ("Ảnh 1": never the author or the file name).
    const photoName = 'Ảnh 1';
    const shown = await page.locator('#rv-files img').first().evaluate((i) => ({
      src: i.currentSrc, srcset: i.srcset, sizes: i.sizes, w: i.getBoundingClientRect().width, alt: i.alt, lazy: i.loading,
    }));
    assert.match(shown.src, new RegExp(`/api/v1/attachments/${photo.id}\\?size=(320|1024)$`), 'inline photo from a ?size= copy');
    assert.match(shown.srcset, /\?size=320 320w, .*\?size=1024 1024w$/);
    assert.ok(shown.sizes, 'sizes is set');
    assert.ok(shown.w >= 250, `photo shown at a readable width (${shown.w}px)`);
    assert.equal(shown.alt, photoName);
    assert.equal(shown.lazy, 'lazy');
    assert.equal(fill(vi.review.photoN, { n: 1 }), photoName);
    // Tap to enlarge, by keyboard: a modal dialog with the photo; Escape closes it and focus returns.
    const opener = page.getByRole('button', { name: `${photoName} ${vi.review.photoEnlarge}`, exact: true });
    await opener.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: photoName, exact: true });
    await dialog.waitFor();
    await page.waitForFunction(() => {
      const img = document.querySelector('dialog img');
      return img && img.complete && img.naturalWidth > 0;
    });
    assert.equal(await page.evaluate(() => document.activeElement.textContent), vi.review.photoClose);
    await assertAccessibleWithCSP(page, 'review.html with the photo enlarged');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await opener.evaluate((b) => b === document.activeElement), true, 'focus back on the photo');
    // The labelled close button, by keyboard, too.
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await opener.evaluate((b) => b === document.activeElement), true, 'focus back on the photo');
    await assertAccessibleWithCSP(page, 'review.html with a photo');
    await assertFitsPhone(page, 'review.html with a photo');
    // Another proposal without files says so.
    await openReady(page, `/review.html?proposal=${proposals[1].id}`);
    await page.locator('#rv-body').waitFor();
    await page.getByText(vi.review.readProposal, { exact: true }).click();
    assert.equal(await text(page.locator('#rv-no-files')), vi.proposal.noAttachments);
    assertNoProblems(page, 'panelist pages');
  } finally {
    await pan.context.close();
  }

  // A panelist of the ward who is not on this call's panel is not offered it.
  const outsider = await makeAccount(srv, { name: 'Ngô Văn Ngoài', phone: '0922000009' }, 'panelist');
  const out = await phonePage(browser, srv.baseURL);
  try {
    await loginUI(out.page, vi, outsider.phone, { next: 'panel.html' });
    await out.page.locator('#panel-body').waitFor();
    assert.equal(await out.page.locator('#panel-list > li').count(), 0);
    assert.equal(await text(out.page.locator('#panel-empty')), vi.panel.empty);
    assertNoProblems(out.page, 'panelist not on the panel');
  } finally {
    await out.context.close();
  }

  const boss = await phonePage(browser, srv.baseURL);
  const lp = boss.page;
  try {
    // A conflict declared by the other panelist is listed for the leader, with its reason.
    const why = 'Người gửi là em họ của tôi.';
    await b.api.post(`/proposals/${proposals[2].id}/conflict`, { reason: why });
    await loginUI(lp, vi, leader.phone, { next: `appraisal.html?campaign=${call.id}` });
    await lp.locator('#ap-body').waitFor();
    assert.deepEqual(await lp.locator('#ap-conflicts > li').allTextContents(), [fill(vi.appraisal.conflictItemReason, {
      name: b.name, code: proposals[2].tracking_code, kind: vi.appraisal.conflictKinds.declared, reason: why,
    })]);
    // The panel, by name: the two members ticked, the outsider (a panelist of the ward) not.
    // The seed's panelists live in "Tổ dân phố 12", the outsider in the ward's first group.
    const groupOf = (w) => (w === outsider ? srv.group.name : 'Tổ dân phố 12');
    const label = (w, d = vi) => fill(d.appraisal.candidateItemGroup, { name: w.name, group: groupOf(w), id: w.id });
    const boxOf = (w, d = vi) => lp.getByRole('checkbox', { name: label(w, d), exact: true });
    assert.equal(await lp.locator('#ap-candidates legend').textContent(), vi.appraisal.candidatesLegend);
    assert.equal(await boxOf(a).isChecked(), true);
    assert.equal(await boxOf(b).isChecked(), true);
    assert.equal(await boxOf(outsider).isChecked(), false);
    await assertAccessibleWithCSP(lp, 'appraisal.html panel candidates');
    await assertFitsPhone(lp, 'appraisal.html panel candidates');
    // Nobody ticked: refused, with the message tied to the group of checkboxes.
    for (const w of [a, b]) {
      await boxOf(w).focus();
      await lp.keyboard.press('Space');
    }
    await lp.getByRole('button', { name: vi.appraisal.panelSave, exact: true }).click();
    assert.equal(await text(lp.locator('#ap-candidates-error')), vi.appraisal.candidatesRequired);
    assert.match(await lp.locator('#ap-candidates').getAttribute('aria-describedby'), /ap-candidates-error/);
    // With the keyboard: tick the two members again and the outsider, save.
    for (const w of [a, b, outsider]) {
      await boxOf(w).focus();
      await lp.keyboard.press('Space');
    }
    // The ticks survive a switch to English and back.
    await lp.getByRole('button', { name: vi.lang.switch, exact: true }).click();
    await waitForLang(lp, 'en');
    assert.equal(await boxOf(outsider, en).isChecked(), true);
    assert.equal(await lp.locator('#ap-candidates legend').textContent(), en.appraisal.candidatesLegend);
    await lp.getByRole('button', { name: en.lang.switch, exact: true }).click();
    await waitForLang(lp, 'vi');
    assert.equal(await boxOf(outsider).isChecked(), true);
    await lp.getByRole('button', { name: vi.appraisal.panelSave, exact: true }).focus();
    await lp.keyboard.press('Enter');
    await lp.locator('#ap-done').filter({ hasText: vi.appraisal.panelSaved }).waitFor();
    const members = async () => (await leader.api.get(`/campaigns/${call.id}/panel`)).panelists.map((p) => p.account_id).sort();
    assert.deepEqual(await members(), [a.id, b.id, outsider.id].sort());
    assert.equal(await boxOf(outsider).isChecked(), true, 'ticked after the reload of the panel');
    assert.match(await text(lp.locator('#ap-panelists')), new RegExp(outsider.name));
    // And off again: the panel the rest of the test expects.
    await boxOf(outsider).uncheck();
    await lp.getByRole('button', { name: vi.appraisal.panelSave, exact: true }).click();
    await lp.locator('#ap-done').filter({ hasText: vi.appraisal.panelSaved }).waitFor();
    assert.deepEqual(await members(), [a.id, b.id].sort());

    const k = lp.getByLabel(vi.appraisal.kLabel, { exact: true });
    assert.equal(await k.isVisible(), false, 'no "members per proposal" while every member scores everything');
    await lp.getByLabel(vi.appraisal.modeK, { exact: true }).check();
    assert.equal(await k.isVisible(), true);
    assert.equal(await k.inputValue(), String(call.reviews_required));
    await lp.getByLabel(vi.appraisal.modeAll, { exact: true }).check();
    assert.equal(await k.isVisible(), false);

    // Only one review, of the first proposal: its score has no interval.
    const ap = await a.api.get(`/proposals/${proposals[0].id}/appraisal`);
    await a.api.request('PUT', `/proposals/${proposals[0].id}/review`, {
      scores: ap.criteria.map((c) => ({ criterion_id: c.id, score: 8 })), overall_comment: OVERALL, version: 0, submit: true,
    });
    await leader.api.request('PUT', `/campaigns/${call.id}/awards`, { awards: [{ name: 'Giải Nhất', count: 1 }, { name: 'Giải Nhì', count: 1 }] });
    await leader.api.post(`/campaigns/${call.id}/panel/lock`, { allow_missing: true, note: 'Hết thời gian chấm.' });

    await lp.reload();
    await lp.locator('#ap-ranking-section').waitFor();
    assert.equal(await lp.locator('#ap-alert.is-shown').count(), 0, 'no error on the page');
    const first = lp.locator('#ap-ranking > li').first();
    assert.equal(await text(first.locator('h3')), PROPOSALS[0]);
    const score = await text(first.locator('.details__row').filter({ hasText: vi.results.colScore }).locator('dd'));
    assert.doesNotMatch(score, /\(/, `a single review has no interval: ${score}`);
    assert.notEqual(score, vi.results.noScore);
    // The per-criterion breakdown and the panel's agreement are there to decide with.
    await first.locator('summary').filter({ hasText: vi.results.breakdown }).click();
    assert.match(await text(first.locator('details')), new RegExp(call.criteria[0].name));
    assert.match(await text(lp.locator('#ap-agreement')), new RegExp(vi.results.agreementOverall));
    // What normalisation does: the member with a single review is left as is; no proposal moves.
    const norm = await lp.locator('#ap-norm-panelists > li').allTextContents();
    assert.equal(norm.length, 1, 'one member has reviewed');
    assert.match(norm[0], /^Phạm Thị Thẩm: /);
    assert.ok(norm[0].endsWith(fill(vi.appraisal.rankingNormUnadjusted, { name: '', mean: '', n: 1 }).split(';')[1]), norm[0]);
    assert.equal(await text(lp.locator('#ap-norm-moved-intro')), vi.appraisal.rankingNormMovedNone);
    await assertAccessibleWithCSP(lp, 'appraisal.html ranking with one review');
    await assertFitsPhone(lp, 'appraisal.html ranking with one review');

    // The second proposal has no review but falls on the second place: the page says so.
    const second = lp.locator('#ap-ranking > li').nth(1);
    assert.equal(await text(second.locator('h3')), PROPOSALS[1]);
    assert.equal(await text(second.locator('.unscored-award')), fill(vi.appraisal.unscoredAward, { award: 'Giải Nhì' }));
    assert.equal(await first.locator('.unscored-award').count(), 0);

    // Take the second award away, with a reason; switch to English: both are kept.
    const code2 = proposals[1].tracking_code;
    await lp.getByLabel(fill(vi.appraisal.awardLabel, { code: code2 }), { exact: true }).selectOption('');
    const reason = 'Chưa có ai chấm đề xuất này.';
    await lp.getByLabel(fill(vi.appraisal.reasonLabel, { code: code2 }), { exact: true }).fill(reason);
    await lp.getByRole('button', { name: vi.lang.switch, exact: true }).click();
    await waitForLang(lp, 'en');
    assert.equal(await lp.getByLabel(fill(en.appraisal.awardLabel, { code: code2 }), { exact: true }).inputValue(), '');
    assert.equal(await lp.getByLabel(fill(en.appraisal.reasonLabel, { code: code2 }), { exact: true }).inputValue(), reason);
    assert.equal(await lp.getByLabel(fill(en.appraisal.awardLabel, { code: proposals[0].tracking_code }), { exact: true }).inputValue(), 'Giải Nhất');

    await lp.getByRole('button', { name: en.appraisal.decide, exact: true }).click();
    await lp.getByRole('dialog').getByRole('button', { name: en.appraisal.decide, exact: true }).click();
    await lp.locator('#ap-publish-section').waitFor();
    // Decided, not published: after a reload the page still shows what was decided, with the reason.
    await lp.reload();
    await lp.locator('#ap-body').waitFor();
    await waitForLang(lp, 'en');
    await lp.locator('#ap-decision-section').waitFor();
    assert.equal(await text(lp.locator('#ap-decision-state')), en.appraisal.decisionUnpublished);
    const won = lp.locator('#ap-decision-winners > li');
    assert.equal(await won.count(), 1);
    assert.equal(await text(won.locator('h4')), PROPOSALS[0]);
    assert.match(await text(won), /Giải Nhất/);
    assert.deepEqual(await lp.locator('#ap-decision-departures > li').allTextContents(), [fill(en.appraisal.departureItem, {
      code: code2, title: PROPOSALS[1], from: 'Giải Nhì', to: en.appraisal.noAward, reason,
    })]);
    assert.equal(await lp.locator('#ap-ranking-section').isVisible(), false);
    await assertAccessibleWithCSP(lp, 'appraisal.html decided');
    await assertFitsPhone(lp, 'appraisal.html decided');
    await lp.getByLabel(en.common.passwordLabel, { exact: true }).fill(PASSWORD);
    await lp.getByRole('button', { name: en.appraisal.publish, exact: true }).click();
    await lp.locator('#ap-done').filter({ hasText: en.appraisal.publishedDone }).waitFor();
    assert.equal(await text(lp.locator('#ap-decision-state')), en.appraisal.decisionPublished);
    assertNoProblems(lp, 'leader pages');
  } finally {
    await boss.context.close();
  }

  // The resident reads the result of their own proposal.
  const res = await phonePage(browser, srv.baseURL);
  try {
    const page = res.page;
    // My proposals point to the result.
    await loginUI(page, vi, resident.phone, { next: 'my.html' });
    await page.locator(`#proposal-${proposals[0].id}`).getByRole('link', { name: `${vi.my.result} (${PROPOSALS[0]})`, exact: true }).click();
    await page.waitForURL(new RegExp(`/proposal\\.html\\?id=${proposals[0].id}$`));
    const section = page.locator('#proposal-result-section');
    await section.waitFor();
    assert.equal(await text(section.locator('h2')), vi.proposal.resultHeading);
    assert.match(await text(section), /Giải Nhất/);
    assert.deepEqual(await section.locator('#proposal-comments > li').allTextContents(), [OVERALL]);
    assert.equal(await section.getByRole('link', { name: vi.proposal.allResults, exact: true }).getAttribute('href'), `/results/${call.id}`);
    await assertAccessibleWithCSP(page, 'proposal.html with its result');
    await assertFitsPhone(page, 'proposal.html with its result');
    // The proposal that lost its award says so.
    await openReady(page, `/proposal.html?id=${proposals[1].id}`);
    await section.waitFor();
    assert.match(await text(section), new RegExp(vi.proposal.noAward));
    assert.equal(await text(page.locator('#proposal-no-comments')), vi.proposal.noComments);

    // The public results name the ward, on screen and in the printed minutes.
    await page.context().clearCookies();
    await openReady(page, `/results/${call.id}`);
    await page.locator('#res-body').waitFor();
    assert.equal(await text(page.locator('#res-ward')), srv.ward.name);
    // In print the committee's header of the minutes names it (results-print.test.mjs checks the rest).
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('#print-ward').isVisible(), true);
    assert.equal(await text(page.locator('#print-ward')), srv.ward.name.toLocaleUpperCase('vi'));
    await page.emulateMedia({ media: 'screen' });
    assert.match(await text(page.locator('#res-reasons')), new RegExp(proposals[1].tracking_code));

    // Residential groups in the order people count them.
    await open(page, '/register.html');
    await page.locator('#reg-group option').nth(2).waitFor({ state: 'attached' });
    const groups = (await page.locator('#reg-group option').allTextContents()).slice(1);
    assert.deepEqual(groups, [srv.group.name, 'Tổ dân phố 12']);
    assertNoProblems(page, 'resident and public pages');
  } finally {
    await res.context.close();
  }
});
