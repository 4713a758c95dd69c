// A community digital-technology volunteer, on a 360 x 740 phone, submits a
// proposal for a resident sitting beside them: creates the resident's
// account, reads out the consent text and records it, fills the same 8-step
// form, and finds the proposal under "proposals I helped with". The database
// says the proposal belongs to the resident, helped by the volunteer, with the
// consent (text v1) on record. A resident who already has an account is found
// by phone number instead, shown by initials and residential group only, with
// no set-up code button (only a ward leader may make them a code); a number
// registered to someone who is not a resident of the ward is refused
// (registered_elsewhere), in Vietnamese and in English.
//
// Run: node --test tests/e2e/   (see tests/e2e/lib/server.mjs for the environment)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, phonePage, waitForLang } from './lib/browser.mjs';
import { addGroup, makeAccount, openCall } from './lib/seed.mjs';
import {
  alertText, assertFitsPhone, fillSteps1to6, loginUI, menu, nextStep, openReady, text,
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
let volunteer;
let existing;
let elsewhere;
let group12;

before(async () => {
  if (SKIP) return;
  srv = await startServer({ env: { SANGKIEN_TEST_CLOCK: '1' } });
  browser = await launchBrowser();
  group12 = await addGroup(srv, 'Tổ dân phố 12');
  const leader = await makeAccount(srv, { name: 'Lê Văn Lãnh', phone: '0911000001' }, 'leader');
  call = await openCall(leader.api, srv, { title: 'Sáng kiến chuyển đổi số 2026' });
  volunteer = await makeAccount(srv, { name: 'Phạm Thu Tình', phone: '0911000002' }, 'volunteer');
  existing = await makeAccount(srv, { name: 'Trần Văn Có', phone: '0933111222' });
  // Registered, but not a resident of this ward (a leader of another ward, say): no role here.
  elsewhere = '0944555666';
  await srv.psql("INSERT INTO accounts (login, login_kind, display_name) VALUES ('+84944555666', 'phone', 'Người phường khác')");
});

after(async () => {
  if (browser) await browser.close();
  if (srv) {
    const { code, log } = await srv.stop();
    assert.equal(code, 0, `server exit ${code}; tail:\n${log.slice(-3000)}`);
  }
});

test('a volunteer creates a resident, records consent, submits for them and sees it under assisted proposals', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await loginUI(page, vi, volunteer.phone);
    // The volunteer's own link, in the navigation and on the home page.
    await openReady(page, '/');
    const navLink = (await menu(page)).getByRole('link', { name: vi.nav.assist, exact: true });
    assert.equal(await navLink.isVisible(), true);
    assert.equal(await page.getByRole('link', { name: vi.home.assistCta, exact: true }).isVisible(), true);
    assert.equal(await (await menu(page)).getByRole('link', { name: vi.nav.leader, exact: true }).isVisible(), false);
    await navLink.click();
    await page.waitForURL(/\/assist\.html$/);
    await page.locator('#assist-flow').waitFor();
    assert.equal(await page.locator('#assist-phase-1').getAttribute('aria-current'), 'step');
    // The only open call of the ward is already chosen.
    assert.equal(await page.getByLabel(vi.assist.callLabel, { exact: true }).inputValue(), String(call.id));
    assert.equal(await text(page.locator('#assisted-empty')), vi.assist.assistedEmpty);
    await assertFitsPhone(page, 'assist: resident');

    // Step 1: the resident, by phone number; a wrong number first.
    await page.getByLabel(vi.assist.phoneLabel, { exact: true }).fill('12345');
    await page.getByLabel(vi.assist.nameLabel, { exact: true }).fill('Bùi Thị Mến');
    await page.getByLabel(vi.assist.groupLabel, { exact: true }).selectOption({ label: group12.name });
    await page.getByRole('button', { name: vi.assist.residentSubmit, exact: true }).click();
    assert.equal(await text(page.locator('#assist-phone-error')), vi.validation.phoneInvalid);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'assist-phone');
    await page.getByLabel(vi.assist.phoneLabel, { exact: true }).fill('0987 654 321');
    await page.getByRole('button', { name: vi.assist.residentSubmit, exact: true }).click();

    // Step 2: consent, read aloud, recorded with a tick.
    await page.locator('#consent-form').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#assist-phase-2').getAttribute('aria-current'), 'step');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'consent-title');
    assert.equal(await text(page.locator('#resident-found')), fill(vi.assist.created, { name: 'Bùi Thị Mến' }));
    // She has no account yet, so the volunteer who made it may make her a set-up code.
    assert.equal(await page.getByRole('button', { name: vi.assist.setupCodeButton, exact: true }).isVisible(), true);
    assert.equal(await page.locator('#setup-code-not-yours').isVisible(), false);
    assert.equal(await text(page.locator('#consent-text')), vi.consent.v1);
    assert.match(vi.consent.v1, /13\/2023\/NĐ-CP/);
    await page.getByRole('button', { name: vi.assist.consentSubmit, exact: true }).click();
    assert.equal(await alertText(page, '#assist-alert.is-shown'), vi.assist.consentRequired);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'assist-consent');
    await assertFitsPhone(page, 'assist: consent');
    await page.screenshot({ path: path.join(SHOTS, 'sangkien-assist-consent-360.png'), fullPage: true });
    await page.getByLabel(vi.assist.consentCheck, { exact: true }).check();
    await page.getByRole('button', { name: vi.assist.consentSubmit, exact: true }).click();

    // Step 3: the same proposal form, for her.
    await page.locator('#assist-proposal').waitFor({ state: 'visible' });
    assert.equal(await text(page.locator('#assist-for')), fill(vi.assist.forResident, { name: 'Bùi Thị Mến' }));
    const data = {
      title: 'Loa phát thanh thông minh cho tổ 12',
      summary: 'Thay loa cũ bằng loa phát thanh điều khiển qua điện thoại.',
      problem: 'Loa cũ hay hỏng, tổ trưởng phải đi từng nhà báo tin.',
      model: 'Gắn loa thông minh ở đầu hẻm; tổ trưởng đọc tin qua ứng dụng trên điện thoại.',
      beneficiaries: 'Cả tổ, nhất là người cao tuổi không dùng điện thoại thông minh.',
      households: '85',
      resources: 'Hai loa, một bộ điều khiển.',
      cost: '12000000',
      tags: 'phát thanh',
    };
    await fillSteps1to6(page, vi, data);
    // Her group (chosen in step 1) was already selected on step 6.
    await nextStep(page, vi, 8);
    assert.ok((await page.locator('#apf-review').textContent()).includes(group12.name));
    await page.getByRole('button', { name: vi.propose.submit, exact: true }).click();
    await page.locator('#apf-done').waitFor({ state: 'visible' });
    const code = await text(page.locator('#apf-code'));
    assert.match(code, /^E2E-\d{4}-\d{4}$/);
    await assertFitsPhone(page, 'assist: done');

    // Proposals I helped with.
    const card = page.locator('#assisted-list li').filter({ hasText: code });
    await card.waitFor();
    assert.equal(await text(card.getByRole('heading', { level: 3 })), data.title);
    assert.equal(await text(card.locator('.card__author')), fill(vi.assist.author, { name: 'Bùi Thị Mến' }));
    assert.equal(await text(card.locator('.badge')), vi.status.submitted);

    // In the database: the resident is the author, the volunteer helped, the consent is on record.
    const resident = await srv.psql("SELECT a.id || '|' || a.display_name || '|' || (a.password_hash IS NULL) || '|' || r.role || '|' || r.group_id FROM accounts a JOIN role_grants r ON r.account_id = a.id WHERE a.login = '+84987654321'");
    const [residentId, residentName, noPassword, role, groupId] = resident.split('|');
    assert.deepEqual([residentName, noPassword, role, Number(groupId)], ['Bùi Thị Mến', 'true', 'resident', group12.id]);
    const row = await srv.psql(`SELECT p.author_id || '|' || p.helped_by || '|' || p.status || '|' || p.group_id || '|' || k.text_version || '|' || k.resident_id || '|' || k.volunteer_id FROM proposals p JOIN consents k ON k.id = p.consent_id WHERE p.tracking_code = '${code}'`);
    assert.equal(row, [residentId, volunteer.id, 'submitted', group12.id, 'v1', residentId, volunteer.id].join('|'));
    const audit = await srv.psql(`SELECT count(*) FROM audit_log WHERE action = 'resident_created_by_volunteer' AND actor_account_id = ${volunteer.id}`);
    assert.equal(audit, '1');

    // The next resident already has an account: found by phone number.
    await page.getByRole('button', { name: vi.assist.another, exact: true }).click();
    await page.locator('#resident-form').waitFor({ state: 'visible' });
    assert.equal(await page.getByLabel(vi.assist.phoneLabel, { exact: true }).inputValue(), '');
    await page.getByLabel(vi.assist.phoneLabel, { exact: true }).fill(existing.phone);
    await page.getByLabel(vi.assist.nameLabel, { exact: true }).fill('Tên gõ khác');
    await page.getByLabel(vi.assist.groupLabel, { exact: true }).selectOption({ label: srv.group.name });
    await page.getByRole('button', { name: vi.assist.residentSubmit, exact: true }).click();
    await page.locator('#consent-form').waitFor({ state: 'visible' });
    assert.equal(await text(page.locator('#resident-found')), fill(vi.assist.found, { initials: 'T. V. C.', group: srv.group.name }));
    assert.equal(await text(page.locator('#consent-intro')), fill(vi.assist.consentIntro, { name: 'T. V. C.' }));
    assert.equal((await page.locator('main').textContent()).includes(existing.name), false, 'no name shown');
    assert.equal((await page.locator('main').textContent()).includes('Tên gõ khác'), false, 'nor the one typed');
    // Not her account to give a code for: no button, a line saying who can.
    assert.equal(await page.getByRole('button', { name: vi.assist.setupCodeButton, exact: true }).count(), 0);
    assert.equal(await text(page.locator('#setup-code-not-yours')), vi.assist.setupCodeNotYours);
    await assertFitsPhone(page, 'assist: found resident');
    // Nothing changed on her account: one role, her own group.
    assert.equal(await srv.psql(`SELECT count(*) || '|' || min(group_id) FROM role_grants WHERE account_id = ${existing.id}`), `1|${srv.group.id}`);

    // A number registered elsewhere: refused, nothing made, in Vietnamese and then in English.
    await page.getByRole('button', { name: vi.assist.changeResident, exact: true }).click();
    await page.locator('#resident-form').waitFor({ state: 'visible' });
    await page.getByLabel(vi.assist.phoneLabel, { exact: true }).fill(elsewhere);
    await page.getByLabel(vi.assist.nameLabel, { exact: true }).fill('Người mới');
    await page.getByRole('button', { name: vi.assist.residentSubmit, exact: true }).click();
    assert.equal(await alertText(page, '#assist-alert.is-shown'), vi.errors.registered_elsewhere);
    assert.equal(await text(page.locator('#assist-phone-error')), vi.errors.registered_elsewhere);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'assist-phone');
    assert.equal(await page.locator('#consent-form').isVisible(), false);
    await assertFitsPhone(page, 'assist: registered elsewhere');
    await page.screenshot({ path: path.join(SHOTS, 'sangkien-assist-elsewhere-360.png'), fullPage: true });
    await page.getByRole('button', { name: 'English', exact: true }).click();
    await waitForLang(page, 'en');
    assert.equal(await text(page.locator('#assist-phone-error')), en.errors.registered_elsewhere);
    assert.equal(await text(page.locator('#assist-alert')), en.errors.registered_elsewhere);
    await page.getByRole('button', { name: 'Tiếng Việt', exact: true }).click();
    await waitForLang(page, 'vi');
    assert.equal(await srv.psql("SELECT count(*) FROM accounts WHERE login = '+84944555666'"), '1');
    assert.equal(await srv.psql("SELECT count(*) FROM role_grants r JOIN accounts a ON a.id = r.account_id WHERE a.login = '+84944555666'"), '0');

    // The resident she helped has no password: the volunteer withdraws the proposal for her, from its page.
    await page.locator('#assisted-list li').filter({ hasText: code }).getByRole('link', { name: data.title }).click();
    await page.waitForURL(/\/proposal\.html\?id=\d+$/);
    await page.locator('#proposal-body').waitFor();
    await page.getByRole('button', { name: vi.my.withdraw, exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: vi.my.withdrawConfirm, exact: true }).click();
    await page.locator('#proposal-status').filter({ hasText: fill(vi.my.withdrawn, { title: data.title }) }).waitFor();
    assert.equal(await text(page.locator('#proposal-meta .badge')), vi.status.withdrawn);
    assert.equal(await page.getByRole('button', { name: vi.my.withdraw, exact: true }).count(), 0);
    assert.equal(await srv.psql(`SELECT status FROM proposals WHERE tracking_code = '${code}'`), 'withdrawn');
    await assertFitsPhone(page, 'proposal withdrawn by the volunteer');
    assertNoProblems(page, 'volunteer flow');
  } finally {
    await context.close();
  }
});

test('a resident without the volunteer role is told the page is not for them', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await loginUI(page, vi, existing.phone);
    assert.equal(await (await menu(page)).getByRole('link', { name: vi.nav.assist, exact: true }).isVisible(), false);
    await openReady(page, '/assist.html');
    assert.equal(await alertText(page, '#assist-alert.is-shown'), vi.assist.notVolunteer);
    assert.equal(await page.locator('#assist-flow').isHidden(), true);
    assertNoProblems(page, 'not a volunteer');
  } finally {
    await context.close();
  }
});
