// The share block of the public pages on a 360 px phone, in Vietnamese and in English: the button
// gives the address that carries the server's link-preview tags (absolute under --public-url).
// Without the Web Share API (headless Chromium) it copies the link and says so, showing the link
// to copy by hand; with it (stubbed) it opens the share sheet with that address. The Zalo link
// points to Zalo's web share with the same address. axe-core: no violation in the share block,
// none serious on the page; no CSP problem; 44 px targets and no sideways scrolling.
//
// Run: node --test tests/e2e/sharing.test.mjs   (see tests/e2e/lib/server.mjs for the environment)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, phonePage } from './lib/browser.mjs';
import { makeAccount, openCall } from './lib/seed.mjs';
import { assertAccessibleWithCSP, assertFitsPhone, openReady, text } from './lib/flows.mjs';

const PUBLIC = 'https://sangkien.example.vn';
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs its own server with --public-url' : false;
const TIMEOUT = { timeout: 180000, skip: SKIP };

let srv;
let browser;
let call;

before(async () => {
  if (SKIP) return;
  srv = await startServer({ env: { SANGKIEN_PUBLIC_URL: PUBLIC } });
  browser = await launchBrowser();
  const leader = await makeAccount(srv, { name: 'Lê Văn Lãnh', phone: '0912000031' }, 'leader');
  call = await openCall(leader.api, srv, { title: 'Sáng kiến "Phố số" 2026' });
});

after(async () => {
  if (browser) await browser.close();
  if (srv) {
    const { code, log } = await srv.stop();
    assert.equal(code, 0, `server exit ${code}; tail:\n${log.slice(-3000)}`);
  }
});

/** A phone page in lang, without navigator.share unless shareStub, with clipboard access when asked. */
async function sharePage(lang, { clipboard = false, shareStub = false } = {}) {
  const { context, page } = await phonePage(browser, srv.baseURL);
  if (clipboard) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.baseURL });
  await context.addInitScript(({ l, stub }) => {
    window.localStorage.setItem('sangkien.lang', l);
    if (stub) {
      window.__shared = [];
      Object.defineProperty(Navigator.prototype, 'share', { configurable: true, value: async (data) => { window.__shared.push(data); } });
      Object.defineProperty(Navigator.prototype, 'canShare', { configurable: true, value: () => true });
    } else {
      delete Navigator.prototype.share;
      delete Navigator.prototype.canShare;
    }
  }, { l: lang, stub: shareStub });
  return { context, page };
}

async function checkBlock(page, d, label) {
  const block = page.locator('[data-share]');
  await block.waitFor({ state: 'visible' });
  assert.equal(await text(block.getByRole('heading', { level: 2 })), d.share.heading);
  const button = block.getByRole('button', { name: d.share.button, exact: true });
  assert.equal(await button.isVisible(), true, `${label}: share button`);
  const zalo = block.getByRole('link', { name: d.share.zalo, exact: true });
  return { block, button, zalo };
}

async function scopedAxe(page, label) {
  const results = await page.evaluate(() => window.axe.run({ include: [['[data-share]']] }, { resultTypes: ['violations'] }));
  assert.deepEqual(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `axe in the share block, ${label}`);
}

test('call page, Vietnamese: the button copies the preview address and says so', TIMEOUT, async () => {
  const { context, page } = await sharePage('vi', { clipboard: true });
  try {
    await openReady(page, `/call.html?id=${call.id}`);
    const want = `${PUBLIC}/call.html?id=${call.id}`;
    const canonical = await page.locator('link[rel="canonical"]').getAttribute('href');
    assert.equal(canonical, want, 'the page carries the tags of the address it shares');
    const { block, button, zalo } = await checkBlock(page, dicts.vi, 'call vi');
    assert.equal(await zalo.getAttribute('href'), `https://sp.zalo.me/share_inline?url=${encodeURIComponent(want)}`);
    await button.click();
    const status = block.locator('[role="status"]');
    await page.waitForFunction(() => document.querySelector('[data-share-status]').textContent !== '');
    assert.equal(await text(status), dicts.vi.share.copied);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), want);
    const input = block.getByLabel(dicts.vi.share.linkLabel, { exact: true });
    assert.equal(await input.inputValue(), want);
    await assertAccessibleWithCSP(page, 'call page with the share block (vi)');
    await scopedAxe(page, 'call vi');
    await assertFitsPhone(page, 'call page with the share block (vi)');
    assertNoProblems(page, 'call vi');
  } finally {
    await context.close();
  }
});

test('catalogue and results address forms, English: copy fallback with its message', TIMEOUT, async () => {
  const { context, page } = await sharePage('en');
  try {
    await openReady(page, '/catalogue.html');
    // the list says how old its data is (as_of: it may come from a read replica)
    await page.locator('#cat-as-of').filter({ hasText: /^Figures as of .*\d\d:\d\d/ }).waitFor({ timeout: 5000 });
    const { block, button } = await checkBlock(page, dicts.en, 'catalogue en');
    await button.click();
    await page.waitForFunction(() => document.querySelector('[data-share-status]').textContent !== '');
    const msg = await text(block.locator('[role="status"]'));
    assert.ok([dicts.en.share.copied, dicts.en.share.copyFailed].includes(msg), `message: ${msg}`);
    const input = block.getByLabel(dicts.en.share.linkLabel, { exact: true });
    assert.equal(await input.inputValue(), `${PUBLIC}/catalogue.html`);
    await assertAccessibleWithCSP(page, 'catalogue with the share block (en)');
    await scopedAxe(page, 'catalogue en');
    await assertFitsPhone(page, 'catalogue with the share block (en)');
    // The results page's other address form shares /results/{id}, the one with the tags.
    const shared = await page.evaluate(async (id) => (await import('/js/share.js')).shareUrl(
      { origin: 'http://127.0.0.1:1', pathname: '/results.html', search: `?id=${id}` }, document), call.id);
    assert.equal(shared, `${PUBLIC}/results/${call.id}`);
    assertNoProblems(page, 'catalogue en');
  } finally {
    await context.close();
  }
});

test('with the Web Share API (phones) the share sheet gets the preview address', TIMEOUT, async () => {
  const { context, page } = await sharePage('vi', { shareStub: true });
  try {
    await openReady(page, `/call.html?id=${call.id}`);
    const { block, button } = await checkBlock(page, dicts.vi, 'call vi, share sheet');
    await button.click();
    await page.waitForFunction(() => window.__shared.length === 1);
    const data = await page.evaluate(() => window.__shared[0]);
    assert.equal(data.url, `${PUBLIC}/call.html?id=${call.id}`);
    assert.equal(await text(block.locator('[role="status"]')), dicts.vi.share.shared);
    assert.equal(await block.locator('[data-share-fallback]').isVisible(), false, 'no copy box after sharing');
    assertNoProblems(page, 'call vi, share sheet');
  } finally {
    await context.close();
  }
});
