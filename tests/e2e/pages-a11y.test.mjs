// EVERY page in frontend/*.html, at 360 px and at 1280 px, in Vietnamese and in English:
// axe-core finds no violation of any impact (minor and moderate included), with the
// served CSP left on (see assertAccessibleWithCSP). The public pages are checked signed
// out, the others signed in with the role that uses them (resident, volunteer and leader;
// panelist; installation administrator), with seed data enough for their main states: a
// call in appraisal with a draft review and a published one (results, catalogue, model,
// the author's proposal with its result),
// the home page of a leader and of a panelist, the withdraw dialog of my.html,
// a resident found and opened on residents.html, an account opened on admin.html, the
// volunteer's consent and proposal steps on assist.html, review.html with the proposal and
// its photo opened, the errors of set-password.html and of the proposal form.
//
// On the phone also: nothing scrolls sideways, controls are 44 px touch targets, and no
// page logs a CSP violation or a script error. The states that matter are checked too
// (in Vietnamese): form errors, the steps of the proposal form, the tracking code, the
// confirmation dialog, the consent step, the leader's form.
//
// Run: node --test tests/e2e/   (see tests/e2e/lib/server.mjs for the environment)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, open, phonePage, waitForLang } from './lib/browser.mjs';
import { ApiClient, PASSWORD, isoVN, makeAccount, makePng, openCall, proposalBody } from './lib/seed.mjs';
import { seedAppraisal } from './lib/appraisal-seed.mjs';
import {
  alertText, assertAccessibleWithCSP, assertFitsPhone, fillSteps1to6, loginUI, menu, nextStep, openReady, text, waitForStep,
} from './lib/flows.mjs';

const { vi, en } = dicts;
// Role grants go through psql, which a server given by SANGKIEN_E2E_BASE_URL does not offer.
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs database access (psql) for seeding roles' : false;
const TIMEOUT = { timeout: 180000, skip: SKIP };

let srv;
let browser;
let all; // resident, volunteer and leader of the ward: sees every page
let call;
let draftCall;
let proposal;
let helped;
let ap; // seedAppraisal: a call in appraisal (ap.call) with a draft review
let published; // a second call of ap.leader, published
let model; // a published winner in the catalogue
let winner; // the published call's first proposal (its author is ap.resident)
const ADMIN = Object.freeze({ name: 'Quản Trị Viên', phone: '0900000001' });
const DESKTOP = Object.freeze({ viewport: { width: 1280, height: 900 }, isMobile: false, hasTouch: false, deviceScaleFactor: 1 });

before(async () => {
  if (SKIP) return;
  srv = await startServer({ env: { SANGKIEN_TEST_CLOCK: '1' } });
  browser = await launchBrowser();
  ap = await seedAppraisal(srv, { photo: true }); // also adds the group 'Tổ dân phố 12'
  published = await publishedCall();
  // The panel page shows the call's scoring deadline with the time left (issue 13).
  await ap.leader.api.patch(`/campaigns/${ap.call.id}`, { scoring_deadline: isoVN(Math.floor(Date.now() / 60000) * 60000 + 3 * 86400000) });
  await adminCreate();
  all = await makeAccount(srv, { name: 'Võ Thị Đủ', phone: '0911000009' }, 'volunteer', 'leader');
  call = await openCall(all.api, srv, { title: 'Chuyển đổi số ở tổ dân phố 2026' });
  draftCall = (await all.api.post(`/wards/${srv.ward.id}/campaigns`, {
    title: 'Đợt sau (bản nháp)', opens_at: '2027-01-01T08:00:00+07:00', closes_at: '2027-02-01T17:00:00+07:00',
  })).campaign;
  proposal = (await all.api.post(`/campaigns/${call.id}/proposals`, { ...proposalBody(srv), submit: true })).proposal;
  await all.api.request('POST', `/proposals/${proposal.id}/attachments`, undefined, {
    raw: makePng(), headers: { 'Content-Type': 'image/png', 'X-Filename': encodeURIComponent('bảng tin.png') },
  });
  const { account } = await all.api.post(`/wards/${srv.ward.id}/assisted-residents`, {
    phone: '0977000111', display_name: 'Hồ Văn Nhờ', group_id: srv.group.id,
  });
  helped = (await all.api.post(`/campaigns/${call.id}/proposals`, {
    ...proposalBody(srv, { title: 'Dạy các cụ dùng VNeID' }),
    submit: true, on_behalf_of: account.id, consent: { text_version: 'v1', given: true },
  })).proposal;
});

/** sangkien admin create, the password on standard input. */
function adminCreate() {
  return new Promise((resolve, reject) => {
    const child = spawn(srv.bin, ['admin', 'create', '--login', ADMIN.phone, '--name', ADMIN.name, '--password-stdin'], {
      env: { ...process.env, DATABASE_URL: srv.conn },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`admin create: ${code} ${out}`))));
    child.stdin.end(`${PASSWORD}\n`);
  });
}

/**
 * A second call of the appraisal seed's leader, taken through appraisal to publication
 * (API, test clock), plus a draft review on the first call. Resolves to the campaign.
 */
async function publishedCall() {
  const { leader, panelists: [a, b], resident, proposals, now } = ap;
  const at = (s) => new ApiClient(srv.baseURL, { now: s });
  const { campaign } = await leader.api.post(`/wards/${srv.ward.id}/campaigns`, {
    title: 'Sáng kiến số 2025 (đã công bố)', description: 'Đợt trước.', rules: 'Như đợt này.',
    opens_at: isoVN((now - 3600) * 1000), closes_at: isoVN((now + 120) * 1000), reviews_required: 2,
  });
  await leader.api.post(`/campaigns/${campaign.id}/transitions`, { to: 'open' });
  const sent = [];
  for (const title of ['Sổ tay điện tử cho tổ trưởng', 'Loa thông báo qua điện thoại']) {
    const r = await at(now).login(resident.phone);
    sent.push((await r.post(`/campaigns/${campaign.id}/proposals`, { ...proposalBody(srv, { title }), submit: true })).proposal);
  }
  // The winner's photo, published with consent: the results, catalogue and model pages show it (issue 11).
  const author = await at(now).login(resident.phone);
  await author.request('POST', `/proposals/${sent[0].id}/attachments`, undefined, {
    raw: makePng(640, 480), headers: { 'Content-Type': 'image/png', 'X-Filename': 'so-tay.png' },
  });
  await author.request('PUT', `/proposals/${sent[0].id}/publicity`, { photos: true, contact: true });
  const later = now + 10 * 60;
  const boss = await at(later).login(leader.phone);
  await boss.post(`/campaigns/${campaign.id}/transitions`, { to: 'closed' });
  await boss.post(`/campaigns/${campaign.id}/transitions`, { to: 'appraisal' });
  await boss.request('PUT', `/campaigns/${campaign.id}/panel`, { panelist_ids: [a.id, b.id] });
  await boss.post(`/campaigns/${campaign.id}/assignments`, { mode: 'all' });
  for (const p of [a, b]) {
    const client = await at(later).login(p.phone);
    for (const [i, pr] of sent.entries()) {
      const q = await client.get(`/proposals/${pr.id}/appraisal`);
      await client.request('PUT', `/proposals/${pr.id}/review`, {
        scores: q.criteria.map((k) => ({ criterion_id: k.id, score: 8 - 3 * i })), overall_comment: 'Làm được ở tổ.',
        version: q.review ? q.review.version : 0, submit: true,
      });
    }
  }
  await boss.request('PUT', `/campaigns/${campaign.id}/awards`, { awards: [{ name: 'Giải Nhất', count: 1 }] });
  await boss.post(`/campaigns/${campaign.id}/panel/lock`, {});
  await boss.post(`/campaigns/${campaign.id}/decision`, {});
  await boss.post(`/campaigns/${campaign.id}/publish`, { password: PASSWORD });
  // A draft review on the call still in appraisal.
  const q = await a.api.get(`/proposals/${proposals[0].id}/appraisal`);
  await a.api.request('PUT', `/proposals/${proposals[0].id}/review`, {
    scores: q.criteria.map((k) => ({ criterion_id: k.id, score: 6 })), overall_comment: 'Còn thiếu chi phí.', version: 0, submit: false,
  });
  const { models } = await boss.get(`/models?ward_id=${srv.ward.id}`);
  [winner] = sent;
  model = models.find((m) => m.campaign && m.campaign.id === campaign.id) || models[0];
  assert.ok(model, 'a published winner is in the catalogue');
  return (await boss.get(`/campaigns/${campaign.id}`)).campaign;
}

after(async () => {
  if (browser) await browser.close();
  if (srv) {
    const { code, log } = await srv.stop();
    assert.equal(code, 0, `server exit ${code}; tail:\n${log.slice(-3000)}`);
  }
});

/** Checks the page as it is now. */
async function check(page, label) {
  await assertAccessibleWithCSP(page, label);
  await assertFitsPhone(page, label);
}

/** A draft call, a proposal sent with a volunteer's help, and the public pages signed out. */
async function moreEnglish(page) {
  for (const [url, ready] of [[`/call.html?id=${draftCall.id}`, '#call-body'], [`/proposal.html?id=${helped.id}`, '#proposal-body']]) {
    await openReady(page, url);
    await page.locator(ready).waitFor();
    await check(page, `${url} (en)`);
  }
  await page.context().clearCookies();
  for (const [url, ready] of [['/', 'main'], ['/calls.html', '#calls-list li'], [`/call.html?id=${call.id}`, '#call-body'],
    [`/track.html?code=${helped.tracking_code}`, '#track-result']]) {
    await openReady(page, url);
    await page.locator(ready).first().waitFor();
    await check(page, `${url} signed out (en)`);
  }
  assert.equal(await (await menu(page)).getByRole('link', { name: en.nav.register, exact: true }).isVisible(), true);
  assert.equal(await (await menu(page)).getByRole('link', { name: en.nav.my, exact: true }).isVisible(), false);
  // Setting a password with a code (signed out), empty and with its errors.
  await openReady(page, '/set-password.html');
  await page.locator('#sp-form').waitFor();
  assert.equal(await text(page.getByRole('heading', { level: 1 })), en.setPassword.heading);
  await check(page, '/set-password.html signed out (en)');
  await page.getByRole('button', { name: en.setPassword.submit, exact: true }).click();
  await page.locator('#sp-code-error').waitFor({ state: 'visible' });
  assert.equal(await text(page.locator('#sp-code-error')), en.validation.codeRequired);
  await check(page, '/set-password.html with errors (en)');
}

/** The leader's form, with errors and a criterion. */
async function leaderForm(page, d, code) {
  await openReady(page, '/leader.html');
  await page.getByRole('button', { name: d.leader.new, exact: true }).click();
  await page.getByRole('button', { name: d.leader.addCriterion, exact: true }).click();
  await page.getByRole('button', { name: d.leader.createSubmit, exact: true }).click();
  await alertText(page, '#leader-form-alert.is-shown');
  await check(page, `leader form with errors (${code})`);
}

/** The pages, each with what to wait for before checking. */
function pages() {
  return [
    ['/', 'html.nav-ready'],
    ['/calls.html', '#calls-list li'],
    [`/call.html?id=${call.id}`, '#call-body'],
    ['/my.html', '#my-list li'],
    [`/track.html?code=${proposal.tracking_code}`, '#track-result'],
    [`/proposal.html?id=${proposal.id}`, '#proposal-body'],
    ['/leader.html', '#leader-list li'],
    [`/submissions.html?campaign=${call.id}`, '#sub-list li'],
    ['/assist.html', '#assisted-list li'],
    [`/propose.html?campaign=${call.id}`, '#pf-step-1'],
    ['/account.html', '#account-data'],
  ];
}

for (const [code, d] of [['vi', vi], ['en', en]]) {
  test(`axe-core, 360 px, touch targets on every page and its states (${code})`, TIMEOUT, async () => {
    const { context, page } = await phonePage(browser, srv.baseURL);
    try {
      if (code === 'en') {
        await open(page, '/');
        await page.getByRole('button', { name: 'English', exact: true }).click();
        await waitForLang(page, 'en');
      }
      await loginUI(page, d, all.phone);
      for (const [url, ready] of pages()) {
        await openReady(page, url);
        await page.locator(ready).first().waitFor({ state: 'attached' });
        assert.equal(await page.evaluate(() => document.documentElement.lang), code);
        await check(page, `${url} (${code})`);
      }
      // The role links all show for this account.
      for (const key of ['calls', 'my', 'assist', 'leader', 'track', 'account']) {
        assert.equal(await (await menu(page)).getByRole('link', { name: d.nav[key], exact: true }).isVisible(), true, key);
      }

      // The proposal form with its errors; (in Vietnamese) Enter in a field moves on like "Continue".
      await openReady(page, `/propose.html?campaign=${call.id}`);
      await page.getByRole('button', { name: d.propose.next, exact: true }).click();
      await alertText(page);
      await check(page, `propose with errors (${code})`);
      if (code === 'en') {
        // The other states look the same in both languages; Vietnamese checks them below.
        await leaderForm(page, d, code);
        await moreEnglish(page);
        assertNoProblems(page, `every page (${code})`);
        return;
      }
      await page.getByLabel(d.propose.summaryLabel, { exact: true }).fill('Tóm tắt ngắn.');
      await page.getByLabel(d.propose.titleLabel, { exact: true }).fill('Thử bàn phím');
      await page.getByLabel(d.propose.titleLabel, { exact: true }).press('Enter');
      await waitForStep(page, d, 2);
      await page.getByRole('button', { name: d.propose.back, exact: true }).click();
      await waitForStep(page, d, 1);
      await fillSteps1to6(page, d);
      await page.locator('#pf-files').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: makePng() });
      await page.locator('#pf-file-list li').waitFor();
      await check(page, `propose step 7 with a photo (${code})`);
      await nextStep(page, d, 8);
      await check(page, `propose review (${code})`);
      await page.getByRole('button', { name: d.propose.submit, exact: true }).click();
      await page.locator('#pf-done').waitFor({ state: 'visible' });
      await check(page, `tracking code (${code})`);

      // A confirmation dialog.
      await openReady(page, '/my.html');
      await page.locator('#my-list li').first().waitFor();
      await page.locator('#my-list li').first().getByRole('button', { name: d.my.withdraw }).click();
      await page.getByRole('dialog').waitFor();
      await check(page, `withdraw dialog (${code})`);
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'detached' });

      // The volunteer's consent step.
      await openReady(page, '/assist.html');
      await page.locator('#assist-flow').waitFor();
      await page.getByLabel(d.assist.phoneLabel, { exact: true }).fill(code === 'vi' ? '0977000222' : '0977000333');
      await page.getByLabel(d.assist.nameLabel, { exact: true }).fill('Lý Thị Mai');
      await page.getByLabel(d.assist.groupLabel, { exact: true }).selectOption({ label: srv.group.name });
      await page.getByRole('button', { name: d.assist.residentSubmit, exact: true }).click();
      await page.locator('#consent-form').waitFor({ state: 'visible' });
      assert.equal(await text(page.locator('#consent-text')), d.consent.v1);
      await check(page, `assist consent (${code})`);
      await page.getByLabel(d.assist.consentCheck, { exact: true }).check();
      await page.getByRole('button', { name: d.assist.consentSubmit, exact: true }).click();
      await page.locator('#assist-proposal').waitFor({ state: 'visible' });
      await check(page, `assist proposal form (${code})`);

      await leaderForm(page, d, code);
      assertNoProblems(page, `every page (${code})`);
    } finally {
      await context.close();
    }
  });
}


/** Every page the frontend serves: frontend/*.html. */
const HTML_PAGES = readdirSync(path.join(repoRoot, 'frontend')).filter((f) => f.endsWith('.html')).sort();

/**
 * Each page with the account that uses it (null: signed out) and what to wait for: the
 * public pages signed out, then the resident/volunteer/leader, the panelist, the administrator.
 */
function everyPage() {
  const [a] = ap.panelists;
  return [
    [null, '/', 'main'],
    [null, '/login.html', '#login-form'],
    [null, '/register.html', 'form'],
    [null, '/set-password.html', '#sp-form'],
    [null, '/calls.html', '#calls-list li'],
    [null, `/call.html?id=${call.id}`, '#call-body'],
    [null, `/track.html?code=${proposal.tracking_code}`, '#track-result'],
    [null, `/results.html?id=${published.id}`, 'main h2'],
    [null, '/catalogue.html', 'main li'],
    [null, `/model.html?id=${model.id}`, 'main h1'],
    [all, '/', 'main'],
    [all, '/account.html', '#account-data'],
    [all, '/notices.html', '#notices-summary:not([hidden])'],
    [all, '/my.html', '#my-list li'],
    [all, `/proposal.html?id=${proposal.id}`, '#proposal-body'],
    [all, `/propose.html?campaign=${call.id}`, '#pf-step-1'],
    [all, '/assist.html', '#assisted-list li'],
    [all, '/leader.html', '#leader-list li'],
    [all, `/submissions.html?campaign=${call.id}`, '#sub-list li'],
    [all, `/appraisal.html?campaign=${ap.call.id}`, '#ap-body'],
    [all, `/appraisal.html?campaign=${published.id}`, '#ap-body'],
    [all, '/residents.html', '#residents-root'],
    [ap.resident, '/my.html', '#my-list li'],
    [ap.resident, `/proposal.html?id=${winner.id}`, '#proposal-body'],
    [a, '/', 'main'],
    [a, `/panel.html?campaign=${ap.call.id}`, '#panel-scoring:not([hidden])'],
    [a, `/review.html?proposal=${ap.proposals[0].id}`, 'main form'],
    [ADMIN, '/admin.html', '#wards-title'],
  ];
}

/** axe (any impact) on the page as it is now; what it finds is added to found. */
async function sweep(page, label, found) {
  try {
    await assertAccessibleWithCSP(page, label);
  } catch (err) {
    if (!(err instanceof assert.AssertionError)) throw err;
    found.push(`${label}:\n  ${err.actual.join('\n  ')}`);
  }
}

/**
 * The states a page shows only after an action: form errors, the volunteer's steps, a
 * resident found, an account opened. phone: a new resident's number for this run.
 */
async function pageStates(page, d, url, label, found, phone) {
  if (url === '/set-password.html') {
    await page.getByRole('button', { name: d.setPassword.submit, exact: true }).click();
    await page.locator('#sp-code-error').waitFor({ state: 'visible' });
    await sweep(page, `${label} with errors`, found);
  } else if (url === '/propose.html') {
    await page.getByRole('button', { name: d.propose.next, exact: true }).click();
    await alertText(page);
    await sweep(page, `${label} with errors`, found);
  } else if (url === '/assist.html') {
    await page.getByLabel(d.assist.phoneLabel, { exact: true }).fill(phone);
    await page.getByLabel(d.assist.nameLabel, { exact: true }).fill('Lý Thị Mai');
    await page.getByLabel(d.assist.groupLabel, { exact: true }).selectOption({ label: srv.group.name });
    await page.getByRole('button', { name: d.assist.residentSubmit, exact: true }).click();
    await page.locator('#consent-form').waitFor({ state: 'visible' });
    await sweep(page, `${label} consent step`, found);
    await page.getByLabel(d.assist.consentCheck, { exact: true }).check();
    await page.getByRole('button', { name: d.assist.consentSubmit, exact: true }).click();
    await page.locator('#assist-proposal').waitFor({ state: 'visible' });
    await sweep(page, `${label} proposal step`, found);
  } else if (url === '/my.html') {
    const withdraw = page.locator('#my-list li').getByRole('button', { name: d.my.withdraw });
    if (await withdraw.count() === 0) return;
    await withdraw.first().click();
    await page.getByRole('dialog').waitFor();
    await sweep(page, `${label} with the withdraw dialog`, found);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
  } else if (url === '/review.html') {
    await page.locator('.proposal-text summary').click();
    await page.locator('#rv-files li').first().waitFor();
    await sweep(page, `${label} with the proposal and its photo opened`, found);
  } else if (url === '/residents.html') {
    await page.locator('#residents-q').fill('666');
    await page.locator('#residents-form').getByRole('button', { name: d.residents.searchSubmit, exact: true }).click();
    await page.locator('#residents-list li').first().waitFor();
    await sweep(page, `${label} with a resident found`, found);
    await page.locator('#residents-list li').first().getByRole('button').first().click();
    await page.locator('#resident-detail:not([hidden])').waitFor();
    await sweep(page, `${label} with a resident opened`, found);
  } else if (url === '/admin.html') {
    await page.locator('#search-q').fill('Lãnh');
    await page.locator('#search-form').getByRole('button', { name: d.admin.searchSubmit, exact: true }).click();
    await page.locator('#search-results li').first().waitFor();
    await page.locator('#search-results li').first().getByRole('button').first().click();
    await page.locator('#account-detail:not([hidden])').waitFor();
    await sweep(page, `${label} with an account opened`, found);
  }
}

for (const [code, d] of [['vi', vi], ['en', en]]) {
  for (const width of [360, 1280]) {
    test(`axe-core finds no violation of any impact on every page, ${width} px (${code})`, TIMEOUT, async () => {
      const { context, page } = await phonePage(browser, srv.baseURL, width === 1280 ? DESKTOP : {});
      const found = [];
      const seen = new Set();
      try {
        await open(page, '/');
        if (code === 'en') {
          await page.getByRole('button', { name: 'English', exact: true }).click();
          await waitForLang(page, 'en');
        }
        let who = null;
        for (const [account, url, ready] of everyPage()) {
          if (account !== who) {
            await context.clearCookies();
            if (account) await loginUI(page, d, account.phone);
            who = account;
          }
          await openReady(page, url);
          await page.locator(ready).first().waitFor({ state: 'attached' });
          await page.waitForLoadState('networkidle');
          assert.equal(await page.evaluate(() => document.documentElement.lang), code, url);
          const label = `${url} ${account ? account.name : 'signed out'} (${width} px, ${code})`;
          await sweep(page, label, found);
          await pageStates(page, d, url.split('?')[0], label, found, `0977${code === 'vi' ? 1 : 2}${width === 360 ? 1 : 2}0000`);
          seen.add(url.split('?')[0].replace(/^\/$/, '/index.html').slice(1));
        }
        assert.deepEqual([...seen].sort(), HTML_PAGES, 'every page in frontend/*.html is checked');
        assert.deepEqual(found, [], `axe violations (any impact), ${width} px, ${code}`);
        assertNoProblems(page, `every page (${width} px, ${code})`);
      } finally {
        await context.close();
      }
    });
  }
}
