// The one layout (js/layout.js) on a 360 × 740 phone: the menu folded behind
// "Menu" and opened and closed with the keyboard, shown inline on a wide
// screen; no page scrolls sideways with the browser's text at 200 % in either
// language (menu open and closed); one GET /me per signed-out page load.
//
// Run: node --test tests/e2e/layout.test.mjs   (see tests/e2e/lib/server.mjs)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, phonePage } from './lib/browser.mjs';
import { makeAccount, openCall } from './lib/seed.mjs';
import { assertAccessibleWithCSP, loginUI, openReady, text } from './lib/flows.mjs';

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
