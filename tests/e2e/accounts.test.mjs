// Accounts in the browser, on a 360 x 740 phone: register, my account, log out,
// log in, in Vietnamese (the default) and in English; translated errors;
// axe-core on every page; a clean server shutdown.
//
// Run: node --test tests/e2e/   (see tests/e2e/lib/server.mjs for the environment)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import {
  assertAccessible, assertNoProblems, assertTouchTargets, dicts, launchBrowser, open, phonePage, waitForLang,
} from './lib/browser.mjs';
import { menu } from './lib/flows.mjs';

const { vi, en } = dicts;
const SHOTS = process.env.SANGKIEN_E2E_SCREENSHOTS || '/tmp';
const PASSWORD = 'con mèo ăn cơm lúc 7 giờ';
const TIMEOUT = { timeout: 180000 };

const hoa = { name: 'Nguyễn Thị Hoa', typed: '090 123 4567', shown: '0901234567', kind: 'phone' };
const binh = { name: 'Trần Văn Bình', typed: 'binh.tran@example.vn', shown: 'binh.tran@example.vn', kind: 'email' };
const lan = { name: 'Lê Thị Lan', typed: '0387654321', shown: '0387654321', kind: 'phone' };
const minh = { name: 'Phạm Minh', typed: '0912345678', shown: '0912345678', kind: 'phone' };

let srv;
let browser;

before(async () => {
  srv = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

const text = async (locator) => (await locator.textContent()).trim();
const h1 = (page) => page.getByRole('heading', { level: 1 });
const lang = (page) => page.evaluate(() => document.documentElement.lang);

async function fillLogin(page, d, person) {
  if (person.kind === 'email') await page.getByLabel(d.common.kindEmail, { exact: true }).check();
  const label = person.kind === 'email' ? d.common.emailLabel : d.common.phoneLabel;
  await page.getByLabel(label, { exact: true }).fill(person.typed);
}

/** Fills and sends the registration form (the page must be register.html). */
async function submitRegistration(page, d, person, password = PASSWORD) {
  await page.getByLabel(d.register.nameLabel, { exact: true }).fill(person.name);
  await fillLogin(page, d, person);
  await page.getByLabel(d.common.passwordLabel, { exact: true }).fill(password);
  await page.getByLabel(d.register.wardLabel, { exact: true }).selectOption({ label: srv.ward.name });
  await page.getByLabel(d.register.groupLabel).selectOption({ label: srv.group.name });
  await page.getByRole('button', { name: d.register.submit, exact: true }).click();
}

async function register(page, d, person) {
  await submitRegistration(page, d, person);
  await page.waitForURL(/\/account\.html$/);
  // The page has loaded; its dictionary arrives a moment later (html lang is "vi" until then).
  await page.waitForSelector('html.i18n-ready', { state: 'attached' });
}

/** The account page shows person as a resident of the seeded ward. */
async function expectAccount(page, d, person) {
  await page.locator('#account-details').waitFor({ state: 'visible' });
  assert.equal(await text(h1(page)), d.account.heading);
  assert.equal(await page.title(), d.account.title);
  assert.equal(await text(page.locator('#account-name')), person.name);
  assert.equal(await text(page.locator('#account-login')), person.shown);
  const roles = page.locator('#account-roles li');
  assert.equal(await roles.count(), 1);
  assert.equal(await text(roles.locator('.roles__role')), d.roles.resident);
  assert.equal(await text(roles.locator('.roles__ward')), srv.ward.name);
  assert.equal(await text(roles.locator('.roles__group')), srv.group.name);
  assert.notEqual(await text(page.locator('#account-created')), '');
}

async function logout(page, d) {
  await page.getByRole('button', { name: d.account.logout, exact: true }).click();
  await page.waitForURL(/\/index\.html$/);
  assert.equal(await text(h1(page)), d.home.heading);
}

async function login(page, d, person, password = PASSWORD) {
  await open(page, '/login.html');
  assert.equal(await text(h1(page)), d.login.heading);
  await fillLogin(page, d, person);
  await page.getByLabel(d.common.passwordLabel, { exact: true }).fill(password);
  await assertFitsPhone(page, 'login');
  await page.getByRole('button', { name: d.login.submit, exact: true }).click();
}

async function alertText(page) {
  const alert = page.getByRole('alert');
  await page.waitForFunction(() => document.querySelector('[role="alert"]').textContent.trim() !== '');
  return text(alert);
}

/** No sideways scrolling at 360 px, and every control is a 44 px touch target. */
async function assertFitsPhone(page, label) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `${label}: page is ${width}px wide, wider than the 360px screen`);
  await assertTouchTargets(page, label);
}

test('Vietnamese (default): register with a phone number, my account, log out, log in', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await open(page, '/');
    assert.equal(await lang(page), 'vi');
    assert.equal(await text(h1(page)), vi.home.heading);
    assert.equal(await text(page.locator('[data-lang-switch]')), vi.lang.switch);
    const fontSize = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    assert.ok(fontSize >= 18, `base font ${fontSize}px`);
    await assertFitsPhone(page, 'index');

    await (await menu(page)).getByRole('link', { name: vi.nav.register, exact: true }).click();
    await page.waitForURL(/\/register\.html$/);
    await page.waitForSelector('html.i18n-ready', { state: 'attached' });
    assert.equal(await page.title(), vi.register.title);
    assert.equal(await text(h1(page)), vi.register.heading);
    await assertFitsPhone(page, 'register');

    await register(page, vi, hoa);
    await expectAccount(page, vi, hoa);
    await assertFitsPhone(page, 'account');
    await page.screenshot({ path: path.join(SHOTS, 'sangkien-account-360.png'), fullPage: true });

    await logout(page, vi);
    // Logged out, my account sends me to the login page.
    await page.goto('/account.html');
    await page.waitForURL(/\/login\.html$/);

    await login(page, vi, { ...hoa, typed: '+84 90 123 4567' });
    await page.waitForURL(/\/account\.html$/);
    await expectAccount(page, vi, hoa);
    await logout(page, vi);
    assertNoProblems(page, 'Vietnamese flow');
  } finally {
    await context.close();
  }
});

test('English after the language switch: register with an email, my account, log out, log in', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await open(page, '/');
    assert.equal(await lang(page), 'vi');
    await page.getByRole('button', { name: 'English', exact: true }).click();
    await waitForLang(page, 'en');
    assert.equal(await text(h1(page)), en.home.heading);
    assert.equal(await page.title(), en.home.title);
    assert.equal(await text(page.getByRole('button', { name: 'Tiếng Việt', exact: true })), 'Tiếng Việt');

    // The choice carries over to the next page.
    await (await menu(page)).getByRole('link', { name: en.nav.register, exact: true }).click();
    await page.waitForURL(/\/register\.html$/);
    await page.waitForSelector('html.i18n-ready', { state: 'attached' });
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.equal(await text(h1(page)), en.register.heading);
    assert.equal(await page.title(), en.register.title);

    await register(page, en, binh);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await expectAccount(page, en, binh);
    await page.screenshot({ path: path.join(SHOTS, 'sangkien-account-360-en.png'), fullPage: true });

    await logout(page, en);
    await login(page, en, { ...binh, typed: 'Binh.Tran@Example.vn' });
    await page.waitForURL(/\/account\.html$/);
    await expectAccount(page, en, binh);
    await logout(page, en);

    // And back to Vietnamese.
    await page.getByRole('button', { name: 'Tiếng Việt', exact: true }).click();
    await waitForLang(page, 'vi');
    assert.equal(await text(h1(page)), vi.home.heading);
    assertNoProblems(page, 'English flow');
  } finally {
    await context.close();
  }
});

test('errors are shown translated, linked to their fields and announced', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    // Empty login form: checked in the page, focus goes to the first field.
    await open(page, '/login.html');
    await page.getByRole('button', { name: vi.login.submit, exact: true }).click();
    assert.equal(await alertText(page), vi.validation.summary);
    const loginInput = page.getByLabel(vi.common.phoneLabel, { exact: true });
    assert.equal(await loginInput.getAttribute('aria-invalid'), 'true');
    const describedBy = (await loginInput.getAttribute('aria-describedby')).split(/\s+/);
    assert.ok(describedBy.includes('login-login-error'), describedBy.join(' '));
    assert.equal(await text(page.locator('#login-login-error')), vi.validation.loginRequired);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'login-login');

    // Wrong password: the server's invalid_credentials, in Vietnamese.
    await login(page, vi, hoa, 'sai mật khẩu rồi');
    assert.equal(await alertText(page), vi.errors.invalid_credentials);
    assert.match(page.url(), /\/login\.html$/);

    // Switching language translates the message already shown.
    await page.getByRole('button', { name: 'English', exact: true }).click();
    await waitForLang(page, 'en');
    assert.equal(await text(page.getByRole('alert')), en.errors.invalid_credentials);

    // And in English from the start.
    await login(page, en, hoa, 'wrong password!');
    assert.equal(await alertText(page), en.errors.invalid_credentials);

    // A number that is already registered: login_taken, on the login field.
    await open(page, '/register.html');
    await submitRegistration(page, en, { ...hoa, name: 'Someone Else' });
    assert.equal(await alertText(page), en.errors.login_taken);
    const regLogin = page.getByLabel(en.common.phoneLabel, { exact: true });
    assert.equal(await regLogin.getAttribute('aria-invalid'), 'true');
    assert.equal(await text(page.locator('#reg-login-error')), en.errors.login_taken);

    // Too short a password is caught before anything is sent.
    await open(page, '/register.html');
    await submitRegistration(page, en, minh, 'short');
    assert.equal(await alertText(page), en.validation.summary);
    assert.equal(await text(page.locator('#reg-password-error')), en.validation.passwordShort);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'reg-password');
    assertNoProblems(page, 'error checks');
  } finally {
    await context.close();
  }
});

test('too many wrong passwords: the page says how long to wait (Retry-After), in both languages', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  // A number nobody registered: its failures block only this login from this address.
  const stranger = { name: 'Người lạ', typed: '0376543210', shown: '0376543210', kind: 'phone' };
  try {
    let blocked = false;
    for (let i = 0; i < 8 && !blocked; i++) {
      await login(page, vi, stranger, `sai mật khẩu ${i}`);
      blocked = (await alertText(page)) !== vi.errors.invalid_credentials;
    }
    assert.ok(blocked, 'never refused with 429');
    const waitVi = await alertText(page);
    assert.match(waitVi, /^Bạn đã thử quá nhiều lần\. Vui lòng đợi \d+ (giây|phút) rồi thử lại\.$/, waitVi);
    await page.getByRole('button', { name: 'English', exact: true }).click();
    await waitForLang(page, 'en');
    assert.match(await text(page.getByRole('alert')), /^Too many attempts\. Please wait \d+ (seconds|minutes) and try again\.$/);
    assertNoProblems(page, 'throttled login');
  } finally {
    await context.close();
  }
});

test('axe-core finds no violation of any impact; keyboard skip link works', TIMEOUT, async () => {
  // axe is injected with addScriptTag, i.e. an inline script, which the
  // served CSP (rightly) refuses; this context alone bypasses the CSP.
  const { context, page } = await phonePage(browser, srv.baseURL, { bypassCSP: true });
  try {
    for (const [code, d] of [['vi', vi], ['en', en]]) {
      await open(page, '/');
      if ((await lang(page)) !== code) {
        await page.locator('[data-lang-switch]').click();
        await waitForLang(page, code);
      }
      // Keyboard, on a freshly loaded page: the first Tab stop is the skip
      // link, which moves focus to main.
      await open(page, '/');
      assert.equal(await lang(page), code);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
      assert.equal(await text(page.locator('.skip-link')), d.common.skip);
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'main');
      await assertAccessible(page, `index.html (${code})`);

      await open(page, '/register.html');
      await assertAccessible(page, `register.html (${code})`);
      await page.getByRole('button', { name: d.register.submit, exact: true }).click();
      await alertText(page);
      await assertAccessible(page, `register.html with errors (${code})`);
      if (code === 'vi') {
        await page.screenshot({ path: path.join(SHOTS, 'sangkien-register-errors-360.png'), fullPage: true });
      }

      await open(page, '/login.html');
      await assertAccessible(page, `login.html (${code})`);
      await login(page, d, minh, 'not the password');
      await alertText(page);
      await assertAccessible(page, `login.html with an error (${code})`);

      const person = code === 'vi' ? lan : { ...lan, typed: '0387654322', shown: '0387654322' };
      await open(page, '/register.html');
      await register(page, d, person);
      await expectAccount(page, d, person);
      await assertAccessible(page, `account.html (${code})`);
      await logout(page, d);
    }
  } finally {
    await context.close();
  }
});

test('the server stops cleanly on SIGTERM', TIMEOUT, async () => {
  await browser.close();
  browser = null;
  const { code, signal, log, logPath } = await srv.stop();
  assert.equal(code, 0, `server exit code ${code} signal ${signal} (log: ${logPath}); tail:\n${log.slice(-3000)}`);
});
