// The one layout (js/layout.js) on a 360 × 740 phone: the menu folded behind
// "Menu" and opened and closed with the keyboard, shown inline on a wide
// screen; no page scrolls sideways with the browser's text at 200 % in either
// language (menu open and closed); one GET /me per signed-out page load.
// Residents on the way: registering from a call's "Gửi đề xuất" comes back to
// that call's form with a success message; a session that ends mid-form says
// so with a link to log in, the menu turns to a guest's, and after logging in
// the form has its text; a draft's button says "Xoá bản nháp".
//
// Run: node --test tests/e2e/layout.test.mjs   (see tests/e2e/lib/server.mjs)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, phonePage } from './lib/browser.mjs';
import { PASSWORD, makeAccount, openCall } from './lib/seed.mjs';
import {
  alertText, assertAccessibleWithCSP, assertFitsPhone, loginUI, menu, nextStep, openReady, text, waitForStepVisible,
} from './lib/flows.mjs';

const { vi, en } = dicts;
// Role grants go through psql, which a server given by SANGKIEN_E2E_BASE_URL does not offer.
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs database access (psql) for seeding roles' : false;
const TIMEOUT = { timeout: 240000, skip: SKIP };

let srv;
let browser;
let all; // volunteer, panelist and leader: every entry of the menu
let call;

before(async () => {
  if (SKIP) return;
  srv = await startServer({ env: { SANGKIEN_TEST_CLOCK: '1' } });
  browser = await launchBrowser();
  all = await makeAccount(srv, { name: 'Lý Thị Menu', phone: '0911000077' }, 'volunteer', 'panelist', 'leader');
  call = await openCall(all.api, srv, { title: 'Đợt kêu gọi để thử menu' });
});

after(async () => {
  if (browser) await browser.close();
  if (srv) {
    const { code, log } = await srv.stop();
    assert.equal(code, 0, `server exit ${code}; tail:\n${log.slice(-3000)}`);
  }
});

const PUBLIC_PAGES = () => ['/', '/calls.html', `/call.html?id=${call.id}`, '/track.html', '/catalogue.html',
  '/register.html', '/login.html', '/set-password.html', `/results.html?id=${call.id}`];
const PRIVATE_PAGES = () => ['/my.html', '/account.html', `/propose.html?campaign=${call.id}`, '/assist.html',
  '/panel.html', '/leader.html', `/submissions.html?campaign=${call.id}`, `/appraisal.html?campaign=${call.id}`];

/** The header's size and the page's width, as the browser lays them out. */
function measure(page) {
  return page.evaluate(() => ({
    width: document.documentElement.scrollWidth,
    header: Math.round(document.querySelector('header.site-header').getBoundingClientRect().height),
  }));
}

/** Sets the browser's text size (like the phone's font setting), 16 px being 100 %. */
async function setTextSize(page, percent) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Page.setFontSizes', { fontSizes: { standard: Math.round(16 * percent / 100), fixed: Math.round(13 * percent / 100) } });
  await cdp.detach();
}

test('on a phone the menu is folded behind "Menu", opened and closed by keyboard; inline on a wide screen', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await openReady(page, '/calls.html');
    const button = page.getByRole('button', { name: vi.nav.menu, exact: true });
    const nav = page.locator('header nav.site-nav');
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    assert.equal(await button.getAttribute('aria-controls'), await nav.getAttribute('id'));
    assert.equal(await nav.isVisible(), false, 'folded on a phone');
    // One compact line: brand, Menu, language.
    const { header, width } = await measure(page);
    assert.ok(header <= 90, `the header is ${header}px high`);
    assert.ok(width <= 360, `page is ${width}px wide`);
    const tops = await page.evaluate(() => [...document.querySelectorAll('.site-header__bar > *')].map((e) => Math.round(e.getBoundingClientRect().top)));
    assert.equal(new Set(tops).size, 1, `brand, Menu and language on one line: ${tops}`);

    // Keyboard: skip link, brand, Menu; Enter opens, the links follow in order, Escape closes.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'menu-button');
    await page.keyboard.press('Enter');
    assert.equal(await button.getAttribute('aria-expanded'), 'true');
    await nav.waitFor({ state: 'visible' });
    const navigation = page.getByRole('navigation', { name: vi.nav.label });
    assert.equal(await navigation.getByRole('link', { name: vi.nav.calls, exact: true }).getAttribute('aria-current'), 'page');
    assert.equal(await navigation.getByRole('link', { name: vi.nav.login, exact: true }).isVisible(), true);
    assert.equal(await navigation.getByRole('link', { name: vi.nav.leader, exact: true }).isVisible(), false);
    await page.keyboard.press('Tab'); // the language button
    await page.keyboard.press('Tab'); // the first entry
    assert.equal(await page.evaluate(() => document.activeElement.textContent), vi.nav.home);
    await assertAccessibleWithCSP(page, 'calls.html, menu open');
    await page.keyboard.press('Escape');
    assert.equal(await button.getAttribute('aria-expanded'), 'false');
    assert.equal(await nav.isVisible(), false);
    assert.equal(await page.evaluate(() => document.activeElement.className), 'menu-button');

    // Wide screen: no button, the list inline.
    await page.setViewportSize({ width: 1024, height: 740 });
    assert.equal(await button.isVisible(), false);
    assert.equal(await nav.isVisible(), true);
    await page.setViewportSize({ width: 360, height: 740 });
    assertNoProblems(page, 'layout');
  } finally {
    await context.close();
  }
});

test('every page draws the same header and menu; the role entries follow /me', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await loginUI(page, vi, all.phone);
    for (const url of [...PUBLIC_PAGES(), ...PRIVATE_PAGES()]) {
      await openReady(page, url);
      assert.equal(await page.locator('header').count(), 1, url);
      assert.equal(await page.locator('body > .skip-link:first-child').count(), 1, `${url}: skip link first`);
      assert.equal(await text(page.locator('[data-lang-switch]')), vi.lang.switch, url);
      await page.locator('header .menu-button').click();
      const navigation = page.getByRole('navigation', { name: vi.nav.label });
      for (const key of ['home', 'calls', 'my', 'assist', 'panel', 'leader', 'catalogue', 'track', 'account']) {
        assert.equal(await navigation.getByRole('link', { name: vi.nav[key], exact: true }).isVisible(), true, `${url}: ${key}`);
      }
      for (const key of ['register', 'login']) {
        assert.equal(await navigation.getByRole('link', { name: vi.nav[key], exact: true }).isVisible(), false, `${url}: ${key}`);
      }
      const current = await navigation.locator('a[aria-current="page"]').allTextContents();
      assert.ok(current.length <= 1, `${url}: ${current}`);
    }
    assertNoProblems(page, 'every page');
  } finally {
    await context.close();
  }
});

for (const [code, d] of [['vi', vi], ['en', en]]) {
  test(`no page scrolls sideways at 360 px with the text at 200 % (${code})`, TIMEOUT, async () => {
    const { context, page } = await phonePage(browser, srv.baseURL);
    try {
      await page.goto('/');
      await page.evaluate((lang) => window.localStorage.setItem('sangkien.lang', lang), code);
      await setTextSize(page, 200);
      await loginUI(page, d, all.phone);
      for (const url of [...PUBLIC_PAGES(), ...PRIVATE_PAGES()]) {
        await openReady(page, url);
        await page.waitForTimeout(200); // lists drawn from the API
        const closed = await measure(page);
        assert.ok(closed.width <= 360, `${url} (${code}, 200 %): page is ${closed.width}px wide`);
        await page.locator('header .menu-button').click();
        const open = await measure(page);
        assert.ok(open.width <= 360, `${url} (${code}, 200 %, menu open): page is ${open.width}px wide`);
      }
      // The same with a CSS font size on <html> (the text, not the media queries, grows).
      await setTextSize(page, 100);
      await page.context().clearCookies();
      for (const url of PUBLIC_PAGES()) {
        await openReady(page, url);
        await page.evaluate(() => { document.documentElement.style.fontSize = '250%'; }); // 2 × the 125 % of app.css
        const closed = await measure(page);
        assert.ok(closed.width <= 360, `${url} (${code}, html 250 %): page is ${closed.width}px wide`);
        await page.locator('header .menu-button').click();
        const open = await measure(page);
        assert.ok(open.width <= 360, `${url} (${code}, html 250 %, menu open): page is ${open.width}px wide`);
      }
      assertNoProblems(page, `200 % text (${code})`);
    } finally {
      await context.close();
    }
  });
}

test('a signed-out page load asks GET /me once', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    let me = 0;
    let loads = 0;
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path === '/api/v1/me') me += 1;
      if (r.isNavigationRequest() && r.frame() === page.mainFrame()) loads += 1;
    });
    for (const url of [...PUBLIC_PAGES(), ...PRIVATE_PAGES()]) {
      me = 0;
      loads = 0;
      await page.goto(url);
      // A private page sends a guest on to the login page: two loads, one /me each.
      await page.waitForSelector('html.nav-ready', { state: 'attached' });
      await page.waitForLoadState('networkidle');
      assert.ok(loads >= 1, url);
      assert.equal(me, loads, `${url}: ${me} GET /me for ${loads} page load(s)`);
    }
  } finally {
    await context.close();
  }
});

test('registering from a call\'s "Gửi đề xuất" comes back to that call\'s form with a success message', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await openReady(page, `/call.html?id=${call.id}`);
    await page.getByRole('link', { name: vi.call.propose, exact: true }).click();
    await page.waitForURL(/\/login\.html\?next=/);
    await openReady(page, page.url().replace(/^https?:\/\/[^/]+/, ''));
    await page.getByRole('link', { name: vi.login.registerLink, exact: true }).click();
    await page.waitForURL(/\/register\.html\?next=/);
    await page.waitForSelector('html.i18n-ready', { state: 'attached' });
    await page.getByLabel(vi.register.nameLabel, { exact: true }).fill('Đào Thị Mới');
    await page.getByLabel(vi.common.phoneLabel, { exact: true }).fill('0912000555');
    await page.getByLabel(vi.common.passwordLabel, { exact: true }).fill(PASSWORD);
    await page.getByLabel(vi.register.wardLabel, { exact: true }).selectOption({ label: srv.ward.name });
    await page.getByLabel(vi.register.groupLabel).selectOption({ label: srv.group.name });
    await page.getByRole('button', { name: vi.register.submit, exact: true }).click();
    await page.waitForURL(new RegExp(`/propose\\.html\\?campaign=${call.id}$`));
    await page.waitForSelector('html.nav-ready', { state: 'attached' });
    const flash = page.locator('main .flash');
    await flash.waitFor({ state: 'visible' });
    assert.equal(await text(flash), vi.register.welcome);
    await waitForStepVisible(page, vi, 1);
    assert.equal(await page.locator('#account-delete').count(), 0, 'not the account page');
    await assertFitsPhone(page, 'propose after registering');
    await assertAccessibleWithCSP(page, 'propose after registering');
    // Once only: a reload shows no message.
    await openReady(page, `/propose.html?campaign=${call.id}`);
    await waitForStepVisible(page, vi, 1);
    assert.equal(await page.locator('main .flash').count(), 0);
    // A next= that is not a page of this site is ignored.
    await page.context().clearCookies();
    await openReady(page, '/register.html?next=https%3A%2F%2Fevil.example%2F');
    await page.getByLabel(vi.register.nameLabel, { exact: true }).fill('Đào Văn Khác');
    await page.getByLabel(vi.common.phoneLabel, { exact: true }).fill('0912000556');
    await page.getByLabel(vi.common.passwordLabel, { exact: true }).fill(PASSWORD);
    await page.getByLabel(vi.register.wardLabel, { exact: true }).selectOption({ label: srv.ward.name });
    await page.getByRole('button', { name: vi.register.submit, exact: true }).click();
    await page.waitForURL(/\/account\.html$/);
    assertNoProblems(page, 'register from a call');
  } finally {
    await context.close();
  }
});

test('a session that ends mid-form: a login link, a guest\'s menu, and the text kept after logging in; "Xoá bản nháp"', TIMEOUT, async () => {
  const resident = await makeAccount(srv, { name: 'Phan Văn Hết Giờ', phone: '0912000777' });
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await loginUI(page, vi, resident.phone, { next: `propose.html?campaign=${call.id}` });
    await waitForStepVisible(page, vi, 1);
    await page.getByLabel(vi.propose.titleLabel, { exact: true }).fill('Wifi miễn phí ở nhà văn hoá');
    await page.getByLabel(vi.propose.summaryLabel, { exact: true }).fill('Lắp wifi để bà con làm thủ tục trực tuyến.');
    await nextStep(page, vi, 2); // the draft is on the server now
    await page.getByLabel(vi.propose.problemLabel, { exact: true }).fill('Nhiều cụ không có mạng ở nhà.');
    // The session ends (as after 30 idle minutes).
    await srv.psql(`DELETE FROM sessions WHERE account_id = ${resident.id}`);
    await page.getByRole('button', { name: vi.propose.next, exact: true }).click();
    assert.equal(await alertText(page, '#pf-alert.is-shown'), `${vi.propose.sessionExpired} ${vi.errors.loginAgain}`);
    // The menu no longer looks signed in.
    await page.waitForFunction(() => !document.querySelector('nav [data-show="guest"]').hidden);
    const nav = await menu(page);
    assert.equal(await nav.getByRole('link', { name: vi.nav.login, exact: true }).isVisible(), true);
    assert.equal(await nav.getByRole('link', { name: vi.nav.my, exact: true }).isVisible(), false);
    await page.locator('header .menu-button').click(); // fold it again
    await page.locator('#pf-alert').getByRole('link', { name: vi.errors.loginAgain, exact: true }).click();
    await page.waitForURL(/\/login\.html\?next=propose\.html/);
    await page.waitForSelector('html.i18n-ready', { state: 'attached' });
    await page.getByLabel(vi.common.phoneLabel, { exact: true }).fill(resident.phone);
    await page.getByLabel(vi.common.passwordLabel, { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: vi.login.submit, exact: true }).click();
    await page.waitForURL(new RegExp(`/propose\\.html\\?campaign=${call.id}$`));
    await page.waitForSelector('html.nav-ready', { state: 'attached' });
    await waitForStepVisible(page, vi, 2);
    assert.equal(await page.getByLabel(vi.propose.problemLabel, { exact: true }).inputValue(), 'Nhiều cụ không có mạng ở nhà.');
    await page.getByRole('button', { name: vi.propose.back, exact: true }).click();
    await waitForStepVisible(page, vi, 1);
    assert.equal(await page.getByLabel(vi.propose.titleLabel, { exact: true }).inputValue(), 'Wifi miễn phí ở nhà văn hoá');
    await nextStep(page, vi, 2);
    await nextStep(page, vi, 3);

    // My proposals: the unsent draft's button deletes the draft, and says so.
    await openReady(page, '/my.html');
    const card = page.locator('#my-list li.card').filter({ hasText: 'Wifi miễn phí ở nhà văn hoá' });
    await card.waitFor();
    assert.equal(await card.getByRole('button', { name: new RegExp(vi.my.withdraw) }).count(), 0);
    await card.getByRole('button', { name: new RegExp(`^${vi.my.discard}`) }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await text(dialog), new RegExp(vi.my.discardBody.replace(/[.?()]/g, '\\$&')));
    await dialog.getByRole('button', { name: vi.my.discardConfirm, exact: true }).click();
    await page.locator('#my-status').filter({ hasText: vi.my.discarded.replace('{title}', 'Wifi miễn phí ở nhà văn hoá') }).waitFor();
    assert.equal(await card.count(), 0, 'a deleted draft leaves the list');
    assertNoProblems(page, 'session ends mid-form');
  } finally {
    await context.close();
  }
});
