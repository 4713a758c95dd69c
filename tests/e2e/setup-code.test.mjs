// A resident whose account a volunteer created has no password. On a 360 px phone, in Vietnamese:
// the volunteer creates the resident in the assisted flow and makes a password set-up code, shown
// large with its expiry and what to read aloud; then, in a fresh browser (the resident's own phone),
// the resident follows the login page's link "Chưa có mật khẩu hoặc quên mật khẩu?", enters their
// phone, the code and a new password twice, and logs in with it. A wrong code is refused with the
// dictionary's message, and the used code does not work again. axe-core checks both pages. Once
// the resident has a password, the volunteer who made the account finds them by initials and
// residential group and has no code button any more (only a ward leader may then make a code).
//
// Run: node --test tests/e2e/   (see tests/e2e/lib/server.mjs for the environment)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import { dicts, launchBrowser, phonePage } from './lib/browser.mjs';
import { addGroup, makeAccount, openCall } from './lib/seed.mjs';
import { alertText, assertAccessibleWithCSP, assertFitsPhone, loginUI, openReady, text } from './lib/flows.mjs';

const { vi } = dicts;
const SHOTS = process.env.SANGKIEN_E2E_SCREENSHOTS || '/tmp';
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs database access (psql) for seeding roles' : false;
const TIMEOUT = { timeout: 180000, skip: SKIP };
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
const NEW_PASSWORD = 'cây bàng trước ngõ nhà tôi';
const RESIDENT_PHONE = '0977 123 456';

let srv;
let browser;
let volunteer;
let group;

before(async () => {
  if (SKIP) return;
  srv = await startServer({ env: { SANGKIEN_TEST_CLOCK: '1' } });
  browser = await launchBrowser();
  group = await addGroup(srv, 'Tổ dân phố 7');
  const leader = await makeAccount(srv, { name: 'Lê Văn Lãnh', phone: '0912000001' }, 'leader');
  await openCall(leader.api, srv, { title: 'Sáng kiến chuyển đổi số 2026' });
  volunteer = await makeAccount(srv, { name: 'Phạm Thu Tình', phone: '0912000002' }, 'volunteer');
});

after(async () => {
  if (browser) await browser.close();
  if (srv) {
    const { code, log } = await srv.stop();
    assert.equal(code, 0, `server exit ${code}; tail:\n${log.slice(-3000)}`);
  }
});

test('a volunteer makes a set-up code and the resident sets a password with it and logs in', TIMEOUT, async () => {
  let code;
  {
    const { context, page } = await phonePage(browser, srv.baseURL);
    try {
      await loginUI(page, vi, volunteer.phone);
      await openReady(page, '/assist.html');
      await page.locator('#assist-flow').waitFor();
      assert.equal(await page.locator('#setup-code-section').isVisible(), false, 'no resident yet');
      await page.getByLabel(vi.assist.phoneLabel, { exact: true }).fill(RESIDENT_PHONE);
      await page.getByLabel(vi.assist.nameLabel, { exact: true }).fill('Nguyễn Thị Bảy');
      await page.getByLabel(vi.assist.groupLabel, { exact: true }).selectOption({ label: group.name });
      await page.getByRole('button', { name: vi.assist.residentSubmit, exact: true }).click();
      await page.locator('#consent-form').waitFor({ state: 'visible' });
      assert.equal(await page.getByRole('heading', { name: vi.assist.setupCodeHeading, exact: true }).isVisible(), true);

      await page.getByRole('button', { name: vi.assist.setupCodeButton, exact: true }).click();
      await page.locator('#setup-code-result').waitFor({ state: 'visible' });
      code = await text(page.locator('#setup-code-value'));
      assert.match(code, /^\d{4} \d{4}$/);
      assert.equal(await text(page.locator('#setup-code-status')), vi.assist.setupCodeMade);
      assert.match(await text(page.locator('#setup-code-expiry')), /^Dùng được đến .+, và chỉ một lần\.$/);
      assert.equal(await text(page.locator('#setup-code-read')), fill(vi.assist.setupCodeRead, { name: 'Nguyễn Thị Bảy' }));
      const size = await page.locator('#setup-code-value').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
      assert.ok(size >= 32, `the code is large (${size}px)`);
      const lines = await page.locator('#setup-code-value').evaluate((e) => Math.round(e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)));
      assert.equal(lines, 1, 'the code is on one line');
      assert.equal(await page.getByRole('button', { name: vi.assist.setupCodeAgain, exact: true }).isVisible(), true);
      await assertAccessibleWithCSP(page, 'assist: set-up code');
      await assertFitsPhone(page, 'assist: set-up code');
      await page.screenshot({ path: path.join(SHOTS, 'sangkien-setup-code-360.png'), fullPage: true });
    } finally {
      await context.close();
    }
  }

  // The resident's own phone: nobody is signed in.
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await openReady(page, '/login.html');
    assert.equal(await text(page.locator('[data-i18n="login.noPassword"]')), 'Chưa có mật khẩu hoặc quên mật khẩu?');
    await page.getByRole('link', { name: vi.login.setPasswordLink, exact: true }).click();
    await page.waitForURL(/\/set-password\.html$/);
    await page.waitForSelector('html.nav-ready', { state: 'attached' });
    assert.equal(await page.locator('h1').textContent(), vi.setPassword.heading);
    await assertAccessibleWithCSP(page, 'set-password');
    await assertFitsPhone(page, 'set-password');

    // Empty, then mismatched passwords: field errors, focus on the first.
    await page.getByRole('button', { name: vi.setPassword.submit, exact: true }).click();
    assert.equal(await alertText(page), vi.validation.summary);
    assert.equal(await text(page.locator('#sp-code-error')), vi.validation.codeRequired);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'sp-login');
    await assertAccessibleWithCSP(page, 'set-password with errors');
    const form = {
      phone: page.getByLabel(vi.common.phoneLabel, { exact: true }),
      code: page.getByLabel(vi.setPassword.codeLabel, { exact: true }),
      password: page.getByLabel(vi.setPassword.passwordLabel, { exact: true }),
      confirm: page.getByLabel(vi.setPassword.confirmLabel, { exact: true }),
    };
    await form.phone.fill(RESIDENT_PHONE);
    await form.code.fill(code);
    await form.password.fill(NEW_PASSWORD);
    await form.confirm.fill(`${NEW_PASSWORD}!`);
    await page.getByRole('button', { name: vi.setPassword.submit, exact: true }).click();
    assert.equal(await text(page.locator('#sp-confirm-error')), vi.validation.passwordMismatch);

    // A wrong code: the server's refusal, in Vietnamese.
    const wrong = code.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
    await form.code.fill(wrong);
    await form.confirm.fill(NEW_PASSWORD);
    await page.getByRole('button', { name: vi.setPassword.submit, exact: true }).click();
    await page.locator('#sp-code-error').waitFor({ state: 'visible' }); // the server's answer
    assert.equal(await text(page.locator('#sp-code-error')), vi.errors.invalid_setup_code);
    assert.equal(await alertText(page), vi.errors.invalid_setup_code);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'sp-code');

    // The right code.
    await form.code.fill(code);
    await form.password.fill(NEW_PASSWORD);
    await form.confirm.fill(NEW_PASSWORD);
    await page.getByRole('button', { name: vi.setPassword.submit, exact: true }).click();
    await page.locator('#sp-done').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => document.activeElement.id), 'sp-done-title');
    await assertAccessibleWithCSP(page, 'set-password done');
    await assertFitsPhone(page, 'set-password done');

    // Log in with the new password.
    await page.getByRole('link', { name: vi.setPassword.loginNow, exact: true }).click();
    await page.waitForURL(/\/login\.html$/);
    await page.getByLabel(vi.common.phoneLabel, { exact: true }).fill(RESIDENT_PHONE);
    await page.getByLabel(vi.common.passwordLabel, { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: vi.login.submit, exact: true }).click();
    await page.waitForURL(/\/account\.html$/);
    await page.waitForSelector('html.nav-ready', { state: 'attached' });
    assert.ok((await page.locator('main').textContent()).includes('Nguyễn Thị Bảy'));

    // The code is used up.
    await openReady(page, '/set-password.html');
    await page.getByLabel(vi.common.phoneLabel, { exact: true }).fill(RESIDENT_PHONE);
    await page.getByLabel(vi.setPassword.codeLabel, { exact: true }).fill(code);
    await page.getByLabel(vi.setPassword.passwordLabel, { exact: true }).fill('một mật khẩu khác hẳn');
    await page.getByLabel(vi.setPassword.confirmLabel, { exact: true }).fill('một mật khẩu khác hẳn');
    await page.getByRole('button', { name: vi.setPassword.submit, exact: true }).click();
    await page.locator('#sp-code-error').waitFor({ state: 'visible' });
    assert.equal(await alertText(page), vi.errors.invalid_setup_code);
  } finally {
    await context.close();
  }

  // The account is now the resident's: the volunteer who made it can no longer make it a code.
  {
    const { context: vc, page: vp } = await phonePage(browser, srv.baseURL);
    try {
      await loginUI(vp, vi, volunteer.phone);
      await openReady(vp, '/assist.html');
      await vp.locator('#assist-flow').waitFor();
      await vp.getByLabel(vi.assist.phoneLabel, { exact: true }).fill(RESIDENT_PHONE);
      await vp.getByLabel(vi.assist.nameLabel, { exact: true }).fill('Nguyễn Thị Bảy');
      await vp.getByLabel(vi.assist.groupLabel, { exact: true }).selectOption({ label: group.name });
      await vp.getByRole('button', { name: vi.assist.residentSubmit, exact: true }).click();
      await vp.locator('#consent-form').waitFor({ state: 'visible' });
      assert.equal(await text(vp.locator('#resident-found')), fill(vi.assist.found, { initials: 'N. T. B.', group: group.name }));
      assert.equal(await vp.getByRole('heading', { name: vi.assist.setupCodeHeading, exact: true }).isVisible(), true);
      assert.equal(await vp.getByRole('button', { name: vi.assist.setupCodeButton, exact: true }).count(), 0);
      assert.equal(await text(vp.locator('#setup-code-not-yours')), vi.assist.setupCodeNotYours);
      await assertAccessibleWithCSP(vp, 'assist: no code for a resident with a password');
      await assertFitsPhone(vp, 'assist: no code for a resident with a password');
    } finally {
      await vc.close();
    }
  }
});
