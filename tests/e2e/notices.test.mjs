// A resident's notices across a whole call (issue 13), on a 360 x 740 phone and at 1280 px: the
// proposal is received (with its tracking code), the deadline is extended, the results are
// published with the resident's own result; signing in on the phone is a new device. The menu
// shows the unread count; marking one read,
// then all, brings it down to nothing. The page is axe-clean in Vietnamese and in English, and
// the tracking page tells the same stage and result. The proposal is sent through the API (the
// form has its own tests in proposals.test.mjs); the rest of the call is the leader's and the
// panel's work through the API, with the test clock.
//
// Run: node --test tests/e2e/notices.test.mjs   (see tests/e2e/lib/server.mjs for the environment)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, open, phonePage, waitForLang } from './lib/browser.mjs';
import { ApiClient, PASSWORD, addGroup, isoVN, makeAccount, proposalBody } from './lib/seed.mjs';
import { assertAccessibleWithCSP, assertFitsPhone, loginUI, menu, openReady, text } from './lib/flows.mjs';

const { vi, en } = dicts;
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs database access (psql) for seeding roles' : false;
const TIMEOUT = { timeout: 180000, skip: SKIP };
const DESKTOP = Object.freeze({ viewport: { width: 1280, height: 900 }, isMobile: false, hasTouch: false, deviceScaleFactor: 1 });

let srv;
let browser;
let resident;
let code;

/** A whole call through the API: submitted, extended, scored, published (one proposal: it wins). */
async function wholeCall() {
  const now = Math.floor(Date.now() / 1000);
  const at = (s) => new ApiClient(srv.baseURL, { now: s });
  const leader = await makeAccount(srv, { name: 'Lê Văn Lãnh', phone: '0912000001' }, 'leader');
  const other = await addGroup(srv, 'Tổ dân phố 9');
  const p1 = await makeAccount(srv, { name: 'Ngô Thẩm Một', phone: '0912000002', groupId: other.id }, 'panelist');
  const p2 = await makeAccount(srv, { name: 'Ngô Thẩm Hai', phone: '0912000003', groupId: other.id }, 'panelist');
  resident = await makeAccount(srv, { name: 'Đặng Thị Thông', phone: '0912000004' });
  const boss = await at(now).login(leader.phone);
  const { campaign } = await boss.post(`/wards/${srv.ward.id}/campaigns`, {
    title: 'Chuyển đổi số tổ dân phố 2026', description: 'Mời bà con góp ý tưởng.', rules: 'Nêu rõ chi phí.',
    opens_at: isoVN((now - 3600) * 1000), closes_at: isoVN((now + 120) * 1000), reviews_required: 2,
  });
  await boss.post(`/campaigns/${campaign.id}/transitions`, { to: 'open' });
  // The resident's own session from makeAccount: another login would be a new device (a notice too).
  const { proposal } = await resident.api.post(`/campaigns/${campaign.id}/proposals`, { ...proposalBody(srv), submit: true });
  code = proposal.tracking_code;
  await boss.post(`/campaigns/${campaign.id}/deadline`, { closes_at: isoVN((now + 300) * 1000), reason: 'Mưa bão, bà con chưa kịp gửi.' });
  const later = now + 600;
  const lboss = await at(later).login(leader.phone);
  await lboss.post(`/campaigns/${campaign.id}/transitions`, { to: 'closed' });
  await lboss.post(`/campaigns/${campaign.id}/transitions`, { to: 'appraisal' });
  await lboss.request('PUT', `/campaigns/${campaign.id}/panel`, { panelist_ids: [p1.id, p2.id] });
  await lboss.post(`/campaigns/${campaign.id}/assignments`, { mode: 'all' });
  for (const p of [p1, p2]) {
    const client = await at(later).login(p.phone);
    const q = await client.get(`/proposals/${proposal.id}/appraisal`);
    await client.request('PUT', `/proposals/${proposal.id}/review`, {
      scores: q.criteria.map((k) => ({ criterion_id: k.id, score: 8 })), overall_comment: 'Làm được ở tổ.', version: 0, submit: true,
    });
  }
  await lboss.request('PUT', `/campaigns/${campaign.id}/awards`, { awards: [{ name: 'Giải Nhất', count: 1 }] });
  await lboss.post(`/campaigns/${campaign.id}/panel/lock`, {});
  await lboss.post(`/campaigns/${campaign.id}/decision`, {});
  await lboss.post(`/campaigns/${campaign.id}/publish`, { password: PASSWORD });
}

before(async () => {
  if (SKIP) return;
  srv = await startServer({ env: { SANGKIEN_TEST_CLOCK: '1' } });
  browser = await launchBrowser();
  await wholeCall();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) {
    const { code: exit, log } = await srv.stop();
    assert.equal(exit, 0, `server exit ${exit}; tail:\n${log.slice(-3000)}`);
  }
});

const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));

/** The unread count in the menu ('' when none shown; the phone's menu may be folded). */
async function menuCount(page) {
  return page.locator('[data-nav-count="unread"]').evaluate((b) => (b.hidden ? '' : b.textContent.trim()));
}

test('a resident follows a whole call in Thông báo, marks it read, in both languages', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await loginUI(page, vi, resident.phone);
    await (await menu(page)).getByRole('link', { name: new RegExp(`^${vi.nav.notices}`) }).waitFor();
    assert.equal(await menuCount(page), '4', 'four unread notices in the menu');
    const link = (await menu(page)).getByRole('link', { name: `${vi.nav.notices} ${fill(vi.nav.unread, { n: 4 })}`, exact: true });
    await link.click();
    await page.waitForURL(/\/notices\.html$/);
    await page.waitForSelector('#notices-list li');
    const items = page.locator('#notices-list > li');
    assert.equal(await items.count(), 4);
    // Newest first: this phone, the results (with the resident's own result), the extension, the receipt.
    assert.equal(await text(items.nth(0).locator('h2')), 'Đăng nhập từ thiết bị mới');
    assert.equal(await text(items.nth(1).locator('h2')), 'Đã công bố kết quả');
    assert.match(await text(items.nth(1).locator('.notice__body')), new RegExp(`Đề xuất ${code}: đạt Giải Nhất \\(hạng 1\\)`));
    assert.equal(await text(items.nth(2).locator('h2')), 'Gia hạn nhận đề xuất');
    assert.equal(await text(items.nth(3).locator('h2')), `Đã nhận đề xuất ${code}`);
    assert.equal(await items.nth(3).getByRole('link', { name: vi.notices.open }).getAttribute('href'), `/track.html?code=${code}`);
    assert.equal(await text(page.locator('#notices-summary')), fill(vi.notices.unreadCount, { n: 4 }));
    await assertFitsPhone(page, 'notices.html (vi, 360)');
    await assertAccessibleWithCSP(page, 'notices.html (vi, 360)');

    // One read: the count follows, in the page and in the menu.
    await items.nth(3).getByRole('button', { name: vi.notices.markRead }).click();
    await page.waitForFunction(() => document.querySelectorAll('.notice--unread').length === 3);
    assert.equal(await menuCount(page), '3');
    // All read.
    await page.getByRole('button', { name: vi.notices.readAll }).click();
    await page.waitForFunction(() => document.querySelectorAll('.notice--unread').length === 0);
    assert.equal(await menuCount(page), '');
    assert.equal(await text(page.locator('#notices-summary')), vi.notices.allRead);

    // English: the same notices in English.
    await page.getByRole('button', { name: 'English', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('#notices-list h2')?.textContent === 'Signed in on a new device');
    assert.match(await text(items.nth(1).locator('.notice__body')), new RegExp(`Proposal ${code}: won Giải Nhất \\(rank 1\\)`));
    assert.equal(await text(items.nth(3).locator('h2')), `Proposal ${code} received`);
    await assertFitsPhone(page, 'notices.html (en, 360)');
    await assertAccessibleWithCSP(page, 'notices.html (en, 360)');

    // The tracking page tells the same stage and result.
    await openReady(page, `/track.html?code=${code}`);
    await page.waitForSelector('#track-result:not([hidden])');
    assert.equal(await text(page.locator('#track-r-stage')), en.states.published);
    assert.match(await text(page.locator('#track-r-result')), /^Won Giải Nhất/);
    assertNoProblems(page, 'notices and tracking (phone)');
  } finally {
    await context.close();
  }
});

test('the notices page and the channel settings are axe-clean at 1280 px in both languages', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL, DESKTOP);
  try {
    await loginUI(page, vi, resident.phone);
    for (const [lang, d] of [['vi', vi], ['en', en]]) {
      if (lang === 'en') {
        await page.getByRole('button', { name: 'English', exact: true }).click();
        await waitForLang(page, 'en');
      }
      await openReady(page, '/notices.html');
      await page.waitForSelector('#notices-list li');
      await assertAccessibleWithCSP(page, `notices.html (${lang}, 1280)`);
      await openReady(page, '/account.html');
      await page.waitForSelector('#notify-settings:not([hidden])');
      // This installation offers no outside channel yet: the boxes say so and cannot be ticked.
      assert.equal(await page.locator('#notify-sms').isDisabled(), true);
      // The page translates after it is ready: wait (bounded) for the words of this language.
      await page.waitForFunction((want) => document.querySelector('label[for="notify-sms"] .notify-off')
        ?.textContent.trim() === want, d.account.notifyUnavailable, { timeout: 10000 }).catch(() => {});
      assert.equal(await text(page.locator('label[for="notify-sms"] .notify-off')), d.account.notifyUnavailable);
      await assertAccessibleWithCSP(page, `account.html with notice settings (${lang}, 1280)`);
    }
    // A wrong email address: the server's code, shown at the field; nothing saved.
    await page.locator('#notify-email-address').fill('không phải thư');
    await page.getByRole('button', { name: en.account.notifySave }).click();
    await page.waitForSelector('#notify-alert.is-shown');
    assert.match(await text(page.locator('#notify-alert')), new RegExp(en.errors.invalid_email.slice(0, 20).replace(/[.()]/g, '\\$&')));
    await page.locator('#notify-email-address').fill('thong.dang@example.vn');
    await page.getByRole('button', { name: en.account.notifySave }).click();
    // The status first says "Sending…", then the outcome: wait (bounded) for it to leave "Sending".
    await page.waitForFunction((sending) => {
      const t = document.getElementById('notify-status').textContent.trim();
      return t.length > 0 && t !== sending;
    }, en.common.sending, { timeout: 10000 }).catch(() => {});
    assert.equal(await text(page.locator('#notify-status')), en.account.notifySaved);
    await open(page, '/account.html');
    await page.waitForSelector('#notify-settings:not([hidden])');
    assert.equal(await page.locator('#notify-email-address').inputValue(), 'thong.dang@example.vn');
    assertNoProblems(page, 'notices and settings (desktop)');
  } finally {
    await context.close();
  }
});
