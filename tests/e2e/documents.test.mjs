// The documents of a call on the website (issue 10), on a 360 x 740 phone:
// - the public results page links the minutes PDF, the XLSX and the QR poster, and each
//   link answers with its document;
// - the call page offers the poster to the ward's leader while the call is open, and not
//   to a visitor who is not signed in.
// The published call is inserted from bench/documents_seed.sql (as in tests/api/test_documents.c).
//
// Run: node --test tests/e2e/documents.test.mjs   (see tests/e2e/lib/server.mjs for the environment)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, phonePage } from './lib/browser.mjs';
import { makeAccount, openCall } from './lib/seed.mjs';
import { loginUI, openReady } from './lib/flows.mjs';

const { vi } = dicts;
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs database access (psql) for seeding' : false;
const TIMEOUT = { timeout: 120000, skip: SKIP };

let srv;
let browser;
let leader;
let openId;
let publishedId;

before(async () => {
  if (SKIP) return;
  srv = await startServer();
  browser = await launchBrowser();
  leader = await makeAccount(srv, { name: 'Lê Văn Lãnh', phone: '0913000001' }, 'leader');
  openId = (await openCall(leader.api, srv, { title: 'Mời đề xuất mô hình số 2027' })).id;
  const seed = readFileSync(path.join(repoRoot, 'bench', 'documents_seed.sql'), 'utf8')
    .replace(/^--.*$/gm, '')
    .replace(/\$1\b/g, String(srv.ward.id))
    .replace(/\$2\b/g, String(leader.id))
    .replace(/\$3\b/g, '10')
    .replace(/\$4\b/g, "'Sáng kiến chuyển đổi số 2026'");
  publishedId = Number(await srv.psql(seed));
  assert.ok(publishedId > 0);
});

after(async () => {
  if (browser) await browser.close();
  if (srv) {
    const { code, log } = await srv.stop();
    assert.equal(code, 0, `server exit ${code}; tail:\n${log.slice(-3000)}`);
  }
});

test('the results page links the minutes, the spreadsheet and the poster', TIMEOUT, async () => {
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await openReady(page, `/results/${publishedId}`);
    const docs = [
      ['#res-minutes-pdf', vi.documents.minutesPdf, 'minutes.pdf', 'application/pdf'],
      ['#res-xlsx', vi.documents.xlsx, 'results.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      ['#res-poster', vi.documents.poster, 'poster.pdf', 'application/pdf'],
    ];
    for (const [sel, label, file, type] of docs) {
      const link = page.locator(sel);
      await link.waitFor({ state: 'visible' });
      assert.equal((await link.textContent()).trim(), label);
      const href = await link.getAttribute('href');
      assert.equal(href, `/api/v1/campaigns/${publishedId}/${file}`);
      const res = await page.request.get(href);
      assert.equal(res.status(), 200, `${file}: ${res.status()}`);
      assert.equal(res.headers()['content-type'], type);
    }
    assertNoProblems(page, 'results page');
  } finally {
    await context.close();
  }
});

test('the call page offers the poster to the ward leader only', TIMEOUT, async () => {
  const anon = await phonePage(browser, srv.baseURL);
  try {
    await openReady(anon.page, `/call.html?id=${openId}`);
    await anon.page.locator('#call-body').waitFor({ state: 'visible' });
    assert.equal(await anon.page.locator('#call-poster').isVisible(), false);
  } finally {
    await anon.context.close();
  }
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await loginUI(page, vi, leader.phone);
    await openReady(page, `/call.html?id=${openId}`);
    const link = page.getByRole('link', { name: vi.documents.poster, exact: true });
    await link.waitFor({ state: 'visible' });
    assert.equal(await link.getAttribute('href'), `/api/v1/campaigns/${openId}/poster.pdf`);
    const res = await page.request.get(await link.getAttribute('href'));
    assert.equal(res.status(), 200);
    assertNoProblems(page, 'call page');
  } finally {
    await context.close();
  }
});
