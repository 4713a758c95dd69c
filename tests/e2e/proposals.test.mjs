// A resident on a 360 x 740 phone: finds the open call, sends a proposal with
// a photo through the 8-step form, gets a tracking code, sees it under "My
// proposals" and on the public tracking page; an unsent draft survives a
// dropped connection and a reload and is deleted with "Xoá bản nháp"; edits
// until the deadline (the server's test clock moves past it), and nothing after; downloads and
// deletes their data (in English).
//
// Run: node --test tests/e2e/   (see tests/e2e/lib/server.mjs for the environment)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, open, phonePage, waitForLang } from './lib/browser.mjs';
import { ApiClient, PASSWORD, makeAccount, makePng, openCall, proposalBody } from './lib/seed.mjs';
import {
  alertText, assertFitsPhone, fillSteps1to6, loginUI, menu, nextStep, openReady, sampleProposal, text, waitForStep,
  waitForStepVisible,
} from './lib/flows.mjs';

const { vi, en } = dicts;
const SHOTS = process.env.SANGKIEN_E2E_SCREENSHOTS || '/tmp';
// Role grants go through psql, which a server given by SANGKIEN_E2E_BASE_URL does not offer.
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs database access (psql) for seeding roles' : false;
const TIMEOUT = { timeout: 180000, skip: SKIP };
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));

let srv;
let browser;
let call;
let resident;
let trackingCode;
let proposalId;
let tmp;
let bigFile;
let photoFile;

before(async () => {
  if (SKIP) return;
  srv = await startServer({ env: { SANGKIEN_TEST_CLOCK: '1' } });
  browser = await launchBrowser();
  const leader = await makeAccount(srv, { name: 'Lê Văn Lãnh', phone: '0911000001' }, 'leader');
  call = await openCall(leader.api, srv, {
    title: 'Chuyển đổi số ở tổ dân phố 2026',
    // Soon enough that a session started now is still alive when the test clock
    // moves past the deadline (sessions end after 30 idle minutes).
    closesAt: Date.now() + 20 * 60 * 1000,
  });
  resident = await makeAccount(srv, { name: 'Nguyễn Thị Hoa', phone: '0912345678' });
  // A "photo" one byte over 10 MiB (sparse: it takes no disk space).
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sangkien-e2e-files-'));
  photoFile = path.join(tmp, 'ảnh nhà văn hoá.png');
  await writeFile(photoFile, makePng(64, 48));
  bigFile = path.join(tmp, 'to-qua.jpg');
  await writeFile(bigFile, Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
  await truncate(bigFile, 10 * 1024 * 1024 + 1);
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
  if (browser) await browser.close();
  if (srv) {
    const { code, log } = await srv.stop();
    assert.equal(code, 0, `server exit ${code}; tail:\n${log.slice(-3000)}`);
  }
});

test('a resident sends a proposal with a photo through the 8 steps, then finds it by its tracking code', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await loginUI(page, vi, resident.phone);
    await openReady(page, '/');
    await (await menu(page)).getByRole('link', { name: vi.nav.calls, exact: true }).click();
    await page.waitForURL(/\/calls\.html$/);
    const card = page.locator('#calls-list li').filter({ hasText: call.title });
    await card.waitFor();
    assert.equal(await text(card.locator('.badge--accepting')), vi.calls.accepting);
    // The deadline in Viet Nam time, written out: "17:00, Thứ Ba, 14 tháng 4, 2026".
    assert.match(await text(card.locator('.card__deadline')), /^Hạn gửi: \d\d:\d\d, Thứ .+, \d+ tháng \d+, \d{4}$/);
    await assertFitsPhone(page, 'calls');

    await card.getByRole('link', { name: call.title }).click();
    await page.waitForURL(/\/call\.html\?id=\d+$/);
    await page.locator('#call-body').waitFor();
    assert.equal(await text(page.getByRole('heading', { level: 1 })), call.title);
    assert.equal(await text(page.locator('#call-seal')), call.config_digest);
    assert.match(call.config_digest, /^[0-9a-f]{64}$/);
    assert.equal(await page.locator('#call-criteria > li').count(), 3);
    assert.equal(await text(page.locator('#call-seal-title')), vi.call.seal);
    await assertFitsPhone(page, 'call');

    await page.getByRole('link', { name: vi.call.propose, exact: true }).click();
    await page.waitForURL(/\/propose\.html\?campaign=\d+$/);
    await waitForStepVisible(page, vi, 1);
    await assertFitsPhone(page, 'propose step 1');

    // Nothing typed: the step says what is missing and keeps the focus there.
    await page.getByRole('button', { name: vi.propose.next, exact: true }).click();
    assert.equal(await alertText(page), vi.validation.summary);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'pf-title');
    assert.equal(await text(page.locator('#pf-title-error')), vi.validation.titleRequired);

    await page.getByLabel(vi.propose.titleLabel, { exact: true }).fill(sampleProposal.title);
    await page.getByLabel(vi.propose.summaryLabel, { exact: true }).fill(sampleProposal.summary);
    await nextStep(page, vi, 2); // saves the draft on the server (POST, submit: false)
    await page.getByLabel(vi.propose.problemLabel, { exact: true }).fill(sampleProposal.problem);
    await nextStep(page, vi, 3); // and then PATCH with the version
    // "Back" keeps what was typed.
    await page.getByRole('button', { name: vi.propose.back, exact: true }).click();
    await waitForStep(page, vi, 2);
    assert.equal(await page.getByLabel(vi.propose.problemLabel, { exact: true }).inputValue(), sampleProposal.problem);
    await nextStep(page, vi, 3);
    await page.getByLabel(vi.propose.modelLabel, { exact: true }).fill(sampleProposal.model);
    await nextStep(page, vi, 4);
    await page.getByLabel(vi.propose.beneficiariesLabel, { exact: true }).fill(sampleProposal.beneficiaries);
    await page.getByLabel(vi.propose.householdsLabel, { exact: true }).fill('mười');
    await page.getByRole('button', { name: vi.propose.next, exact: true }).click();
    assert.equal(await text(page.locator('#pf-households-error')), vi.validation.householdsInvalid);
    await page.getByLabel(vi.propose.householdsLabel, { exact: true }).fill('120');
    await nextStep(page, vi, 5);
    await page.getByRole('textbox', { name: vi.propose.resourcesLabel }).fill(sampleProposal.resources);
    const cost = page.getByLabel(vi.propose.costLabel, { exact: true });
    await cost.fill('15000000');
    assert.equal(await text(page.locator('#pf-cost-echo')), 'Tức là: 15.000.000 đồng');
    await cost.blur();
    assert.equal(await cost.inputValue(), '15.000.000');
    await nextStep(page, vi, 6);
    // The resident's own group is already chosen.
    assert.equal(await page.getByLabel(vi.propose.groupLabel, { exact: true }).inputValue(), String(srv.group.id));
    await page.getByRole('textbox', { name: vi.propose.tagsLabel }).fill(sampleProposal.tags);
    await nextStep(page, vi, 7);

    // Photos: a real PNG goes up; a file over 10 MiB is stopped in the page;
    // a "PNG" that is not one is refused by the server (415), translated; so is a broken one (400).
    const picker = page.locator('#pf-files');
    assert.equal(await picker.getAttribute('accept'), 'image/jpeg,image/png,image/webp,image/heic,image/heif,application/pdf,.heic,.heif');
    assert.equal(await page.locator('#pf-camera').getAttribute('capture'), 'environment');
    await picker.setInputFiles(photoFile);
    await page.locator('#pf-file-list li').filter({ hasText: 'ảnh nhà văn hoá.png' }).waitFor();
    assert.equal(await text(page.locator('#pf-file-count')), fill(vi.propose.fileCount, { n: 1, max: 5 }));
    await page.locator('#pf-file-list img').evaluate((img) => img.decode());
    await picker.setInputFiles(bigFile); // by path: nothing is copied into the browser
    const fileError = (t) => page.waitForFunction((s) => document.querySelector('#pf-files-error').textContent === s, t);
    await fileError(fill(vi.propose.fileTooLarge, { name: 'to-qua.jpg' }));
    assert.equal(await page.locator('#pf-files-error').getAttribute('role'), 'alert');
    await picker.setInputFiles({ name: 'gia.png', mimeType: 'image/png', buffer: Buffer.from('not really a picture') });
    await fileError(fill(vi.propose.fileBadType, { name: 'gia.png' }));
    // A photo cut short (a PNG without its end) is refused by the server (400 invalid_image), translated.
    await picker.setInputFiles({ name: 'hong.png', mimeType: 'image/png', buffer: makePng(8, 8).subarray(0, 40) });
    await fileError(fill(vi.propose.fileBroken, { name: 'hong.png' }));
    // A name with U+202E (it would show "anh-gpj.png" as "anh-png.jpg"): refused by the server, said in words.
    await picker.setInputFiles({ name: 'anh-\u202Egpj.png', mimeType: 'image/png', buffer: makePng(8, 8) });
    await fileError(vi.propose.fileBadName);
    assert.equal(await page.locator('#pf-file-list li').count(), 1);
    await assertFitsPhone(page, 'propose step 7');
    await page.screenshot({ path: path.join(SHOTS, 'sangkien-propose-photos-360.png'), fullPage: true });

    await nextStep(page, vi, 8);
    const review = page.locator('#pf-review');
    for (const v of [sampleProposal.title, sampleProposal.model, '120', '15.000.000 đồng', srv.group.name, 'ảnh nhà văn hoá.png']) {
      assert.ok((await review.textContent()).includes(v), `review shows ${v}`);
    }
    await assertFitsPhone(page, 'propose review');
    await page.screenshot({ path: path.join(SHOTS, 'sangkien-propose-review-360.png'), fullPage: true });
    await page.getByRole('button', { name: vi.propose.submit, exact: true }).click();

    // The tracking code, big, with the advice to write it down.
    const done = page.locator('#pf-done');
    await done.waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => document.activeElement.id), 'pf-done-title');
    assert.equal(await text(page.locator('#pf-done-title')), vi.propose.submittedHeading);
    trackingCode = await text(page.locator('#pf-code'));
    assert.match(trackingCode, /^E2E-\d{4}-\d{4}$/);
    assert.equal(await text(done.locator('.done__hint')), vi.propose.codeHint);
    const fontSize = await page.locator('#pf-code').evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
    assert.ok(fontSize >= 36, `tracking code at ${fontSize}px`);
    await assertFitsPhone(page, 'tracking code');
    await page.screenshot({ path: path.join(SHOTS, 'sangkien-tracking-code-360.png'), fullPage: true });

    // What the server holds: submitted, by this resident, with the photo.
    const mine = (await resident.api.get('/me/proposals')).proposals;
    assert.equal(mine.length, 1);
    const p = mine[0];
    proposalId = p.id;
    assert.equal(p.status, 'submitted');
    assert.equal(p.tracking_code, trackingCode);
    assert.equal(p.cost_vnd, 15000000);
    assert.equal(p.households, 120);
    assert.deepEqual(p.tags, ['y tế', 'người cao tuổi']);
    assert.equal(p.problem, sampleProposal.problem);
    assert.deepEqual(p.attachments.map((a) => [a.filename, a.mime]), [['ảnh nhà văn hoá.png', 'image/png']]);
    assert.equal(p.helped_by, null);

    // My proposals.
    await page.getByRole('link', { name: vi.propose.toMy, exact: true }).click();
    await page.waitForURL(/\/my\.html$/);
    const mineCard = page.locator(`#proposal-${proposalId}`);
    await mineCard.waitFor();
    assert.equal(await text(mineCard.locator('.card__code-value')), trackingCode);
    assert.equal(await text(mineCard.locator('.badge')), vi.status.submitted);
    await assertFitsPhone(page, 'my proposals');

    // The public tracking page, typed the way people do on the phone.
    await context.clearCookies();
    await openReady(page, '/track.html');
    await page.getByLabel(vi.track.codeLabel, { exact: true }).fill(` ${trackingCode.toLowerCase().replace(/-/g, ' ')} `);
    await page.getByRole('button', { name: vi.track.submit, exact: true }).click();
    await page.locator('#track-result').waitFor({ state: 'visible' });
    assert.equal(await text(page.locator('#track-r-code')), trackingCode);
    assert.equal(await text(page.locator('#track-r-status')), vi.status.submitted);
    assert.equal(await text(page.locator('#track-r-call')), call.title);
    await assertFitsPhone(page, 'track');
    // A code that does not exist.
    await page.getByLabel(vi.track.codeLabel, { exact: true }).fill('E2E-2026-9999');
    await page.getByRole('button', { name: vi.track.submit, exact: true }).click();
    await page.waitForFunction((t) => document.querySelector('#track-code-error').textContent === t, vi.track.notFound);
    assert.equal(await page.locator('#track-result').isHidden(), true);
    assertNoProblems(page, 'resident flow');
  } finally {
    await context.close();
  }
});

test('an unsent draft survives a dropped connection and a reload; edit and withdraw before the deadline', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await loginUI(page, vi, resident.phone, { next: `propose.html?campaign=${call.id}` });
    await waitForStepVisible(page, vi, 1);
    await page.getByLabel(vi.propose.titleLabel, { exact: true }).fill('Wifi miễn phí ở nhà văn hoá');
    await page.getByLabel(vi.propose.summaryLabel, { exact: true }).fill('Lắp wifi cho bà con dùng khi họp tổ.');

    // The connection drops: the step still moves on, and says the draft is kept on this phone.
    await context.setOffline(true);
    await nextStep(page, vi, 2);
    await page.waitForFunction((t) => document.querySelector('#pf-status').textContent === t, vi.propose.savedLocal);
    await page.getByLabel(vi.propose.problemLabel, { exact: true }).fill('Nhà văn hoá không có mạng.');
    await page.waitForTimeout(400); // the draft is written to this phone 250 ms after the last key
    await context.setOffline(false);
    // Chromium reports the failed fetch as a console error; that is the point of this test.
    page.problems.splice(0, page.problems.length, ...page.problems.filter((p) => !/ERR_INTERNET_DISCONNECTED/.test(p)));

    await page.reload();
    await page.waitForSelector('html.i18n-ready', { state: 'attached' });
    await page.locator('#pf-notice').waitFor({ state: 'visible' });
    assert.match(await text(page.locator('#pf-notice-text')), /^Đã khôi phục phần bạn viết dở \(lưu trên máy này lúc \d\d:\d\d\)\.$/);
    await waitForStepVisible(page, vi, 2);
    assert.equal(await page.getByLabel(vi.propose.problemLabel, { exact: true }).inputValue(), 'Nhà văn hoá không có mạng.');
    // Online again: moving on stores the draft on the server.
    await nextStep(page, vi, 3);
    await page.waitForFunction(() => /^Đã lưu nháp lúc \d\d:\d\d\.$/.test(document.querySelector('#pf-status').textContent));
    const drafts = (await resident.api.get('/me/proposals')).proposals.filter((p) => p.status === 'draft');
    assert.equal(drafts.length, 1);
    assert.equal(drafts[0].problem, 'Nhà văn hoá không có mạng.');

    // My proposals: the draft can be continued or deleted ("Xoá bản nháp", not "Rút đề
    // xuất"); delete it (with a confirmation) and it leaves the list.
    await openReady(page, '/my.html');
    const draftCard = page.locator(`#proposal-${drafts[0].id}`);
    await draftCard.waitFor();
    assert.equal(await text(draftCard.locator('.badge')), vi.status.draft);
    assert.equal(await draftCard.getByRole('button', { name: `${vi.my.withdraw} (Wifi miễn phí ở nhà văn hoá)` }).count(), 0);
    await draftCard.getByRole('button', { name: `${vi.my.discard} (Wifi miễn phí ở nhà văn hoá)` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.equal(await text(dialog.getByRole('heading')), fill(vi.my.discardTitle, { title: 'Wifi miễn phí ở nhà văn hoá' }));
    await assertFitsPhone(page, 'delete-draft dialog');
    // "Cancel" first: nothing happens.
    await dialog.getByRole('button', { name: vi.common.cancel, exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await text(draftCard.locator('.badge')), vi.status.draft);
    await draftCard.getByRole('button', { name: `${vi.my.discard} (Wifi miễn phí ở nhà văn hoá)` }).click();
    await page.getByRole('dialog').getByRole('button', { name: vi.my.discardConfirm, exact: true }).click();
    await page.waitForFunction((t) => document.querySelector('#my-status').textContent === t,
      fill(vi.my.discarded, { title: 'Wifi miễn phí ở nhà văn hoá' }));
    assert.equal(await draftCard.count(), 0);
    assert.equal((await resident.api.get(`/proposals/${drafts[0].id}`)).proposal.status, 'withdrawn');

    // Edit the submitted proposal: one revision, same tracking code.
    await page.locator(`#proposal-${proposalId}`).getByRole('link', { name: `${vi.my.edit} (${sampleProposal.title})` }).click();
    await page.waitForURL(/\/propose\.html\?id=\d+$/);
    await waitForStepVisible(page, vi, 1);
    assert.equal(await text(page.getByRole('heading', { level: 1 })), vi.propose.editHeading);
    assert.equal(await page.locator('#pf-save').isVisible(), false); // a submitted proposal changes only with "Save changes"
    await page.getByLabel(vi.propose.titleLabel, { exact: true }).fill('Nhóm Zalo báo lịch tiêm chủng cho tổ 5 và tổ 6');
    for (let n = 2; n <= 8; n++) await nextStep(page, vi, n);
    await page.getByRole('button', { name: vi.propose.saveChanges, exact: true }).click();
    await page.locator('#pf-done').waitFor({ state: 'visible' });
    assert.equal(await text(page.locator('#pf-done-title')), vi.propose.savedHeading);
    assert.equal(await text(page.locator('#pf-code')), trackingCode);
    const edited = (await resident.api.get(`/proposals/${proposalId}`)).proposal;
    assert.equal(edited.title, 'Nhóm Zalo báo lịch tiêm chủng cho tổ 5 và tổ 6');
    assert.equal(edited.revision_count, 1);
    assert.equal(edited.status, 'submitted');
    assertNoProblems(page, 'draft, withdraw and edit');
  } finally {
    await context.close();
  }
});

test('after the deadline (test clock) nothing can be edited or withdrawn', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await loginUI(page, vi, resident.phone);
    const after = Math.floor(new Date(call.closes_at).getTime() / 1000) + 60;
    await page.setExtraHTTPHeaders({ 'X-Sangkien-Test-Now': String(after) });
    await openReady(page, '/my.html');
    const card = page.locator(`#proposal-${proposalId}`);
    await card.waitFor();
    assert.equal(await text(card.locator('.card__meta').filter({ hasText: vi.my.closedNote })), vi.my.closedNote);
    assert.equal(await card.getByRole('button').count(), 0);
    assert.equal(await card.locator('.card__actions').count(), 0);
    await openReady(page, `/propose.html?id=${proposalId}`);
    assert.equal(await alertText(page, '#propose-alert'), vi.propose.notAccepting);
    assert.equal(await page.locator('#pf-form').count(), 0);
    await openReady(page, `/call.html?id=${call.id}`);
    await page.locator('#call-body').waitFor();
    assert.equal(await page.locator('#call-propose-item').isHidden(), true);
    assert.equal(await text(page.locator('#call-note')), vi.call.notAccepting);
    assertNoProblems(page, 'after the deadline');
  } finally {
    await context.close();
  }
});

test('in English: download my data, then delete my account; the proposal stays', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await open(page, '/');
    await page.getByRole('button', { name: 'English', exact: true }).click();
    await waitForLang(page, 'en');
    await loginUI(page, en, resident.phone);
    await page.locator('#account-data').waitFor({ state: 'visible' });
    assert.equal(await text(page.locator('#account-data-title')), en.account.dataHeading);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: en.account.exportButton, exact: true }).click(),
    ]);
    const exported = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.equal(exported.account.display_name, resident.name);
    assert.equal(exported.proposals.length, 2);
    assert.ok(exported.proposals.some((p) => p.tracking_code === trackingCode && p.revisions.length === 1));
    await assertFitsPhone(page, 'account with my data');

    // A wrong password: nothing is deleted.
    const password = page.getByLabel(en.account.deletePassword, { exact: true });
    await password.fill('not my password at all');
    await page.getByRole('button', { name: en.account.deleteButton, exact: true }).click();
    await page.getByRole('dialog').getByRole('button', { name: en.account.deleteConfirm, exact: true }).click();
    assert.equal(await alertText(page, '#delete-alert.is-shown'), en.account.deleteWrongPassword);
    assert.equal(await text(page.locator('#delete-password-error')), en.account.deleteWrongPassword);

    await password.fill(PASSWORD);
    await page.getByRole('button', { name: en.account.deleteButton, exact: true }).click();
    const dialog = page.getByRole('dialog');
    assert.equal(await text(dialog.getByRole('heading')), en.account.deleteTitle);
    await dialog.getByRole('button', { name: en.account.deleteConfirm, exact: true }).click();
    await page.waitForURL(/\/index\.html$/);
    await page.waitForSelector('html.nav-ready', { state: 'attached' });
    assert.equal(await (await menu(page)).getByRole('link', { name: en.nav.login, exact: true }).isVisible(), true);

    // The old login no longer works; the proposal is still tracked.
    const anon = new ApiClient(srv.baseURL);
    await assert.rejects(anon.post('/sessions', { login: resident.phone, password: PASSWORD }), (e) => e.status === 401);
    const tracked = await anon.get(`/track/${trackingCode}`);
    assert.equal(tracked.status, 'submitted');
    const row = await srv.psql(`SELECT display_name FROM accounts WHERE id = ${resident.id}`);
    assert.equal(row, 'Tài khoản đã xoá');
    assertNoProblems(page, 'my data (English)');
  } finally {
    await context.close();
  }
});
