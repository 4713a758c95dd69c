// The leader's call after it opened (issue 9), at 360 px and 1280 px, in Vietnamese and then in
// English, each run with a call of its own: before the deadline the close button is disabled and
// says "Chỉ đóng được sau hạn chót dd/mm/yyyy hh:mm" (no dialog); the leader corrects the call's
// description (the form lists what is sealed) and the public call page shows "Đã sửa ngày …";
// extends the deadline with a reason (an empty reason is caught in the page) and the public page
// shows "Gia hạn đến … (lý do: …)"; with the server's clock past the old deadline a resident still
// submits (the call page offers "Send a proposal"), the close button still waits for the new
// deadline, and after it the call closes. axe-core finds no violation at all (any impact) on the
// leader's list, both forms and the public page, with the CSP left on. Last, the leader sets the
// call's scoring deadline in the same form and the card shows it.
//
// Run: node --test tests/e2e/leader-lifecycle.test.mjs (see tests/e2e/README.md)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import { assertNoProblems, axePath, dicts, launchBrowser, phonePage, waitForLang } from './lib/browser.mjs';
import { ApiClient, isoVN, localVN, makeAccount, proposalBody } from './lib/seed.mjs';
import { assertFitsPhone, loginUI, openReady, text } from './lib/flows.mjs';

const SHOTS = process.env.SANGKIEN_E2E_SCREENSHOTS || '/tmp';
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs database access (psql) for seeding roles' : false;
const TIMEOUT = { timeout: 240000, skip: SKIP };
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
const MINUTE = 60 * 1000;
const axeSource = readFileSync(axePath, 'utf8');

let srv;
let browser;
let leader;
let resident;

before(async () => {
  if (SKIP) return;
  srv = await startServer({ env: { SANGKIEN_TEST_CLOCK: '1' } });
  browser = await launchBrowser();
  leader = await makeAccount(srv, { name: 'Lê Văn Lãnh', phone: '0911000071' }, 'leader');
  resident = await makeAccount(srv, { name: 'Đặng Thị Đào', phone: '0944000072' });
});

after(async () => {
  if (browser) await browser.close();
  if (srv) {
    const { code, log } = await srv.stop();
    assert.equal(code, 0, `server exit ${code}; tail:\n${log.slice(-3000)}`);
  }
});

/** "07/12/2026 17:05": ms in Viet Nam time, as the close button's sentence writes it. */
function shortVN(ms) {
  const vn = new Date(ms + 7 * 3600 * 1000).toISOString();
  return `${vn.slice(8, 10)}/${vn.slice(5, 7)}/${vn.slice(0, 4)} ${vn.slice(11, 16)}`;
}

/** axe-core with the CSP on: no violation of any impact. */
async function assertNoViolations(page, label) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = results.violations.map((v) => `${v.impact} ${v.id}: ${v.help} -> ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(bad, [], `axe violations on ${label}`);
}

async function check(page, width, label) {
  await assertNoViolations(page, label);
  if (width === 360) await assertFitsPhone(page, label);
  else {
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= width, `${label}: ${w}px wide`);
  }
  assertNoProblems(page, label);
}

/** The page's text prefix and suffix around {date} in a dictionary sentence. */
function around(sentence, vars) {
  const [pre, post] = fill(sentence, vars).split('{date}');
  return { pre, post };
}

for (const [lang, width] of [['vi', 360], ['vi', 1280], ['en', 360], ['en', 1280]]) {
  test(`${lang} at ${width} px: correct an open call's text, extend its deadline, close it after the new one`, TIMEOUT, async () => {
    const d = dicts[lang];
    const title = `Chuyển đổi số ${lang} ${width}`;
    // The call opens an hour ago (real time) and closes in 10 minutes; the server's clock moves later.
    const closesMs = Math.floor(Date.now() / MINUTE) * MINUTE + 10 * MINUTE;
    const newClosesMs = closesMs + 20 * MINUTE;
    const { campaign } = await leader.api.post(`/wards/${srv.ward.id}/campaigns`, {
      title, description: 'Phường mời bà con góp ý tưởng.', opens_at: isoVN(closesMs - 70 * MINUTE), closes_at: isoVN(closesMs),
    });
    await leader.api.post(`/campaigns/${campaign.id}/transitions`, { to: 'open' });
    const digest = (await leader.api.get(`/campaigns/${campaign.id}`)).campaign.config_digest;

    const options = width === 360 ? {} : { viewport: { width, height: 900 }, isMobile: false, hasTouch: false, deviceScaleFactor: 1 };
    const { context, page } = await phonePage(browser, srv.baseURL, options);
    try {
      await loginUI(page, dicts.vi, leader.phone);
      if (lang === 'en') {
        await page.getByRole('button', { name: 'English', exact: true }).click();
        await waitForLang(page, 'en');
      }
      await openReady(page, '/leader.html');
      await waitForLang(page, lang);
      const card = page.locator(`#call-${campaign.id}`);
      await card.waitFor();

      // Before the deadline: the close button is disabled and says why, before any dialog.
      const close = card.getByRole('button', { name: `${d.leader.close} (${title})` });
      assert.equal(await close.isDisabled(), true);
      const note = card.locator('.close-later__note');
      assert.equal(await text(note), fill(d.leader.closeAfter, { date: shortVN(closesMs) }));
      assert.equal(await close.getAttribute('aria-describedby'), await note.getAttribute('id'));
      assert.equal(await page.getByRole('dialog').count(), 0);
      await check(page, width, `leader list ${lang} ${width}`);

      // Correct the description; the form says what stays sealed.
      await card.getByRole('button', { name: `${d.leader.editTexts} (${title})` }).click();
      const texts = page.locator('#leader-texts-section');
      await texts.waitFor();
      assert.equal(await page.evaluate(() => document.activeElement.id), 'leader-texts-title');
      assert.equal(await text(page.locator('.frozen-note h3')), d.leader.frozenHeading);
      assert.equal(await page.locator('#leader-texts-frozen li').count(), 5);
      assert.equal(await texts.getByLabel(d.leader.titleLabel, { exact: true }).inputValue(), title);
      await texts.getByRole('textbox', { name: d.leader.descriptionLabel }).fill('Phường mời bà con góp ý tưởng (đã sửa lỗi chính tả).');
      await check(page, width, `texts form ${lang} ${width}`);
      await page.getByRole('button', { name: d.leader.textsSubmit, exact: true }).click();
      await page.waitForFunction((t) => document.querySelector('#leader-done').textContent === t, fill(d.leader.textsSaved, { title }));

      // Extend: an empty reason is caught in the page; then the new deadline with a reason.
      await card.getByRole('button', { name: `${d.leader.extend} (${title})` }).click();
      await page.locator('#leader-extend-section').waitFor();
      assert.equal(await page.evaluate(() => document.activeElement.id), 'leader-extend-title');
      await page.getByLabel(d.leader.extendNewLabel, { exact: true }).fill(localVN(newClosesMs));
      await page.getByRole('button', { name: d.leader.extendSubmit, exact: true }).click();
      assert.equal(await text(page.locator('#ce-reason-error')), d.validation.extendReasonRequired);
      await check(page, width, `extend form with an error ${lang} ${width}`);
      const reason = 'Mưa bão, nhiều hộ chưa kịp gửi.';
      await page.getByLabel(d.leader.extendReasonLabel, { exact: true }).fill(reason);
      await page.getByRole('button', { name: d.leader.extendSubmit, exact: true }).click();
      await page.locator('#leader-extend-section').waitFor({ state: 'hidden' });
      // The message comes once the list is read again.
      await page.waitForFunction((pre) => document.querySelector('#leader-done').textContent.startsWith(pre),
        around(d.leader.extended, { title }).pre);
      assert.equal(await text(note), fill(d.leader.closeAfter, { date: shortVN(newClosesMs) }));
      if (width === 360) await page.screenshot({ path: path.join(SHOTS, `sangkien-leader-lifecycle-${lang}-360.png`), fullPage: true });

      const after = (await leader.api.get(`/campaigns/${campaign.id}`)).campaign;
      assert.equal(new Date(after.closes_at).getTime(), newClosesMs);
      assert.equal(after.original_closes_at, new Date(closesMs).toISOString().replace('.000', ''));
      assert.equal(after.revisions.length, 1);
      assert.deepEqual(after.revisions[0].fields, ['description']);
      assert.equal(after.extensions[0].reason, reason);
      assert.equal(after.config_digest, digest);

      // The public page, signed out: the revision and the extension with its reason.
      const pub = await browser.newContext({ baseURL: srv.baseURL, viewport: options.viewport || { width: 360, height: 740 } });
      try {
        const p2 = await pub.newPage();
        if (lang === 'en') await p2.addInitScript(() => localStorage.setItem('sangkien.lang', 'en'));
        await openReady(p2, `/call.html?id=${campaign.id}`);
        await p2.locator('#call-body').waitFor();
        const ext = p2.locator('#call-extensions li');
        assert.equal(await ext.count(), 1);
        const e = around(d.call.extendedTo, { reason });
        const extText = await text(ext.locator('span').first());
        assert.ok(extText.startsWith(e.pre) && extText.endsWith(e.post), extText);
        const rev = p2.locator('#call-revisions li');
        assert.equal(await rev.count(), 1);
        const r = around(d.call.revisedOn, { fields: d.call.revisedField.description });
        const revText = await text(rev);
        assert.ok(revText.startsWith(r.pre) && revText.endsWith(r.post), revText);
        assert.ok((await text(p2.locator('#call-closes-original'))).length > 0);
        p2.problems = [];
        await assertNoViolations(p2, `public call ${lang} ${width}`);
      } finally {
        await pub.close();
      }

      // Past the old deadline, before the new one (server clock): still accepting, still not closable.
      const between = Math.floor((closesMs + 5 * MINUTE) / 1000);
      await page.setExtraHTTPHeaders({ 'X-Sangkien-Test-Now': String(between) });
      await openReady(page, `/call.html?id=${campaign.id}`);
      await page.locator('#call-body').waitFor();
      assert.equal(await page.locator('#call-propose-item').isVisible(), true);
      const late = new ApiClient(srv.baseURL, { now: between });
      await late.login(resident.phone);
      const { proposal } = await late.post(`/campaigns/${campaign.id}/proposals`, { ...proposalBody(srv, { title: `Nộp muộn ${lang} ${width}` }), submit: true });
      assert.equal(proposal.status, 'submitted');
      await openReady(page, '/leader.html');
      await card.waitFor();
      assert.equal(await close.isDisabled(), true);

      // After the new deadline the call closes (after the dialog).
      await page.setExtraHTTPHeaders({ 'X-Sangkien-Test-Now': String(Math.floor(newClosesMs / 1000) + 60) });
      await openReady(page, '/leader.html');
      await card.waitFor();
      assert.equal(await close.isDisabled(), false);
      assert.equal(await card.locator('.close-later__note').count(), 0);
      await close.click();
      await page.getByRole('dialog').getByRole('button', { name: d.leader.close, exact: true }).click();
      await page.waitForFunction((t) => document.querySelector('#leader-done').textContent === t, fill(d.leader.closedDone, { title }));
      assert.equal((await leader.api.get(`/campaigns/${campaign.id}`)).campaign.state, 'closed');

      // A closed call's texts can still be corrected (no "Extend" any more).
      assert.equal(await card.getByRole('button', { name: `${d.leader.extend} (${title})` }).count(), 0);
      await card.getByRole('button', { name: `${d.leader.editTexts} (${title})` }).click();
      await texts.waitFor();
      assert.match(await text(page.locator('#leader-texts-frozen li').first()), new RegExp(`${fill(d.leader.frozenDatesClosed, { opens: '.*', closes: '.*' }).replace(/[()]/g, '\\$&')}$`));
      await texts.getByRole('textbox', { name: d.leader.rulesLabel }).fill('Thể lệ bổ sung sau khi đóng.');
      await check(page, width, `texts form of a closed call ${lang} ${width}`);
      await page.getByRole('button', { name: d.leader.textsSubmit, exact: true }).click();
      await page.waitForFunction((t) => document.querySelector('#leader-done').textContent === t, fill(d.leader.textsSaved, { title }));
      assert.deepEqual((await leader.api.get(`/campaigns/${campaign.id}`)).campaign.revisions.map((r) => r.fields), [['description'], ['rules']]);

      // The scoring deadline (issue 13): set in the same form (one before the deadline for proposals
      // is caught in the page), saved, and shown on the call's card.
      const scoringMs = newClosesMs + 2 * 24 * 60 * MINUTE;
      await card.getByRole('button', { name: `${d.leader.editTexts} (${title})` }).click();
      await texts.waitFor();
      const scoring = texts.getByLabel(d.leader.scoringLabel);
      assert.equal(await scoring.inputValue(), '');
      await scoring.fill(localVN(closesMs));
      await page.getByRole('button', { name: d.leader.textsSubmit, exact: true }).click();
      assert.equal(await text(page.locator('#ct-scoring-error')), d.validation.scoringBeforeCloses);
      await check(page, width, `texts form with a scoring deadline error ${lang} ${width}`);
      await scoring.fill(localVN(scoringMs));
      // The done message is already there from the previous save: wait for the PATCH and the list read again.
      const patched = page.waitForResponse((res) => res.request().method() === 'PATCH' && res.url().endsWith(`/campaigns/${campaign.id}`));
      await page.getByRole('button', { name: d.leader.textsSubmit, exact: true }).click();
      assert.equal((await patched).status(), 200);
      await card.locator('.card__scoring').waitFor();
      assert.equal(new Date((await leader.api.get(`/campaigns/${campaign.id}`)).campaign.scoring_deadline).getTime(), scoringMs);
      const shown = await text(card.locator('.card__scoring'));
      assert.ok(shown.startsWith(around(d.leader.scoringDeadline, {}).pre) && shown.length > 12, shown);
      await card.getByRole('button', { name: `${d.leader.editTexts} (${title})` }).click();
      await texts.waitFor();
      assert.equal(await scoring.inputValue(), localVN(scoringMs));
      await page.locator('#ct-cancel').click();
      // The call page shows it too.
      await openReady(page, `/call.html?id=${campaign.id}`);
      await page.locator('#call-body').waitFor();
      assert.equal(await page.locator('#call-scoring-row').isVisible(), true);
      assert.ok((await text(page.locator('#call-scoring'))).length > 0);
      await check(page, width, `call page with a scoring deadline ${lang} ${width}`);
      assertNoProblems(page, `leader ${lang} ${width}`);
    } finally {
      await context.close();
    }
  });
}
