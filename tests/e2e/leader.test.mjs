// A ward leader on a 360 x 740 phone: creates a call (times typed in Viet Nam
// time, own criteria), edits the draft, opens it (the configuration is
// sealed), cannot close it before the deadline, moves the server's test clock
// past the deadline (X-Sangkien-Test-Now) and closes it; then searches the
// submissions without accents, pages through them with "Load more", opens
// one, and downloads the CSV export (UTF-8 with a BOM).
//
// Run: node --test tests/e2e/   (see tests/e2e/lib/server.mjs for the environment)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, phonePage } from './lib/browser.mjs';
import { addGroup, localVN, makeAccount, proposalBody } from './lib/seed.mjs';
import { alertText, assertFitsPhone, loginUI, menu, openReady, text } from './lib/flows.mjs';

const { vi } = dicts;
const SHOTS = process.env.SANGKIEN_E2E_SCREENSHOTS || '/tmp';
// Role grants go through psql, which a server given by SANGKIEN_E2E_BASE_URL does not offer.
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs database access (psql) for seeding roles' : false;
const TIMEOUT = { timeout: 180000, skip: SKIP };
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));

let srv;
let browser;
let leader;
let resident;
let group12;

before(async () => {
  if (SKIP) return;
  srv = await startServer({ env: { SANGKIEN_TEST_CLOCK: '1' } });
  browser = await launchBrowser();
  group12 = await addGroup(srv, 'Tổ dân phố 12');
  leader = await makeAccount(srv, { name: 'Lê Văn Lãnh', phone: '0911000001' }, 'leader');
  resident = await makeAccount(srv, { name: 'Đặng Thị Đào', phone: '0944555666' });
});

after(async () => {
  if (browser) await browser.close();
  if (srv) {
    const { code, log } = await srv.stop();
    assert.equal(code, 0, `server exit ${code}; tail:\n${log.slice(-3000)}`);
  }
});

test('a leader creates, opens and (after the deadline) closes a call, then searches and exports what came in', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await loginUI(page, vi, leader.phone);
    await (await menu(page)).getByRole('link', { name: vi.nav.leader, exact: true }).click();
    await page.waitForURL(/\/leader\.html$/);
    await page.locator('#leader-body').waitFor();
    assert.equal(await text(page.locator('#leader-empty')), vi.leader.empty);
    assert.equal(await text(page.locator('#leader-ward-name')), srv.ward.name);

    // Create: opening a minute ago, closing in 15 minutes (Viet Nam time, to the minute).
    const minute = 60 * 1000;
    const opensMs = Math.floor(Date.now() / minute) * minute - minute;
    const closesMs = opensMs + 16 * minute;
    await page.getByRole('button', { name: vi.leader.new, exact: true }).click();
    await page.locator('#leader-form-section').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'leader-form-title');
    // The form checks before sending.
    await page.getByRole('button', { name: vi.leader.createSubmit, exact: true }).click();
    assert.equal(await text(page.locator('#cf-title-error')), vi.validation.callTitleRequired);
    assert.equal(await text(page.locator('#cf-opens-error')), vi.validation.dateRequired);

    await page.locator('#leader-form').getByLabel(vi.leader.titleLabel, { exact: true }).fill('Chuyển đổi số ở tổ dân phố');
    await page.getByRole('textbox', { name: vi.leader.descriptionLabel }).fill('Phường mời bà con góp ý tưởng.');
    await page.getByRole('textbox', { name: vi.leader.rulesLabel }).fill('Mỗi hộ gửi tối đa hai đề xuất.');
    await page.getByLabel(vi.leader.opensLabel, { exact: true }).fill(localVN(opensMs));
    await page.getByLabel(vi.leader.closesLabel, { exact: true }).fill(localVN(opensMs - minute));
    await page.getByLabel(vi.leader.reviewsLabel, { exact: true }).fill('2');
    await page.getByLabel(vi.leader.blindLabel, { exact: true }).uncheck();
    await page.getByRole('button', { name: vi.leader.addCriterion, exact: true }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'cf-k1-name');
    await page.getByRole('group', { name: fill(vi.leader.criterionN, { n: 1 }) }).getByLabel(vi.leader.criterionName, { exact: true }).fill('Tính sáng tạo');
    await page.getByRole('group', { name: fill(vi.leader.criterionN, { n: 1 }) }).getByLabel(vi.leader.criterionWeight, { exact: true }).fill('2');
    await page.getByRole('button', { name: vi.leader.addCriterion, exact: true }).click();
    const second = page.getByRole('group', { name: fill(vi.leader.criterionN, { n: 2 }) });
    await second.getByLabel(vi.leader.criterionName, { exact: true }).fill('Tiết kiệm chi phí');
    await second.getByLabel(vi.leader.criterionDescription, { exact: true }).fill('Làm được với ít tiền.');
    await second.getByLabel(vi.leader.criterionWeight, { exact: true }).fill('1,5');
    await second.getByLabel(vi.leader.criterionMax, { exact: true }).fill('5');
    await page.getByRole('button', { name: vi.leader.createSubmit, exact: true }).click();
    // The deadline before the opening: caught in the page.
    assert.equal(await text(page.locator('#cf-closes-error')), vi.validation.closesBeforeOpens);
    await page.getByLabel(vi.leader.closesLabel, { exact: true }).fill(localVN(closesMs));
    await assertFitsPhone(page, 'leader: create form');
    await page.screenshot({ path: path.join(SHOTS, 'sangkien-leader-form-360.png'), fullPage: true });
    await page.getByRole('button', { name: vi.leader.createSubmit, exact: true }).click();
    await page.waitForFunction((t) => document.querySelector('#leader-done').textContent === t,
      fill(vi.leader.created, { title: 'Chuyển đổi số ở tổ dân phố' }));

    const { campaigns } = await leader.api.get(`/campaigns?ward_id=${srv.ward.id}`);
    assert.equal(campaigns.length, 1);
    const c = campaigns[0];
    assert.equal(c.state, 'draft');
    assert.equal(new Date(c.opens_at).getTime(), opensMs);
    assert.equal(new Date(c.closes_at).getTime(), closesMs);
    assert.equal(c.blind_review, false);
    assert.equal(c.reviews_required, 2);
    assert.deepEqual(c.criteria.map((k) => [k.name, Number(k.weight), k.max_score]), [['Tính sáng tạo', 2, 10], ['Tiết kiệm chi phí', 1.5, 5]]);
    const card = page.locator(`#call-${c.id}`);
    assert.equal(await text(card.locator('.badge')), vi.states.draft);

    // Edit the draft: a new title, one criterion fewer.
    await card.getByRole('button', { name: `${vi.leader.edit} (Chuyển đổi số ở tổ dân phố)` }).click();
    assert.equal(await text(page.locator('#leader-form-title')), vi.leader.editHeading);
    assert.equal(await page.getByLabel(vi.leader.opensLabel, { exact: true }).inputValue(), localVN(opensMs));
    await page.locator('#leader-form').getByLabel(vi.leader.titleLabel, { exact: true }).fill('Chuyển đổi số ở tổ dân phố 2026');
    await page.getByRole('button', { name: fill(vi.leader.removeCriterion, { n: 2 }) }).click();
    // Anonymous scoring after all, with the residential group shown to the panel (blind_shows_group).
    await page.getByLabel(vi.leader.blindLabel, { exact: true }).check();
    await page.getByLabel(vi.leader.blindShowsGroupLabel, { exact: true }).check();
    await page.getByRole('button', { name: vi.leader.saveSubmit, exact: true }).click();
    await page.waitForFunction((t) => document.querySelector('#leader-done').textContent === t,
      fill(vi.leader.saved, { title: 'Chuyển đổi số ở tổ dân phố 2026' }));
    const edited = (await leader.api.get(`/campaigns/${c.id}`)).campaign;
    assert.equal(edited.blind_review, true);
    assert.equal(edited.blind_shows_group, true);
    const title = 'Chuyển đổi số ở tổ dân phố 2026';

    // Open, after a confirmation.
    await card.getByRole('button', { name: `${vi.leader.open} (${title})` }).click();
    const dialog = page.getByRole('dialog');
    assert.equal(await text(dialog.getByRole('heading')), fill(vi.leader.openTitle, { title }));
    await dialog.getByRole('button', { name: vi.leader.open, exact: true }).click();
    await page.waitForFunction((t) => document.querySelector('#leader-done').textContent === t, fill(vi.leader.opened, { title }));
    assert.equal(await text(card.locator('.badge--state-open')), vi.states.open);
    assert.equal(await text(card.locator('.badge--accepting')), vi.calls.accepting);
    await assertFitsPhone(page, 'leader: list');
    await page.screenshot({ path: path.join(SHOTS, 'sangkien-leader-list-360.png'), fullPage: true });
    const opened = (await leader.api.get(`/campaigns/${c.id}`)).campaign;
    assert.match(opened.config_digest, /^[0-9a-f]{64}$/);
    assert.equal(opened.criteria.length, 1);

    // Proposals come in (through the API, as residents would send them).
    const titles = [
      'Chuyển đổi số cho chợ Đầm',
      'Đăng ký khám bệnh qua Zalo',
      ...Array.from({ length: 10 }, (_, i) => `Bảng tin điện tử số ${i + 1}`),
    ];
    for (const [i, t] of titles.entries()) {
      await resident.api.post(`/campaigns/${c.id}/proposals`, {
        ...proposalBody(srv, { title: t, summary: `Tóm tắt ${i + 1}.`, group_id: i === 1 ? group12.id : srv.group.id }),
        submit: true,
      });
    }

    // Before the deadline the close button is disabled and says from when it can be used (issue 9),
    // before any dialog.
    const closeEarly = card.getByRole('button', { name: `${vi.leader.close} (${title})` });
    assert.equal(await closeEarly.isDisabled(), true);
    const vn = new Date(closesMs + 7 * 3600 * 1000).toISOString(); // "2026-12-07T17:05:00.000Z" read as Viet Nam time
    const short = `${vn.slice(8, 10)}/${vn.slice(5, 7)}/${vn.slice(0, 4)} ${vn.slice(11, 16)}`;
    assert.equal(await text(card.locator('.close-later__note')), fill(vi.leader.closeAfter, { date: short }));
    assert.equal(await page.getByRole('dialog').count(), 0);

    // The server's clock moves past the deadline; now it closes.
    await page.setExtraHTTPHeaders({ 'X-Sangkien-Test-Now': String(Math.floor(closesMs / 1000) + 60) });
    await openReady(page, '/leader.html');
    await card.waitFor();
    assert.equal(await card.locator('.badge--accepting').count(), 0);
    await card.getByRole('button', { name: `${vi.leader.close} (${title})` }).click();
    assert.equal(await text(page.getByRole('dialog').getByRole('heading')), fill(vi.leader.closeTitle, { title }));
    await page.getByRole('dialog').getByRole('button', { name: vi.leader.close, exact: true }).click();
    await page.waitForFunction((t) => document.querySelector('#leader-done').textContent === t, fill(vi.leader.closedDone, { title }));
    assert.equal(await text(card.locator('.badge')), vi.states.closed);
    assert.equal((await leader.api.get(`/campaigns/${c.id}`)).campaign.state, 'closed');

    // What came in.
    await card.getByRole('link', { name: fill(vi.leader.submissions, { n: 12 }) }).click();
    await page.waitForURL(/\/submissions\.html\?campaign=\d+$/);
    await page.locator('#sub-body').waitFor();
    const rows = page.locator('#sub-list > li');
    assert.equal(await rows.count(), 10);
    assert.equal(await text(page.locator('#sub-shown')), fill(vi.submissions.shown, { n: 10 }));
    await page.getByRole('button', { name: vi.submissions.more, exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll('#sub-list > li').length === 12);
    assert.equal(await page.locator('#sub-more').isHidden(), true);
    // Keyset pages: no row twice, newest first.
    const ids = await rows.evaluateAll((lis) => lis.map((li) => Number(li.id.replace('proposal-', ''))));
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    assert.equal(new Set(ids).size, 12);
    await assertFitsPhone(page, 'submissions');

    // Search without accents: "chuyen doi so cho cho dam" finds "Chuyển đổi số cho chợ Đầm" (d matches đ).
    const search = page.getByRole('searchbox', { name: vi.submissions.searchLabel });
    await search.fill('chuyen doi so cho cho dam');
    await page.getByRole('button', { name: vi.submissions.apply, exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll('#sub-list > li').length === 1);
    assert.equal(await text(rows.first().getByRole('heading')), 'Chuyển đổi số cho chợ Đầm');
    await search.fill('dang ky kham benh');
    await page.getByRole('button', { name: vi.submissions.apply, exact: true }).click();
    await page.waitForFunction(() => document.querySelector('#sub-list > li h2').textContent === 'Đăng ký khám bệnh qua Zalo');
    assert.equal(await rows.count(), 1);
    // A filter by group, with the search cleared.
    await search.fill('');
    await page.getByLabel(vi.submissions.groupLabel, { exact: true }).selectOption({ label: group12.name });
    await page.getByRole('button', { name: vi.submissions.apply, exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll('#sub-list > li').length === 1);
    assert.match(page.url(), new RegExp(`group_id=${group12.id}`));
    await page.getByLabel(vi.submissions.groupLabel, { exact: true }).selectOption({ value: '' });
    await search.fill('cho dam');
    await page.getByRole('button', { name: vi.submissions.apply, exact: true }).click();
    await page.waitForFunction(() => document.querySelectorAll('#sub-list > li').length === 1);
    await page.screenshot({ path: path.join(SHOTS, 'sangkien-submissions-360.png'), fullPage: true });

    // The CSV export with the same filters: UTF-8 with a BOM, a header row, the match.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: vi.submissions.csv, exact: true }).click(),
    ]);
    assert.match(download.suggestedFilename(), /\.csv$/);
    const csv = await readFile(await download.path());
    assert.deepEqual([...csv.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const lines = csv.toString('utf8').slice(1).trim().split(/\r?\n/);
    assert.match(lines[0], /^Mã theo dõi,/);
    assert.equal(lines.length, 2);
    assert.ok(lines[1].includes('Chuyển đổi số cho chợ Đầm'));

    // A row opens the whole proposal.
    await rows.first().getByRole('link', { name: 'Chuyển đổi số cho chợ Đầm' }).click();
    await page.waitForURL(/\/proposal\.html\?id=\d+$/);
    await page.locator('#proposal-body').waitFor();
    assert.equal(await text(page.getByRole('heading', { level: 1 })), 'Chuyển đổi số cho chợ Đầm');
    assert.equal(await page.locator('#proposal-actions > li').count(), 0); // a leader reads, does not edit
    assert.match(await page.locator('#proposal-back').getAttribute('href'), /^submissions\.html\?campaign=\d+$/);
    assert.ok((await page.locator('#proposal-meta').textContent()).includes(resident.name));
    await assertFitsPhone(page, 'proposal');
    assertNoProblems(page, 'leader flow');
  } finally {
    await context.close();
  }
});

test('someone without the leader role is told the page is not for them', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await loginUI(page, vi, resident.phone);
    await openReady(page, '/leader.html');
    assert.equal(await alertText(page, '#leader-alert.is-shown'), vi.leader.notLeader);
    assert.equal(await page.locator('#leader-body').isHidden(), true);
    assertNoProblems(page, 'not a leader');
  } finally {
    await context.close();
  }
});
