// A whole call run by a ward through the pages alone (issue 9, "Done when" 1). From an empty
// database with only the installation administrator made on the command line, on a 360 px phone
// in Vietnamese, one browser context per person: the administrator creates a ward, two groups, a
// leader, three panelists and a volunteer (set-up codes redeemed on set-password.html); the leader
// creates a call (draft), opens it and extends its deadline; a resident registers on
// register.html and sends a proposal; the volunteer sends one for another resident after the first
// deadline (server clock) and before the new one; the leader closes the call, starts the
// appraisal, names the panel, assigns two panelists per proposal, moves one review ("Chuyển"),
// sets the awards; the panelists score on review.html; the leader locks, decides, publishes and
// publishes one correction; the signed-out results page shows the winner and the correction.
//
// The "pages alone" rule is checked: every request the pages make is recorded
// (page.on('request')); the test itself only reads (GET, through readApi) and psql only SELECTs.
// Every write the run needs must therefore come from a page: the list of writes is checked at
// the end. The server's clock moves only with X-Sangkien-Test-Now.
//
// Run: node --test tests/e2e/ward-run.test.mjs   (see tests/e2e/README.md)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, phonePage } from './lib/browser.mjs';
import { PASSWORD, localVN } from './lib/seed.mjs';
import { assertAccessibleWithCSP, assertFitsPhone, fillSteps1to6, loginUI, menu, nextStep, openReady, text } from './lib/flows.mjs';

const { vi } = dicts;
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs an empty database and the command line' : false;
const TIMEOUT = { timeout: 300000, skip: SKIP };
const MINUTE = 60 * 1000;
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));

const ADMIN = { name: 'Nguyễn Quản Trị', phone: '0900000001' };
const WARD = { code: 'TA', name: 'Phường Tân An' };
const GROUPS = ['Tổ dân phố 1', 'Tổ dân phố 2'];
const LEADER = { name: 'Lê Văn Lãnh', phone: '0911000001', role: 'leader' };
const PANELISTS = [
  { name: 'Trần Thị Thẩm', phone: '0911000002', role: 'panelist' },
  { name: 'Phạm Văn Định', phone: '0911000003', role: 'panelist' },
  { name: 'Võ Thị Xét', phone: '0911000004', role: 'panelist' },
];
const VOLUNTEER = { name: 'Đỗ Thu Tình', phone: '0911000005', role: 'volunteer' };
const RESIDENT = { name: 'Hoàng Thị Bảy', phone: '0933111789' };
const HELPED = { name: 'Bùi Văn Mến', phone: '0987654321' };
const TITLE = 'Sáng kiến chuyển đổi số phường Tân An 2026';
const CRITERION = 'Tính khả thi';
const P1 = 'Nhóm Zalo báo lịch tiêm chủng cho tổ 1';
const P2 = 'Loa phát thanh thông minh cho tổ 2';

let srv;
let browser;
/** Every API request a page made: "who METHOD /path". */
const requests = [];

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
  srv = await startServer({ seed: false, env: { SANGKIEN_TEST_CLOCK: '1' } });
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

/** A person's own browser context (360 px phone), recording the page's API requests. */
async function person(who, now) {
  const ctx = await phonePage(browser, srv.baseURL);
  ctx.page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/v1/')) requests.push(`${who} ${r.method()} ${u.pathname}`);
  });
  if (now) await ctx.page.setExtraHTTPHeaders({ 'X-Sangkien-Test-Now': String(now) });
  return ctx;
}

/** Reads state to assert, with page's session: GET only, never recorded as a page's request. */
async function readApi(page, path) {
  const res = await page.request.get(`/api/v1${path}`);
  assert.equal(res.status(), 200, `GET ${path}: ${res.status()}`);
  return res.json();
}

/** Only reading in psql. */
function select(sql) {
  assert.match(sql, /^\s*SELECT\b/i);
  return srv.psql(sql);
}

/** Follows link (a locator) to a page whose address matches url, ready (translated, signed in or not). */
async function follow(page, link, url) {
  await link.click();
  await page.waitForURL(url);
  await page.waitForSelector('html.i18n-ready.nav-ready', { state: 'attached' });
}

async function saysStatus(page, selector, message) {
  await page.waitForFunction(([s, m]) => {
    const e = document.querySelector(s);
    return e && e.textContent.trim() === m;
  }, [selector, message]);
}

/** Redeems code for phone on set-password.html in a fresh context. */
async function redeem(p) {
  const { context, page } = await person(`redeem:${p.phone}`);
  try {
    // The login page's "Đặt mật khẩu bằng mã".
    await openReady(page, '/login.html');
    await follow(page, page.getByRole('link', { name: vi.login.setPasswordLink, exact: true }), /\/set-password\.html$/);
    await page.getByLabel(vi.common.phoneLabel, { exact: true }).fill(p.phone);
    await page.getByLabel(vi.setPassword.codeLabel, { exact: true }).fill(p.code);
    await page.getByLabel(vi.setPassword.passwordLabel, { exact: true }).fill(PASSWORD);
    await page.getByLabel(vi.setPassword.confirmLabel, { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: vi.setPassword.submit, exact: true }).click();
    await page.getByRole('heading', { name: vi.setPassword.doneHeading, exact: true }).waitFor();
    assertNoProblems(page, `set-password for ${p.phone}`);
  } finally {
    await context.close();
  }
}

test('a ward runs a whole call through the pages alone, on a phone, in Vietnamese', TIMEOUT, async () => {
  // ----- The administrator: the ward, its groups, its people. -----
  const admin = await person('admin');
  try {
    const page = admin.page;
    await loginUI(page, vi, ADMIN.phone);
    await follow(page, (await menu(page)).getByRole('link', { name: vi.nav.admin, exact: true }), /\/admin\.html$/);
    await page.locator('#admin-root').waitFor();
    await page.getByLabel(vi.admin.wardCodeLabel, { exact: true }).fill(WARD.code);
    await page.getByLabel(vi.admin.wardNameLabel, { exact: true }).fill(WARD.name);
    await page.getByRole('button', { name: vi.admin.wardCreate, exact: true }).click();
    const ward = page.locator('article.admin-ward', { hasText: WARD.name });
    await ward.waitFor();
    for (const name of GROUPS) {
      await ward.getByLabel(vi.admin.groupNameLabel, { exact: true }).fill(name);
      await ward.getByRole('button', { name: vi.admin.groupCreate, exact: true }).click();
      await saysStatus(page, '#wards-status', fill(vi.admin.groupCreated, { name }));
    }
    for (const p of [LEADER, ...PANELISTS, VOLUNTEER]) {
      await page.getByLabel(vi.admin.nameLabel, { exact: true }).fill(p.name);
      await page.getByLabel(vi.admin.loginLabel, { exact: true }).fill(p.phone);
      await page.locator('#create-role').selectOption(p.role);
      await page.getByRole('button', { name: vi.admin.createSubmit, exact: true }).click();
      await saysStatus(page, '#create-status', fill(vi.admin.created, { name: p.name }));
      p.code = await text(page.locator('#create-code .setup-code__value'));
      assert.match(p.code, /^\d{4} \d{4}$/);
    }
    assertNoProblems(page, 'admin');
  } finally {
    await admin.context.close();
  }
  for (const p of [LEADER, ...PANELISTS, VOLUNTEER]) await redeem(p);

  // ----- The leader: a draft call, opened, its deadline extended. -----
  const opensMs = Math.floor(Date.now() / MINUTE) * MINUTE - MINUTE;
  const closesMs = opensMs + 12 * MINUTE;
  const newClosesMs = closesMs + 10 * MINUTE;
  const between = Math.floor(closesMs / 1000) + 2 * 60; // after the first deadline, before the new one
  const late = Math.floor(newClosesMs / 1000) + 60; // after the new deadline
  const boss = await person('leader');
  const lp = boss.page;
  let callId;
  let moved;
  {
    await loginUI(lp, vi, LEADER.phone);
    await follow(lp, (await menu(lp)).getByRole('link', { name: vi.nav.leader, exact: true }), /\/leader\.html$/);
    await lp.locator('#leader-body').waitFor();
    await lp.getByRole('button', { name: vi.leader.new, exact: true }).click();
    await lp.locator('#leader-form-section').waitFor();
    await lp.locator('#leader-form').getByLabel(vi.leader.titleLabel, { exact: true }).fill(TITLE);
    await lp.getByRole('textbox', { name: vi.leader.descriptionLabel }).fill('Phường mời bà con góp ý tưởng đưa công nghệ số vào đời sống.');
    await lp.getByRole('textbox', { name: vi.leader.rulesLabel }).fill('Mỗi đề xuất nêu rõ vấn đề, cách làm, chi phí.');
    await lp.getByLabel(vi.leader.opensLabel, { exact: true }).fill(localVN(opensMs));
    await lp.getByLabel(vi.leader.closesLabel, { exact: true }).fill(localVN(closesMs));
    await lp.getByLabel(vi.leader.reviewsLabel, { exact: true }).fill('2');
    await lp.getByRole('button', { name: vi.leader.addCriterion, exact: true }).click();
    const k1 = lp.getByRole('group', { name: fill(vi.leader.criterionN, { n: 1 }) });
    await k1.getByLabel(vi.leader.criterionName, { exact: true }).fill(CRITERION);
    await k1.getByLabel(vi.leader.criterionWeight, { exact: true }).fill('1');
    await lp.getByRole('button', { name: vi.leader.createSubmit, exact: true }).click();
    await saysStatus(lp, '#leader-done', fill(vi.leader.created, { title: TITLE }));
    const card = lp.locator('li[id^="call-"]', { hasText: TITLE });
    callId = Number((await card.getAttribute('id')).slice('call-'.length));
    assert.equal(await text(card.locator('.badge')), vi.states.draft);

    await card.getByRole('button', { name: `${vi.leader.open} (${TITLE})` }).click();
    await lp.getByRole('dialog').getByRole('button', { name: vi.leader.open, exact: true }).click();
    await saysStatus(lp, '#leader-done', fill(vi.leader.opened, { title: TITLE }));

    await card.getByRole('button', { name: `${vi.leader.extend} (${TITLE})` }).click();
    await lp.locator('#leader-extend-section').waitFor();
    await lp.getByLabel(vi.leader.extendNewLabel, { exact: true }).fill(localVN(newClosesMs));
    await lp.getByLabel(vi.leader.extendReasonLabel, { exact: true }).fill('Mưa bão, nhiều hộ chưa kịp gửi.');
    await lp.getByRole('button', { name: vi.leader.extendSubmit, exact: true }).click();
    await lp.locator('#leader-extend-section').waitFor({ state: 'hidden' });
    const c = (await readApi(lp, `/campaigns/${callId}`)).campaign;
    assert.equal(c.state, 'open');
    assert.equal(new Date(c.closes_at).getTime(), newClosesMs);
    assert.equal(c.extensions.length, 1);
    assertNoProblems(lp, 'leader: the call');

    // ----- A resident registers and sends a proposal. -----
    const res = await person('resident');
    try {
      const page = res.page;
      // From the home page to the call, its "Gửi đề xuất", the login page's "Đăng ký tại đây".
      await openReady(page, '/');
      await follow(page, page.getByRole('main').getByRole('link', { name: vi.home.callsCta, exact: true }), /\/calls\.html$/);
      await follow(page, page.getByRole('link', { name: TITLE, exact: true }), new RegExp(`/call\\.html\\?id=${callId}$`));
      await follow(page, page.getByRole('link', { name: vi.call.propose, exact: true }), /\/login\.html\?next=/);
      await follow(page, page.getByRole('link', { name: vi.login.registerLink, exact: true }), /\/register\.html\?next=/);
      await page.getByLabel(vi.register.nameLabel, { exact: true }).fill(RESIDENT.name);
      await page.getByLabel(vi.common.phoneLabel, { exact: true }).fill(RESIDENT.phone);
      await page.getByLabel(vi.common.passwordLabel, { exact: true }).fill(PASSWORD);
      await page.getByLabel(vi.register.wardLabel, { exact: true }).selectOption({ label: WARD.name });
      await page.getByLabel(vi.register.groupLabel).selectOption({ label: GROUPS[0] });
      await page.getByRole('button', { name: vi.register.submit, exact: true }).click();
      await page.waitForURL(new RegExp(`/propose\\.html\\?campaign=${callId}$`));
      await fillSteps1to6(page, vi, {
        title: P1,
        summary: 'Lập nhóm Zalo của tổ để báo lịch tiêm chủng và khám sức khoẻ miễn phí.',
        problem: 'Nhiều cụ già không biết lịch tiêm chủng vì thông báo chỉ dán ở nhà văn hoá.',
        model: 'Tổ trưởng lập nhóm Zalo; tình nguyện viên giúp các cụ cài Zalo; trạm y tế gửi lịch vào nhóm.',
        beneficiaries: 'Người cao tuổi và các gia đình có trẻ nhỏ trong tổ.',
        households: '120',
        resources: 'Hai tình nguyện viên, một buổi hướng dẫn.',
        cost: '1500000',
        tags: 'y tế',
      });
      await nextStep(page, vi, 8);
      await page.getByRole('button', { name: vi.propose.submit, exact: true }).click();
      await page.locator('#pf-done').waitFor({ state: 'visible' });
      assert.match(await text(page.locator('#pf-code')), /^[A-Z0-9]+-\d{4}-\d{4}$/);
      assertNoProblems(page, 'resident');
    } finally {
      await res.context.close();
    }

    // ----- After the first deadline, before the new one: the volunteer helps a resident. -----
    const vol = await person('volunteer', between);
    try {
      const page = vol.page;
      await loginUI(page, vi, VOLUNTEER.phone);
      await follow(page, (await menu(page)).getByRole('link', { name: vi.nav.assist, exact: true }), /\/assist\.html$/);
      await page.locator('#assist-flow').waitFor();
      assert.equal(await page.getByLabel(vi.assist.callLabel, { exact: true }).inputValue(), String(callId));
      await page.getByLabel(vi.assist.phoneLabel, { exact: true }).fill(HELPED.phone);
      await page.getByLabel(vi.assist.nameLabel, { exact: true }).fill(HELPED.name);
      await page.getByLabel(vi.assist.groupLabel, { exact: true }).selectOption({ label: GROUPS[1] });
      await page.getByRole('button', { name: vi.assist.residentSubmit, exact: true }).click();
      await page.locator('#consent-form').waitFor({ state: 'visible' });
      await page.getByLabel(vi.assist.consentCheck, { exact: true }).check();
      await page.getByRole('button', { name: vi.assist.consentSubmit, exact: true }).click();
      await page.locator('#assist-proposal').waitFor({ state: 'visible' });
      await fillSteps1to6(page, vi, {
        title: P2,
        summary: 'Thay loa cũ bằng loa phát thanh điều khiển qua điện thoại.',
        problem: 'Loa cũ hay hỏng, tổ trưởng phải đi từng nhà báo tin.',
        model: 'Gắn loa thông minh ở đầu hẻm; tổ trưởng đọc tin qua ứng dụng.',
        beneficiaries: 'Cả tổ, nhất là người cao tuổi.',
        households: '85',
        resources: 'Một loa, một điện thoại của tổ.',
        cost: '3000000',
        tags: 'phát thanh',
      });
      await nextStep(page, vi, 8);
      await page.getByRole('button', { name: vi.propose.submit, exact: true }).click();
      await page.locator('#apf-done').waitFor({ state: 'visible' });
      assertNoProblems(page, 'volunteer');
    } finally {
      await vol.context.close();
    }
    const sent = await select(`SELECT count(*) FROM proposals WHERE campaign_id = ${callId} AND status = 'submitted' AND helped_by IS NOT NULL`);
    assert.equal(sent, '1', 'one assisted proposal');

    // ----- After the new deadline: close, start the appraisal, name the panel, assign, move one. -----
    await lp.setExtraHTTPHeaders({ 'X-Sangkien-Test-Now': String(late) });
    await follow(lp, (await menu(lp)).getByRole('link', { name: vi.nav.leader, exact: true }), /\/leader\.html$/);
    await card.waitFor();
    await card.getByRole('button', { name: `${vi.leader.close} (${TITLE})` }).click();
    await lp.getByRole('dialog').getByRole('button', { name: vi.leader.close, exact: true }).click();
    await saysStatus(lp, '#leader-done', fill(vi.leader.closedDone, { title: TITLE }));
    await card.getByRole('link', { name: `${vi.leader.appraisal} (${TITLE})` }).click();
    await lp.waitForURL(new RegExp(`/appraisal\\.html\\?campaign=${callId}$`));
    await lp.locator('#ap-body').waitFor();
    await lp.getByRole('button', { name: vi.appraisal.start, exact: true }).click();
    await lp.getByRole('dialog').getByRole('button', { name: vi.appraisal.start, exact: true }).click();
    await lp.locator('#ap-done').filter({ hasText: vi.appraisal.startedDone }).waitFor();
    for (const p of PANELISTS) {
      await lp.locator('#ap-candidates').getByRole('checkbox', { name: new RegExp(`^${p.name}`) }).check();
    }
    await lp.getByRole('button', { name: vi.appraisal.panelSave, exact: true }).click();
    await lp.locator('#ap-done').filter({ hasText: vi.appraisal.panelSaved }).waitFor();
    await lp.getByLabel(vi.appraisal.modeK, { exact: true }).check();
    await lp.getByLabel(vi.appraisal.kLabel, { exact: true }).fill('2');
    await lp.getByRole('button', { name: vi.appraisal.assign, exact: true }).click();
    await lp.locator('#ap-done').filter({ hasText: vi.appraisal.assignedDone }).waitFor();

    const before = await readApi(lp, `/campaigns/${callId}/assignments`);
    const move = lp.locator('#ap-assign-cards').getByRole('button', { name: new RegExp(`^${vi.workspace.move}`) }).first();
    await move.click();
    const picker = lp.locator('#ap-assign-cards select');
    await picker.waitFor();
    const toName = (await picker.locator('option').first().textContent()).trim();
    await picker.selectOption({ index: 0 });
    await lp.getByRole('button', { name: vi.workspace.moveConfirm, exact: true }).click();
    await lp.locator('#ap-done').filter({ hasText: new RegExp(`${toName}\\.$`) }).waitFor();
    // One review changed hands: to a panelist who did not review that proposal.
    const after = await readApi(lp, `/campaigns/${callId}/assignments`);
    const ids = (a) => a.proposals.map((p) => p.reviewers.map((r) => r.panelist_id).sort().join(','));
    const changed = ids(after).filter((x, i) => x !== ids(before)[i]);
    assert.equal(changed.length, 1, `one proposal's reviewers changed: ${JSON.stringify([ids(before), ids(after)])}`);
    moved = PANELISTS.find((p) => p.name === toName);
    assert.ok(moved, `moved to a panelist: ${toName}`);

    // The awards: first and second prize, one each.
    const awardsForm = lp.locator('#ap-awards-form');
    await awardsForm.getByLabel(vi.workspace.awardName, { exact: true }).fill('Giải Nhất');
    await awardsForm.getByLabel(vi.workspace.awardCount, { exact: true }).fill('1');
    await lp.getByRole('button', { name: vi.workspace.awardAdd, exact: true }).click();
    const row2 = awardsForm.getByRole('group', { name: fill(vi.workspace.awardRowLegend, { n: 2 }), exact: true });
    await row2.getByLabel(vi.workspace.awardName).fill('Giải Nhì');
    await row2.getByLabel(vi.workspace.awardCount).fill('1');
    await lp.getByRole('button', { name: vi.appraisal.awardsSave, exact: true }).click();
    await lp.locator('#ap-done').filter({ hasText: vi.appraisal.awardsSaved }).waitFor();
    assertNoProblems(lp, 'leader: appraisal set up');
  }

  // ----- The panelists score what they were given (the moved review with its new panelist). -----
  const assigned = await readApi(lp, `/campaigns/${callId}/assignments`);
  assert.equal(assigned.proposals.length, 2);
  for (const p of PANELISTS) {
    const pan = await person(`panelist:${p.phone}`, late);
    try {
      const page = pan.page;
      await loginUI(page, vi, p.phone, { next: 'index.html' });
      await follow(page, page.getByRole('main').getByRole('link', { name: vi.home.panelCta, exact: true }), /\/panel\.html$/);
      await follow(page, page.getByRole('link', { name: TITLE, exact: true }), new RegExp(`/panel\\.html\\?campaign=${callId}$`));
      await page.locator('#panel-body').waitFor();
      const titles = (await page.locator('#panel-list > li h2').allTextContents()).map((t) => t.trim());
      for (const title of titles) {
        await follow(page, page.getByRole('link', { name: title, exact: true }), /\/review\.html\?proposal=\d+$/);
        await page.locator('#rv-body').waitFor();
        assert.equal(await text(page.locator('h1')), title);
        await page.getByLabel(fill(vi.review.scoreLabel, { name: CRITERION }), { exact: true }).fill(title === P1 ? '9' : '6');
        await page.getByLabel(vi.review.overallLabel, { exact: true }).fill('Mô hình rõ ràng, dễ làm ở tổ dân phố.');
        await page.getByRole('button', { name: vi.review.submit, exact: true }).click();
        await page.locator('#rv-done').filter({ hasText: vi.review.submittedDone }).waitFor();
        await follow(page, page.getByRole('link', { name: vi.review.back }), new RegExp(`/panel\\.html\\?campaign=${callId}$`));
        await page.locator('#panel-body').waitFor();
      }
      p.reviewed = titles.length;
      assertNoProblems(page, `panelist ${p.name}`);
    } finally {
      await pan.context.close();
    }
  }
  assert.equal(PANELISTS.reduce((n, p) => n + p.reviewed, 0), 4, 'two reviews per proposal');
  const scored = await select(`SELECT count(*) FROM reviews r JOIN proposals p ON p.id = r.proposal_id WHERE p.campaign_id = ${callId} AND r.status = 'submitted'`);
  assert.equal(scored, '4');
  assert.ok(moved.reviewed >= 1, `${moved.name} scored the review moved to them`);

  // ----- Lock, decide, publish, correct. -----
  let ranking;
  const correction = 'Đề xuất thứ hai trùng với mô hình phường đã làm năm 2025.';
  try {
    await follow(lp, (await menu(lp)).getByRole('link', { name: vi.nav.leader, exact: true }), /\/leader\.html$/);
    await follow(lp, lp.getByRole('link', { name: `${vi.leader.appraisal} (${TITLE})` }), new RegExp(`/appraisal\\.html\\?campaign=${callId}$`));
    await lp.locator('#ap-body').waitFor();
    await lp.getByRole('button', { name: vi.appraisal.lock, exact: true }).click();
    await lp.getByRole('dialog').getByRole('button', { name: vi.appraisal.lock, exact: true }).click();
    await lp.locator('#ap-ranking-section').waitFor();
    ranking = (await readApi(lp, `/campaigns/${callId}/ranking`)).ranking;
    assert.deepEqual(ranking.map((e) => e.default_award), ['Giải Nhất', 'Giải Nhì']);
    await lp.getByRole('button', { name: vi.appraisal.decide, exact: true }).click();
    await lp.getByRole('dialog').getByRole('button', { name: vi.appraisal.decide, exact: true }).click();
    await lp.locator('#ap-publish-section').waitFor();
    await lp.getByLabel(vi.common.passwordLabel, { exact: true }).fill(PASSWORD);
    await lp.getByRole('button', { name: vi.appraisal.publish, exact: true }).click();
    await lp.locator('#ap-done').filter({ hasText: vi.appraisal.publishedDone }).waitFor();

    // Later, the leader comes back from the list of calls to publish a correction.
    await follow(lp, (await menu(lp)).getByRole('link', { name: vi.nav.leader, exact: true }), /\/leader\.html$/);
    await lp.locator('li[id^="call-"]', { hasText: TITLE }).getByRole('link', { name: `${vi.leader.correctResults} (${TITLE})` }).waitFor();
    await assertAccessibleWithCSP(lp, 'leader.html with a published call');
    await assertFitsPhone(lp, 'leader.html with a published call');
    await follow(lp, lp.getByRole('link', { name: `${vi.leader.correctResults} (${TITLE})` }), new RegExp(`/appraisal\\.html\\?campaign=${callId}$`));
    await lp.locator('#ap-correction-section').waitFor();
    const second = ranking[1];
    await lp.getByLabel(fill(vi.appraisal.awardLabel, { code: second.tracking_code }), { exact: true }).selectOption('');
    await lp.getByLabel(fill(vi.appraisal.reasonLabel, { code: second.tracking_code }), { exact: true }).fill('Trùng mô hình đã có.');
    await lp.getByLabel(vi.workspace.correctionReasonLabel, { exact: true }).fill(correction);
    await lp.getByLabel(vi.workspace.correctionPasswordLabel, { exact: true }).fill(PASSWORD);
    await lp.getByRole('button', { name: vi.workspace.correct, exact: true }).click();
    await lp.getByRole('dialog').getByRole('button', { name: vi.workspace.correct, exact: true }).click();
    await lp.locator('#ap-done').filter({ hasText: vi.workspace.correctedDone }).waitFor();
    await assertFitsPhone(lp, 'appraisal.html corrected');
    assertNoProblems(lp, 'leader: appraisal');
  } finally {
    await boss.context.close();
  }

  // ----- The public results, signed out. -----
  const pub = await person('public');
  try {
    const rp = pub.page;
    await openReady(rp, '/');
    await follow(rp, rp.getByRole('main').getByRole('link', { name: vi.home.callsCta, exact: true }), /\/calls\.html$/);
    await follow(rp, rp.getByRole('link', { name: TITLE, exact: true }), new RegExp(`/call\\.html\\?id=${callId}$`));
    // The call page keeps the extension and its reason.
    await rp.locator('#call-body').waitFor();
    assert.equal(await rp.locator('#call-extensions li').count(), 1);
    assert.match(await text(rp.locator('#call-extensions li')), /Mưa bão, nhiều hộ chưa kịp gửi\./);
    await follow(rp, rp.getByRole('link', { name: vi.leader.results, exact: true }), new RegExp(`/results/${callId}$`));
    await rp.locator('#res-body').waitFor();
    assert.equal(await text(rp.locator('h1')), fill(vi.results.headingFor, { title: TITLE }));
    assert.equal(await text(rp.locator('#res-correction')), fill(vi.results.correction, { reason: correction }));
    const winners = rp.locator('#res-winners > li');
    assert.equal(await winners.count(), 1);
    assert.match(await text(winners), /Giải Nhất/);
    assert.match(await text(winners), new RegExp(ranking[0].tracking_code));
    assert.equal(await rp.locator('#res-rows > tr').count(), 2);
    await assertFitsPhone(rp, 'results');
    await assertAccessibleWithCSP(rp, 'results');
    assertNoProblems(rp, 'results');
  } finally {
    await pub.context.close();
  }

  // ----- Pages alone: every write came from a page, and each step made its write. -----
  const writes = requests.filter((r) => !/ (GET|HEAD) /.test(r));
  const expected = [
    /^admin POST \/api\/v1\/admin\/wards$/,
    /^admin POST \/api\/v1\/admin\/wards\/\d+\/groups$/,
    /^admin POST \/api\/v1\/admin\/accounts$/,
    /^redeem:\S+ POST \/api\/v1\/accounts\/password-setup$/,
    /^leader POST \/api\/v1\/wards\/\d+\/campaigns$/,
    /^leader POST \/api\/v1\/campaigns\/\d+\/transitions$/,
    /^leader POST \/api\/v1\/campaigns\/\d+\/deadline$/,
    /^resident POST \/api\/v1\/accounts$/,
    /^resident (POST|PATCH) \/api\/v1\/(campaigns\/\d+\/proposals|proposals\/\d+)$/,
    /^volunteer POST \/api\/v1\/wards\/\d+\/assisted-residents$/,
    /^volunteer (POST|PATCH) \/api\/v1\/(campaigns\/\d+\/proposals|proposals\/\d+)$/,
    /^leader PUT \/api\/v1\/campaigns\/\d+\/panel$/,
    /^leader POST \/api\/v1\/campaigns\/\d+\/assignments$/,
    /^leader POST \/api\/v1\/campaigns\/\d+\/assignments\/move$/,
    /^leader PUT \/api\/v1\/campaigns\/\d+\/awards$/,
    /^panelist:\S+ PUT \/api\/v1\/proposals\/\d+\/review$/,
    /^leader POST \/api\/v1\/campaigns\/\d+\/panel\/lock$/,
    /^leader POST \/api\/v1\/campaigns\/\d+\/decision$/,
    /^leader POST \/api\/v1\/campaigns\/\d+\/publish$/,
    /^leader POST \/api\/v1\/campaigns\/\d+\/corrections$/,
  ];
  for (const re of expected) assert.ok(writes.some((w) => re.test(w)), `no page made ${re}:\n${writes.join('\n')}`);
  if (process.env.SANGKIEN_E2E_VERBOSE) console.log(writes.join('\n'));
});
