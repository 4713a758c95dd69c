// A ward runs its call by itself in the browser (issue 9): from an empty database with only an
// installation administrator made on the command line (sangkien admin create --password-stdin),
// through the pages alone, on a 360 px phone in Vietnamese: create a ward and two residential
// groups, rename one, retire the other; create a leader, two panelists, a volunteer and a
// resident, each with a set-up code shown once, which the test redeems on set-password.html;
// grant and revoke a role with a reason; filter the activity log and download its CSV. Then the
// leader finds the resident by the last digits of the phone number and makes a code. The same
// pages again at 1280 px in English, with "Tải thêm" (Load more). axe-core finds no violation of
// any impact in any of these states, and nothing is wider than the phone.
//
// Run: node --test tests/e2e/admin.test.mjs   (see tests/e2e/lib/server.mjs for the environment)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, phonePage, waitForLang } from './lib/browser.mjs';
import { PASSWORD } from './lib/seed.mjs';
import { assertAccessibleWithCSP, assertFitsPhone, loginUI, menu, openReady, text } from './lib/flows.mjs';

const { vi, en } = dicts;
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs an empty database and the command line' : false;
const TIMEOUT = { timeout: 300000, skip: SKIP };

const ADMIN = { name: 'Nguyễn Quản Trị', phone: '0900000001' };
const PEOPLE = [
  { key: 'leader', name: 'Lê Văn Lãnh', phone: '0911000001', role: 'leader' },
  { key: 'p1', name: 'Trần Thị Thẩm', phone: '0911000002', role: 'panelist' },
  { key: 'p2', name: 'Phạm Văn Định', phone: '0911000003', role: 'panelist' },
  { key: 'volunteer', name: 'Đỗ Thu Tình', phone: '0911000004', role: 'volunteer' },
  { key: 'resident', name: 'Hoàng Thị Bảy', phone: '0933111789', role: 'resident' },
];

let srv;
let browser;

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

before(async () => {
  if (SKIP) return;
  srv = await startServer({ seed: false });
  browser = await launchBrowser();
  await adminCreate();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) {
    const { code, log } = await srv.stop();
    assert.equal(code, 0, `server exit ${code}; tail:\n${log.slice(-3000)}`);
  }
});

async function check(page, label, { phone = true } = {}) {
  await assertAccessibleWithCSP(page, label);
  if (phone) await assertFitsPhone(page, label);
}

/** Waits until status (a role="status" element) says exactly message. */
async function saysStatus(page, selector, message) {
  await page.waitForFunction(([s, m]) => {
    const e = document.querySelector(s);
    return e && e.textContent.trim() === m;
  }, [selector, message]);
}

const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));

/** Redeems code for phone on set-password.html in a fresh context, with the shared test password. */
async function redeem(phone, code) {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await openReady(page, '/set-password.html');
    await page.getByLabel(vi.common.phoneLabel, { exact: true }).fill(phone);
    await page.getByLabel(vi.setPassword.codeLabel, { exact: true }).fill(code);
    await page.getByLabel(vi.setPassword.passwordLabel, { exact: true }).fill(PASSWORD);
    await page.getByLabel(vi.setPassword.confirmLabel, { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: vi.setPassword.submit, exact: true }).click();
    await page.getByRole('heading', { name: vi.setPassword.doneHeading, exact: true }).waitFor();
    assertNoProblems(page, `set-password for ${phone}`);
  } finally {
    await context.close();
  }
}

test('an installation administrator sets up a ward, its people and roles, and reads the log, on a phone', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await loginUI(page, vi, ADMIN.phone);
    const nav = await menu(page);
    assert.equal(await nav.getByRole('link', { name: vi.nav.residents, exact: true }).isVisible(), false);
    await nav.getByRole('link', { name: vi.nav.admin, exact: true }).click();
    await page.waitForURL(/\/admin\.html$/);
    await page.locator('#admin-root').waitFor();
    assert.equal(await text(page.getByRole('heading', { level: 1 })), vi.admin.heading);
    assert.equal(await text(page.locator('#wards-list')), vi.admin.wardsEmpty);
    await check(page, 'admin: empty');

    // A ward, with a wrong code first.
    await page.getByLabel(vi.admin.wardCodeLabel, { exact: true }).fill('h');
    await page.getByLabel(vi.admin.wardNameLabel, { exact: true }).fill('Phường Hòa Bình');
    await page.getByRole('button', { name: vi.admin.wardCreate, exact: true }).click();
    await page.locator('#ward-code-error').waitFor({ state: 'visible' });
    assert.equal(await text(page.locator('#ward-code-error')), vi.admin.wardCodeInvalid);
    await check(page, 'admin: ward code error');
    await page.getByLabel(vi.admin.wardCodeLabel, { exact: true }).fill('HB');
    await page.getByRole('button', { name: vi.admin.wardCreate, exact: true }).click();
    const ward = page.locator('article.admin-ward', { hasText: 'Phường Hòa Bình' });
    await ward.waitFor();
    await saysStatus(page, '#wards-status', fill(vi.admin.wardCreated, { name: 'Phường Hòa Bình' }));

    // Two groups; the first renamed, the second retired.
    for (const name of ['Tổ 1', 'Tổ 2']) {
      await ward.getByLabel(vi.admin.groupNameLabel, { exact: true }).fill(name);
      await ward.getByRole('button', { name: vi.admin.groupCreate, exact: true }).click();
      await saysStatus(page, '#wards-status', fill(vi.admin.groupCreated, { name }));
    }
    await check(page, 'admin: two groups');
    // The group's item keeps its id while its name turns into a form.
    const id1 = await page.locator('li.admin-group', { has: page.getByText('Tổ 1', { exact: true }) }).getAttribute('id');
    const group1 = page.locator(`#${id1}`);
    await group1.getByRole('button', { name: vi.admin.rename }).click();
    await group1.getByLabel(vi.admin.groupNewName, { exact: true }).fill('Tổ dân phố 1');
    await check(page, 'admin: renaming a group');
    await group1.getByRole('button', { name: vi.admin.renameSubmit, exact: true }).click();
    await saysStatus(page, '#wards-status', fill(vi.admin.groupRenamed, { name: 'Tổ dân phố 1' }));
    const group2 = page.locator('li.admin-group', { has: page.getByText('Tổ 2', { exact: true }) });
    await group2.getByRole('button', { name: vi.admin.retire }).click();
    await saysStatus(page, '#wards-status', fill(vi.admin.groupRetired, { name: 'Tổ 2' }));
    assert.equal(await group2.getByText(vi.admin.retired, { exact: true }).isVisible(), true);
    await check(page, 'admin: a group retired');
    // The public list offers the renamed group, not the retired one.
    const pub = await (await page.request.get('/api/v1/wards')).json();
    assert.deepEqual(pub.wards[0].groups.map((g) => g.name), ['Tổ dân phố 1']);

    // People: each created with a role and a set-up code, shown once, then redeemed.
    for (const p of PEOPLE) {
      await page.getByLabel(vi.admin.nameLabel, { exact: true }).fill(p.name);
      await page.getByLabel(vi.admin.loginLabel, { exact: true }).fill(p.phone);
      await page.locator('#create-role').selectOption(p.role);
      if (p.role === 'resident') {
        assert.equal(await page.locator('#create-group-field').isVisible(), true);
        const options = await page.locator('#create-group option').allTextContents();
        assert.ok(!options.includes('Tổ 2'), `a retired group is offered: ${options}`);
        await page.getByLabel(vi.admin.groupLabel, { exact: true }).selectOption({ label: 'Tổ dân phố 1' });
      }
      await page.getByRole('button', { name: vi.admin.createSubmit, exact: true }).click();
      await saysStatus(page, '#create-status', fill(vi.admin.created, { name: p.name }));
      const code = await text(page.locator('#create-code .setup-code__value'));
      assert.match(code, /^\d{4} \d{4}$/);
      assert.ok((await text(page.locator('#create-code'))).includes(fill(vi.admin.codeRead, { name: p.name })));
      if (p.key === 'leader') {
        await check(page, 'admin: a set-up code shown');
        // Printed alone: everything else is hidden from print while it is marked.
        await page.evaluate(() => { window.print = () => { window.printed = document.body.classList.contains('print-code'); window.dispatchEvent(new Event('afterprint')); }; });
        await page.locator('#create-code').getByRole('button', { name: vi.admin.codePrint, exact: true }).click();
        assert.equal(await page.evaluate(() => window.printed), true);
        assert.equal(await page.evaluate(() => document.body.classList.contains('print-code')), false);
      }
      p.code = code;
    }
    // The same number again: login_taken, on the field.
    await page.getByLabel(vi.admin.nameLabel, { exact: true }).fill('Người trùng số');
    await page.getByLabel(vi.admin.loginLabel, { exact: true }).fill(PEOPLE[1].phone);
    await page.getByRole('button', { name: vi.admin.createSubmit, exact: true }).click();
    await page.locator('#create-login-error').waitFor({ state: 'visible' });
    assert.equal(await text(page.locator('#create-login-error')), vi.admin.loginTaken);
    await check(page, 'admin: login taken');
    for (const p of PEOPLE) await redeem(p.phone, p.code);

    // Grant a panelist the volunteer role with a reason, then revoke it with another.
    await page.getByLabel(vi.admin.searchLabel, { exact: true }).fill('tham');
    await page.getByRole('button', { name: vi.admin.searchSubmit, exact: true }).click();
    await saysStatus(page, '#search-status', fill(vi.admin.searchFound, { n: 1 }));
    await page.locator('#search-results').getByRole('button', { name: `${vi.admin.open} (Trần Thị Thẩm)` }).click();
    await page.locator('#account-detail').waitFor();
    assert.equal(await text(page.locator('#account-title')), 'Trần Thị Thẩm');
    await check(page, 'admin: an account');
    await page.locator('#grant-role').selectOption('volunteer');
    await page.locator('#grant-reason').fill('Tập huấn xong đợt 2');
    await page.getByRole('button', { name: vi.admin.grantSubmit, exact: true }).click();
    await saysStatus(page, '#account-status', vi.admin.granted);
    assert.ok((await text(page.locator('#account-roles'))).includes(vi.roles.volunteer));
    await page.locator('#account-roles li', { hasText: vi.roles.volunteer }).getByRole('button').click();
    await page.locator('#revoke-form').waitFor();
    await page.getByRole('button', { name: vi.admin.revokeConfirm, exact: true }).click();
    await page.locator('#revoke-reason-error').waitFor({ state: 'visible' });
    await check(page, 'admin: revoking without a reason');
    await page.locator('#revoke-reason').fill('Chuyển công tác');
    await page.getByRole('button', { name: vi.admin.revokeConfirm, exact: true }).click();
    await saysStatus(page, '#account-status', vi.admin.revoked);
    assert.ok(!(await text(page.locator('#account-roles'))).includes(vi.roles.volunteer));
    assert.ok((await text(page.locator('#account-events'))).includes(fill(vi.admin.reasonShown, { reason: 'Chuyển công tác' })));

    // The log, filtered by this person and the revocation; its CSV holds the same row and reason.
    await page.getByRole('button', { name: vi.admin.personAudit, exact: true }).click();
    await page.locator('#audit-action').selectOption('role_revoked');
    await page.getByRole('button', { name: vi.admin.auditSubmit, exact: true }).click();
    await saysStatus(page, '#audit-status', fill(vi.admin.auditShown, { n: 1 }));
    assert.ok((await text(page.locator('#audit-list'))).includes('Chuyển công tác'));
    await check(page, 'admin: the log filtered');
    const href = await page.locator('#audit-csv').getAttribute('href');
    assert.match(href, /action=role_revoked/);
    const csv = await page.request.get(href);
    assert.equal(csv.status(), 200);
    const body = await csv.text();
    assert.match(body, /role_revoked/);
    assert.match(body, /Chuyển công tác/);
    assert.equal(body.trim().split('\n').length, 2, body);
    assertNoProblems(page, 'admin');
  } finally {
    await context.close();
  }

  // The leader finds the resident by the last digits of the phone and makes a code.
  const { context: lc, page: lp } = await phonePage(browser, srv.baseURL);
  try {
    await loginUI(lp, vi, PEOPLE[0].phone);
    const nav = await menu(lp);
    assert.equal(await nav.getByRole('link', { name: vi.nav.admin, exact: true }).isVisible(), false);
    await nav.getByRole('link', { name: vi.nav.residents, exact: true }).click();
    await lp.waitForURL(/\/residents\.html$/);
    await lp.locator('#residents-root').waitFor();
    await check(lp, 'residents: empty');
    await lp.getByLabel(vi.residents.searchLabel, { exact: true }).fill('789');
    await lp.getByRole('button', { name: vi.residents.searchSubmit, exact: true }).click();
    await saysStatus(lp, '#residents-search-status', fill(vi.admin.searchFound, { n: 1 }));
    const card = lp.locator('#residents-list li').first();
    assert.ok((await text(card)).includes('*******789'));
    assert.ok(!(await text(card)).includes('0933111'), 'the whole number shows');
    await check(lp, 'residents: found');
    await card.getByRole('button').click();
    await lp.locator('#resident-detail').waitFor();
    assert.equal(await text(lp.locator('#resident-title')), 'Hoàng Thị Bảy');
    assert.equal(await lp.locator('#resident-proposals-empty').isVisible(), true);
    await lp.getByRole('button', { name: vi.residents.codeButton, exact: true }).click();
    await lp.locator('#resident-code .setup-code__value').waitFor();
    assert.match(await text(lp.locator('#resident-code .setup-code__value')), /^\d{4} \d{4}$/);
    await check(lp, 'residents: a code made');
    assertNoProblems(lp, 'residents');
  } finally {
    await lc.close();
  }
});

test('the same pages at 1280 px in English, with Load more', TIMEOUT, async () => {
  // A busy log: 60 more logouts of the administrator, so that it takes two pages.
  await srv.psql(`INSERT INTO audit_log (actor_account_id, action, subject)
    SELECT a.id, 'logout', 'account:' || a.id FROM accounts a, generate_series(1, 60) WHERE a.login = '+84900000001'`);
  const { context, page } = await phonePage(browser, srv.baseURL, {
    viewport: { width: 1280, height: 900 }, isMobile: false, hasTouch: false, deviceScaleFactor: 1,
  });
  try {
    await loginUI(page, vi, ADMIN.phone);
    await openReady(page, '/admin.html');
    await page.getByRole('button', { name: 'English', exact: true }).click();
    await waitForLang(page, 'en');
    await page.locator('#admin-root').waitFor();
    assert.equal(await text(page.getByRole('heading', { level: 1 })), en.admin.heading);
    await page.locator('#audit-list li').first().waitFor();
    await check(page, 'admin (en, 1280)', { phone: false });
    // Pages of the log (50 at a time): Load more appends the older entries.
    assert.equal(await page.locator('#audit-list li').count(), 50);
    await page.getByRole('button', { name: en.admin.auditMore, exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll('#audit-list li').length > 50);
    await page.waitForFunction(() => document.activeElement && document.activeElement.closest('#audit-list'));
    await check(page, 'admin: load more (en, 1280)', { phone: false });
    // An account in English.
    await page.getByLabel(en.admin.searchLabel, { exact: true }).fill('0911000003');
    await page.getByRole('button', { name: en.admin.searchSubmit, exact: true }).click();
    await saysStatus(page, '#search-status', fill(en.admin.searchFound, { n: 1 }));
    await page.locator('#search-results').getByRole('button').click();
    await page.locator('#account-detail').waitFor();
    assert.ok((await text(page.locator('#account-roles'))).includes(en.roles.panelist));
    await check(page, 'admin: an account (en, 1280)', { phone: false });
    await page.getByRole('button', { name: en.admin.codeButton, exact: true }).click();
    await page.locator('#account-code .setup-code__value').waitFor();
    await check(page, 'admin: a code (en, 1280)', { phone: false });
    assertNoProblems(page, 'admin (en)');
  } finally {
    await context.close();
  }
  // The leader's page in English, on a phone and wide.
  for (const wide of [false, true]) {
    const opts = wide ? { viewport: { width: 1280, height: 900 }, isMobile: false, hasTouch: false, deviceScaleFactor: 1 } : {};
    const { context: lc, page: lp } = await phonePage(browser, srv.baseURL, opts);
    try {
      await loginUI(lp, vi, PEOPLE[0].phone);
      await openReady(lp, '/residents.html');
      await lp.getByRole('button', { name: 'English', exact: true }).click();
      await waitForLang(lp, 'en');
      await lp.locator('#residents-root').waitFor();
      await lp.getByLabel(en.residents.searchLabel, { exact: true }).fill('hoang');
      await lp.getByRole('button', { name: en.residents.searchSubmit, exact: true }).click();
      await saysStatus(lp, '#residents-search-status', fill(en.admin.searchFound, { n: 1 }));
      await lp.locator('#residents-list li').first().getByRole('button').click();
      await lp.locator('#resident-detail').waitFor();
      await check(lp, `residents (en, ${wide ? 1280 : 360})`, { phone: !wide });
      assertNoProblems(lp, 'residents (en)');
    } finally {
      await lc.close();
    }
  }
  // The administrator's page in the two other combinations: Vietnamese wide, English on a phone.
  for (const [d, wide] of [[vi, true], [en, false]]) {
    const opts = wide ? { viewport: { width: 1280, height: 900 }, isMobile: false, hasTouch: false, deviceScaleFactor: 1 } : {};
    const { context: pc, page: pp } = await phonePage(browser, srv.baseURL, opts);
    const label = `admin (${d === vi ? 'vi' : 'en'}, ${wide ? 1280 : 360})`;
    try {
      await loginUI(pp, vi, ADMIN.phone);
      await openReady(pp, '/admin.html');
      if (d === en) {
        await pp.getByRole('button', { name: 'English', exact: true }).click();
        await waitForLang(pp, 'en');
      }
      await pp.locator('#audit-list li').first().waitFor();
      assert.equal(await text(pp.getByRole('heading', { level: 1 })), d.admin.heading);
      await pp.getByRole('button', { name: d.admin.auditMore, exact: true }).click();
      await pp.waitForFunction(() => document.querySelectorAll('#audit-list li').length > 50);
      await check(pp, `${label}: load more`, { phone: !wide });
      // A group's rename form open.
      await pp.locator('li.admin-group').first().getByRole('button', { name: d.admin.rename }).click();
      await check(pp, `${label}: renaming`, { phone: !wide });
      assertNoProblems(pp, label);
    } finally {
      await pc.close();
    }
  }
});
