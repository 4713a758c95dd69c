// The results page printed (Ctrl+P or "In biên bản") follows the minutes (biên bản) of the
// server's PDF, src/render/minutes.c (issue 10). Seed (lib/appraisal-seed.mjs) as in
// results-page.test.mjs: three proposals, two panelists apart enough that the award cut cannot
// be separated (the tie sentence), decided in ranking order and published; the browser gets the
// same document with a reason on the winner (a departure from the ranking).
//
// On a 360 px phone, on screen: none of the print-only parts shows, axe finds no violation.
// In print (page.emulateMedia): the national header and motto beside the ward committee's
// header, then the title, the call, the panel, the method, the winners with the reason, the tie
// sentence, the chart, the full table, the signatures and the digests, visible and in this order
// (their boxes' y); the menu, the language button, the print button and the share block hidden.
// page.pdf(): A4 pages (pdfinfo), the digests on the last one, and pdftotext finds the national
// header and the signature lines. The same in English.
//
// Run: node --test tests/e2e/results-print.test.mjs (see tests/e2e/lib/server.mjs)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, phonePage, waitForLang } from './lib/browser.mjs';
import { PASSWORD } from './lib/seed.mjs';
import { seedAppraisal } from './lib/appraisal-seed.mjs';
import { assertAccessibleWithCSP, openReady, text } from './lib/flows.mjs';

const { vi, en } = dicts;
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs database access (psql) for seeding roles' : false;
const TIMEOUT = { timeout: 150000, skip: SKIP };
const REASON = 'Mô hình đã được triển khai thử ở tổ 3.';

let srv;
let browser;
let seed;
let tmp;

before(async () => {
  if (SKIP) return;
  tmp = mkdtempSync(path.join(tmpdir(), 'sangkien-print-'));
  srv = await startServer({ env: { SANGKIEN_TEST_CLOCK: '1' } });
  browser = await launchBrowser();
  seed = await seedAppraisal(srv, { title: 'Biên bản in 2026' });
  const { call, proposals, panelists: [a, b], leader } = seed;
  const plan = [[a, [9, 7, 3]], [b, [6, 5, 2]]];
  for (const [who, scores] of plan) {
    for (const [i, p] of proposals.entries()) {
      const ap = await who.api.get(`/proposals/${p.id}/appraisal`);
      await who.api.request('PUT', `/proposals/${p.id}/review`, {
        scores: ap.criteria.map((c) => ({ criterion_id: c.id, score: scores[i] })), overall_comment: 'Tốt.', version: 0, submit: true,
      });
    }
  }
  await leader.api.request('PUT', `/campaigns/${call.id}/awards`, { awards: [{ name: 'Giải Nhất', count: 1 }] });
  await leader.api.post(`/campaigns/${call.id}/panel/lock`, {});
  await leader.api.post(`/campaigns/${call.id}/decision`, {});
  await leader.api.post(`/campaigns/${call.id}/publish`, { password: PASSWORD });
});

after(async () => {
  if (browser) await browser.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (srv) {
    const { code, log } = await srv.stop();
    assert.equal(code, 0, `server exit ${code}; tail:\n${log.slice(-3000)}`);
  }
});

/** The parts of the printed minutes, in the order of minutes.c. */
const PARTS = [
  ['national header', '#print-head .minutes__nation'],
  ['title', '#print-head .minutes__title'],
  ['call', '#print-call'],
  ['panel', '#print-panel'],
  ['method', '#print-method'],
  ['winners', '#print-winners'],
  ['tie sentence', '#print-tie'],
  ['chart', '#res-chart svg'],
  ['full table', '#res-rows'],
  ['signatures', '#print-foot .minutes__signatures'],
  ['digests', '#print-digests'],
];

const nfc = (s) => s.normalize('NFC').replace(/\s+/g, ' ');

/** Prints the page to PDF: its pages (all A4) and the text of all and of the last one. */
async function printPdf(page, name) {
  const file = path.join(tmp, `${name}.pdf`);
  writeFileSync(file, await page.pdf({ preferCSSPageSize: true }));
  const info = execFileSync('pdfinfo', ['-f', '1', '-l', '50', file], { encoding: 'utf8' });
  const pages = Number(/^Pages:\s+(\d+)/m.exec(info)[1]);
  const sizes = [...info.matchAll(/^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts/gm)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.equal(sizes.length, pages, info);
  for (const [w, h] of sizes) assert.ok(Math.abs(w - 595.28) < 1 && Math.abs(h - 841.89) < 1, `A4 pages: ${w} x ${h}`);
  const all = nfc(execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }));
  const last = nfc(execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', '-f', String(pages), '-l', String(pages), file, '-'], { encoding: 'utf8' }));
  return { pages, all, last };
}

async function checkPrint(page, d, res) {
  await page.emulateMedia({ media: 'print' });
  try {
    // The screen's chrome is not printed.
    for (const sel of ['.site-header', '.menu-button', '[data-lang-switch]', '#res-print', '[data-share]', '#res-heading',
      '#res-winners-title', '#res-seal-title']) {
      assert.equal(await page.locator(sel).first().isVisible(), false, `${sel} hidden in print`);
    }
    // Every part visible, each below the one before.
    let previous = null;
    for (const [name, sel] of PARTS) {
      const part = page.locator(sel);
      assert.equal(await part.isVisible(), true, `${name} (${sel}) printed`);
      const box = await part.boundingBox();
      if (previous) assert.ok(box.y > previous.box.y, `${name} (y ${box.y}) below ${previous.name} (y ${previous.box.y})`);
      previous = { name, box };
    }
    // The committee's header beside the national one, as in an official document.
    const nation = await page.locator('#print-head .minutes__nation').boundingBox();
    const committee = await page.locator('#print-head .minutes__committee').boundingBox();
    assert.ok(Math.abs(committee.y - nation.y) < 2 && committee.x + committee.width <= nation.x + 1, 'side by side, the committee on the left');
    assert.equal(nfc(await text(page.locator('#print-head .minutes__nation'))), nfc(`${d.print.nation}${d.print.motto}`));
    const ward = srv.ward.name.toLocaleUpperCase('vi');
    assert.equal(nfc(await text(page.locator('#print-head .minutes__committee'))), nfc(`${d.print.committee}${ward}`));
    assert.match(await text(page.locator('#print-call')), new RegExp(seed.call.title));
    const { panelists, reviews } = res.snapshot;
    assert.match(await text(page.locator('#print-panel')), new RegExp(`^2\\D+${panelists}\\D+${reviews}\\D+3\\D`));
    const method = res.snapshot.method === 'raw' ? d.print.methodRaw : d.print.methodNormalised;
    assert.equal(await text(page.locator('#print-method')), method);
    const winners = await text(page.locator('#print-winners'));
    assert.match(winners, /Giải Nhất/);
    assert.match(winners, new RegExp(REASON));
    assert.equal(await text(page.locator('#print-tie')), d.print.tie);
    assert.match(await text(page.locator('#print-digests')), new RegExp(res.snapshot.config_digest));
  } finally {
    // No emulation (not 'screen'): page.pdf() prints with print media only when none is emulated.
    await page.emulateMedia({ media: null });
  }
}

async function checkScreen(page, label) {
  for (const sel of ['#print-head', '#print-foot', '#print-winners', '#print-digests', '.minutes__signatures']) {
    assert.equal(await page.locator(sel).isVisible(), false, `${sel} not on screen (${label})`);
  }
  assert.equal(await page.locator('#res-heading').isVisible(), true);
  assert.equal(await page.locator('#res-winners-title').isVisible(), true);
  const results = await assertAccessibleWithCSP(page, label);
  assert.deepEqual(results.violations.map((v) => `${v.impact} ${v.id}`), [], `axe violations on ${label}`);
}

test('printing the results page gives the minutes, in their order, on A4', TIMEOUT, async () => {
  const { call } = seed;
  const res = await fetch(`${srv.baseURL}/api/v1/campaigns/${call.id}/results`).then((r) => r.json());
  assert.equal(res.snapshot.tie_warning, true, 'the seed makes the award cut inseparable');
  const doc = structuredClone(res);
  doc.snapshot.ranking.find((e) => e.award).reason = REASON;
  const { page, context } = await phonePage(browser, srv.baseURL);
  try {
    await page.route(`**/api/v1/campaigns/${call.id}/results`, (route) => route.fulfill({
      status: 200, contentType: 'application/json', body: JSON.stringify(doc),
    }));
    await openReady(page, `/results/${call.id}`);
    await page.locator('#res-chart svg').waitFor();
    await checkScreen(page, 'results page, 360 px (vi)');
    await checkPrint(page, vi, doc);
    const pdf = await printPdf(page, 'vi');
    assert.ok(pdf.pages >= 2, `the digests on a page of their own: ${pdf.pages} pages`);
    for (const s of [vi.print.nation, vi.print.motto, vi.print.committee, vi.print.title, vi.print.chair, vi.print.chairSign,
      vi.print.onBehalf, vi.print.leaderSign]) {
      assert.ok(pdf.all.includes(nfc(s)), `the PDF says "${s}"`);
    }
    assert.ok(pdf.last.includes(nfc(vi.print.annexTitle)) && pdf.last.includes(res.snapshot.config_digest), 'the digests last');
    writeFileSync('/tmp/sangkien-results-print.pdf', await page.pdf({ preferCSSPageSize: true }));

    await page.getByRole('button', { name: vi.lang.switch, exact: true }).click();
    await waitForLang(page, 'en');
    await checkScreen(page, 'results page, 360 px (en)');
    await checkPrint(page, en, doc);
    const pdfEn = await printPdf(page, 'en');
    for (const s of [en.print.nation, en.print.motto, en.print.chair, en.print.onBehalf, en.print.leaderSign]) {
      assert.ok(pdfEn.all.includes(nfc(s)), `the English PDF says "${s}"`);
    }
    assert.ok(pdfEn.last.includes(nfc(en.print.annexTitle)), 'the digests last (en)');
    assertNoProblems(page, 'results page printed');
  } finally {
    await context.close();
  }
});
