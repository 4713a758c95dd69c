// Pictures where people look (issue 11), on a 360 px phone on a throttled line
// (CDP Network.emulateNetworkConditions: 1.6 Mbit/s, 150 ms):
// - a resident sends a proposal with a large camera photo through the form: the
//   photo is shrunk, the progress bar moves, and the resident ticks "Cho phép công
//   bố ảnh" and the contact (both off until ticked; the review step repeats them);
// - a second resident's proposal has a photo but no consent;
// - both win (the call is taken through appraisal to publication with the API);
// - signed out, the results page, the catalogue and the model page show the first
//   winner's photo as a card (srcset 320w/1024w, lazy, width/height, alt "Ảnh mô
//   hình: <title>"), and it loads (naturalWidth > 0) from the public immutable URL;
//   nothing for the second, whose model page gives the ward's contact;
// - axe-core with the CSP on finds no violation of any impact on these pages.
// (Cancel and "Thử lại" of an upload are in upload.test.mjs.)
//
// Run: node --test tests/e2e/showcase.test.mjs   (see tests/e2e/lib/server.mjs for the environment)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, open, phonePage } from './lib/browser.mjs';
import { ApiClient, PASSWORD, addGroup, isoVN, makeAccount, makePng, proposalBody } from './lib/seed.mjs';
import { assertAccessibleWithCSP, assertFitsPhone, fillSteps1to6, loginUI, nextStep } from './lib/flows.mjs';

const { vi } = dicts;
const SHOTS = process.env.SANGKIEN_E2E_SCREENSHOTS || '/tmp';
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs database access (psql) and the test clock' : false;
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
const SLOW = { offline: false, latency: 150, downloadThroughput: 200 * 1024, uploadThroughput: 200 * 1024 };

let srv;
let browser;
let tmp;
let bigPhoto;

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A width x height RGB PNG with sensor-like noise, so that it stays large (as upload.test.mjs). */
function makeNoisyPhoto(width, height) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = Buffer.alloc(height * (1 + width * 3));
  let seed = 4242;
  let o = 0;
  for (let y = 0; y < height; y++) {
    raw[o++] = 0;
    for (let x = 0; x < width; x++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const n = seed >>> 24;
      const sky = y < height * 0.55;
      const base = sky ? [100 + (y * 50) / height, 170, 235] : [70, 140 - (y * 30) / height, 50 + (x * 50) / width];
      raw[o++] = base[0] + (n & 7);
      raw[o++] = base[1] + ((n >> 3) & 7);
      raw[o++] = base[2] + ((n >> 5) & 7);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 1 })), chunk('IEND', Buffer.alloc(0)),
  ]);
}

before(async () => {
  if (SKIP) return;
  srv = await startServer({ env: { SANGKIEN_TEST_CLOCK: '1' } });
  browser = await launchBrowser();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sangkien-e2e-showcase-'));
  bigPhoto = path.join(tmp, 'mô hình.png');
  await writeFile(bigPhoto, makeNoisyPhoto(3000, 2250));
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
  if (browser) await browser.close();
  if (srv) {
    const { code, log } = await srv.stop();
    assert.equal(code, 0, `server exit ${code}; tail:\n${log.slice(-3000)}`);
  }
});

/** Waits until every <img> under selector has loaded (scrolled into view first: they are lazy). */
async function imagesLoaded(page, selector) {
  const imgs = page.locator(selector);
  const n = await imgs.count();
  for (let i = 0; i < n; i++) {
    await imgs.nth(i).scrollIntoViewIfNeeded();
    await page.waitForFunction(([s, k]) => {
      const img = document.querySelectorAll(s)[k];
      return img && img.complete && img.naturalWidth > 0;
    }, [selector, i], { timeout: 30000 });
  }
  return n;
}

/** The attributes a winner's photo must carry. */
async function checkImg(img, title) {
  assert.equal(await img.getAttribute('loading'), 'lazy');
  assert.equal(await img.getAttribute('width'), '320');
  assert.equal(await img.getAttribute('height'), '240');
  assert.equal(await img.getAttribute('alt'), fill(vi.showcase.photoAlt, { title }));
  const srcset = await img.getAttribute('srcset');
  assert.match(srcset, /^\/api\/v1\/public\/photos\/\d+-[0-9a-f]{32}\.webp\?size=320 320w, \/api\/v1\/public\/photos\/\d+-[0-9a-f]{32}\.webp\?size=1024 1024w$/);
}

test('a consented winner\'s photo shows on the results, catalogue and model pages at 360 px on a slow line', { timeout: 300000, skip: SKIP }, async () => {
  const start = Date.now();
  const leader = await makeAccount(srv, { name: 'Lê Văn Lãnh', phone: '0911000301' }, 'leader');
  const other = await addGroup(srv, 'Tổ dân phố 9');
  const pa = await makeAccount(srv, { name: 'Phạm Thị Thẩm', phone: '0922000301', groupId: other.id }, 'panelist');
  const pb = await makeAccount(srv, { name: 'Võ Văn Định', phone: '0922000302', groupId: other.id }, 'panelist');
  const hoa = await makeAccount(srv, { name: 'Nguyễn Thị Hoa', phone: '0933000301' });
  const binh = await makeAccount(srv, { name: 'Trần Văn Bình', phone: '0933000302' });
  const { campaign: draft } = await leader.api.post(`/wards/${srv.ward.id}/campaigns`, {
    title: 'Sáng kiến có ảnh 2026', description: 'Đợt thử ảnh.', rules: 'Như mọi đợt.',
    opens_at: isoVN(start - 3600 * 1000), closes_at: isoVN(start + 20 * 60 * 1000), reviews_required: 2,
  });
  const call = (await leader.api.post(`/campaigns/${draft.id}/transitions`, { to: 'open' })).campaign;

  // 1. Hoa sends her proposal from the phone, on a slow line, with a large photo and both consents.
  const { context, page } = await phonePage(browser, srv.baseURL);
  const title = 'Nhóm Zalo báo lịch tiêm chủng cho tổ 5';
  try {
    const cdp = await context.newCDPSession(page);
    await loginUI(page, vi, hoa.phone, { next: `propose.html?campaign=${call.id}` });
    await fillSteps1to6(page, vi);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', SLOW);
    await page.evaluate(() => {
      window.skPercents = [];
      const pct = document.querySelector('#pf-upload-pct');
      new MutationObserver(() => window.skPercents.push(pct.textContent)).observe(pct, { childList: true, characterData: true, subtree: true });
    });
    // Off until ticked.
    const photosTick = page.getByLabel(vi.propose.publishPhotos, { exact: true });
    const contactTick = page.getByLabel(vi.propose.publishContact, { exact: true });
    assert.equal(await photosTick.isChecked(), false);
    assert.equal(await contactTick.isChecked(), false);
    const sent = page.waitForResponse((r) => r.request().method() === 'POST' && /\/attachments$/.test(r.url()), { timeout: 90000 });
    await page.locator('#pf-files').setInputFiles(bigPhoto);
    await page.locator('#pf-upload-bar').waitFor({ state: 'visible' });
    const res = await sent;
    assert.equal(res.status(), 201, await res.text());
    await page.locator('#pf-file-list li').filter({ hasText: 'mô hình.jpg' }).waitFor();
    const percents = await page.evaluate(() => window.skPercents);
    assert.ok(percents.some((p) => { const n = Number.parseInt(p, 10); return n > 0 && n < 100; }), `the bar moved: ${percents.join(' ')}`);
    await photosTick.check();
    await contactTick.check();
    await assertAccessibleWithCSP(page, 'proposal form, photo step with the consents ticked');
    await assertFitsPhone(page, 'proposal form, photo step');
    await nextStep(page, vi, 8);
    const review = page.locator('#pf-review');
    assert.ok((await review.textContent()).includes(vi.proposal.publishPhotos));
    await page.getByRole('button', { name: vi.propose.submit, exact: true }).click();
    await page.locator('#pf-done').waitFor({ state: 'visible', timeout: 60000 });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const mine = (await hoa.api.get('/me/proposals')).proposals.find((p) => p.campaign_id === call.id);
    assert.equal(mine.publish_photos, true);
    assert.equal(mine.publish_contact, true);
    assert.ok(mine.publish_photos_at);
    // The proposal page says so, with when.
    await open(page, `/proposal.html?id=${mine.id}`);
    await page.locator('#proposal-body').waitFor({ state: 'visible' });
    assert.ok((await page.locator('#proposal-meta').textContent()).includes(vi.proposal.publishPhotos));
    assertNoProblems(page, 'resident');
  } finally {
    await context.close();
  }

  // 2. Binh's proposal has a photo and no consent.
  const { proposal: bp } = await binh.api.post(`/campaigns/${call.id}/proposals`,
    { ...proposalBody(srv, { title: 'Bản đồ số các điểm thu gom rác' }), submit: true });
  await binh.api.request('POST', `/proposals/${bp.id}/attachments`, undefined, {
    raw: makePng(640, 480), headers: { 'Content-Type': 'image/png', 'X-Filename': 'rac.png' },
  });
  const hp = (await hoa.api.get('/me/proposals')).proposals.find((p) => p.campaign_id === call.id);

  // 3. Both win: appraisal to publication through the API, the test clock past the deadline.
  const later = Math.floor(start / 1000) + 21 * 60;
  const at = () => new ApiClient(srv.baseURL, { now: later });
  const boss = await at().login(leader.phone);
  await boss.post(`/campaigns/${call.id}/transitions`, { to: 'closed' });
  await boss.post(`/campaigns/${call.id}/transitions`, { to: 'appraisal' });
  await boss.request('PUT', `/campaigns/${call.id}/panel`, { panelist_ids: [pa.id, pb.id] });
  await boss.post(`/campaigns/${call.id}/assignments`, { mode: 'all' });
  for (const p of [pa, pb]) {
    const client = await at().login(p.phone);
    for (const [i, pr] of [hp, bp].entries()) {
      const q = await client.get(`/proposals/${pr.id}/appraisal`);
      await client.request('PUT', `/proposals/${pr.id}/review`, {
        scores: q.criteria.map((k) => ({ criterion_id: k.id, score: 8 - 3 * i })), overall_comment: 'Làm được.',
        version: q.review ? q.review.version : 0, submit: true,
      });
    }
  }
  await boss.request('PUT', `/campaigns/${call.id}/awards`, { awards: [{ name: 'Giải Nhất', count: 1 }, { name: 'Giải Nhì', count: 1 }] });
  await boss.post(`/campaigns/${call.id}/panel/lock`, {});
  await boss.post(`/campaigns/${call.id}/decision`, {});
  await boss.post(`/campaigns/${call.id}/publish`, { password: PASSWORD });
  const { models } = await boss.get(`/models?ward_id=${srv.ward.id}`);
  const mh = models.find((m) => m.title === title);
  const mb = models.find((m) => m.title === 'Bản đồ số các điểm thu gom rác');
  assert.ok(mh && mb, 'both winners are in the catalogue');

  // 4. Signed out, on a phone on the slow line.
  const visitor = await phonePage(browser, srv.baseURL);
  try {
    const vp = visitor.page;
    const cdp = await visitor.context.newCDPSession(vp);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', SLOW);
    const photoResponses = [];
    const sizeReads = [];
    vp.on('response', (r) => {
      if (!r.url().includes('/api/v1/public/photos/')) return;
      photoResponses.push(r);
      // Read at once: a body is gone once the page navigates away.
      if (r.status() === 200) {
        sizeReads.push(r.body().then((b) => `${new URL(r.url()).searchParams.get('size')}: ${b.length} B`, () => 'not read'));
      }
    });

    await open(vp, `/results/${call.id}`);
    await vp.locator('#res-winners li').first().waitFor();
    assert.equal(await vp.locator('#res-winners li').count(), 2);
    assert.equal(await imagesLoaded(vp, '#res-winners img'), 1, 'one photo: only the consented winner');
    await checkImg(vp.locator('#res-winners img'), title);
    const card = vp.locator('#res-winners li').filter({ hasText: title });
    assert.equal(await card.locator('img').count(), 1);
    assert.ok((await card.textContent()).includes('+84933000301'), 'her contact, with consent');
    assert.equal(await vp.locator('#res-winners li').filter({ hasText: 'Bản đồ số' }).locator('img').count(), 0);
    // The image is on top of its card, the full width of the card.
    const [imgBox, cardBox] = [await card.locator('img').boundingBox(), await card.boundingBox()];
    assert.ok(imgBox.y - cardBox.y < 40 && imgBox.width > cardBox.width * 0.8, `image on top: ${JSON.stringify([imgBox, cardBox])}`);
    await assertFitsPhone(vp, 'results with photos');
    await assertAccessibleWithCSP(vp, 'results with photos');
    await vp.screenshot({ path: path.join(SHOTS, 'sangkien-showcase-results-360.png'), fullPage: true });

    await open(vp, '/catalogue.html');
    await vp.locator('#cat-list li').first().waitFor();
    assert.equal(await imagesLoaded(vp, '#cat-list img'), 1);
    await checkImg(vp.locator('#cat-list img'), title);
    await assertFitsPhone(vp, 'catalogue with photos');
    await assertAccessibleWithCSP(vp, 'catalogue with photos');

    await open(vp, `/model.html?id=${mh.id}`);
    await vp.locator('#model-body').waitFor({ state: 'visible' });
    assert.equal(await imagesLoaded(vp, '#model-photos img'), 1);
    await checkImg(vp.locator('#model-photos img'), title);
    assert.ok((await vp.locator('#model-problem').textContent()).includes('Nhiều cụ già'));
    assert.ok((await vp.locator('#model-resources').textContent()).includes('Hai tình nguyện viên'));
    assert.ok((await vp.locator('#model-details').textContent()).includes('+84933000301'));
    await assertFitsPhone(vp, 'model with photo');
    await assertAccessibleWithCSP(vp, 'model with photo');
    await vp.screenshot({ path: path.join(SHOTS, 'sangkien-showcase-model-360.png'), fullPage: true });

    await open(vp, `/model.html?id=${mb.id}`);
    await vp.locator('#model-body').waitFor({ state: 'visible' });
    assert.equal(await vp.locator('#model-photos img').count(), 0);
    assert.equal(await vp.locator('#model-photos-section').isHidden(), true);
    const details = await vp.locator('#model-details').textContent();
    assert.ok(details.includes(srv.ward.name) && !details.includes('+84933000302'), 'the ward\'s contact, not his');
    await assertAccessibleWithCSP(vp, 'model without photo');

    assert.ok(photoResponses.length > 0);
    const sizes = await Promise.all(sizeReads);
    for (const r of photoResponses) {
      if (r.status() === 200) {
        assert.equal(r.headers()['cache-control'], 'public, max-age=31536000, immutable');
        assert.match(r.headers().etag, /^"[0-9a-f]{64}"$/);
        assert.equal(r.headers()['content-type'], 'image/webp');
      }
    }
    console.log(`# public photo responses (360 px, DPR 2): ${sizes.join(', ')}; ${photoResponses.length - sizes.length} not 200 (304 or from cache)`);
    assertNoProblems(vp, 'visitor');
  } finally {
    await visitor.context.close();
  }
});
