// Photos from a phone on a slow data plan (issue 11, "on the phone"), at 360 px,
// in Vietnamese then English:
// - a 4,000 x 3,000 PNG "camera photo" over 10 MB (made here with node's zlib) is
//   shrunk in the page before it is sent (long side 2,048 px, JPEG): the request
//   body and the stored attachment are a few hundred kilobytes;
// - on a throttled network (CDP Network.emulateNetworkConditions) the <progress>
//   bar moves and shows its percent, and the rest of the form stays usable;
// - an upload cancelled while it is on its way stores nothing (the request is held before the
//   server until the click, so that the outcome does not depend on timing);
// - an upload whose connection drops (route.abort on the first try) is sent
//   again with "Thử lại" without choosing the file again;
// - axe-core finds no violation of any impact while the bar and the buttons show;
// - an iPhone HEIC photo, even one the browser gives no type, is offered, sent and stored as a JPEG.
//
// Run: node --test tests/e2e/upload.test.mjs   (see tests/e2e/lib/server.mjs for the environment)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import { assertNoProblems, dicts, launchBrowser, open, phonePage, waitForLang } from './lib/browser.mjs';
import { makeAccount, makePng, openCall } from './lib/seed.mjs';
import {
  alertText, assertAccessibleWithCSP, assertFitsPhone, fillSteps1to6, loginUI, nextStep, text, waitForStep,
} from './lib/flows.mjs';

const { vi, en } = dicts;
const SHOTS = process.env.SANGKIEN_E2E_SCREENSHOTS || '/tmp';
const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs database access (psql) for seeding roles' : false;
const TIMEOUT = { timeout: 240000, skip: SKIP };
const fill = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
const MB = 1024 * 1024;

let srv;
let browser;
let call;
let tmp;
let bigPhoto;
let bigPhotoSize;
let heic;

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

/**
 * A width x height RGB PNG that looks like a camera photo to a compressor: a sky and
 * a field with sensor noise in the low bits, so deflate cannot make it small (over 10 MB).
 */
function makeNoisyPhoto(width, height) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = Buffer.alloc(height * (1 + width * 3));
  let seed = 12345;
  let o = 0;
  for (let y = 0; y < height; y++) {
    raw[o++] = 0;
    for (let x = 0; x < width; x++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const n = seed >>> 24;
      const sky = y < height * 0.6;
      const base = sky ? [90 + (y * 60) / height, 160, 230] : [60, 150 - (y * 40) / height, 60 + (x * 40) / width];
      raw[o++] = base[0] + (n & 7);
      raw[o++] = base[1] + ((n >> 3) & 7);
      raw[o++] = base[2] + ((n >> 5) & 7);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 1 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

before(async () => {
  if (SKIP) return;
  srv = await startServer();
  browser = await launchBrowser();
  const leader = await makeAccount(srv, { name: 'Lê Văn Lãnh', phone: '0911000101' }, 'leader');
  call = await openCall(leader.api, srv, { title: 'Chuyển đổi số ở tổ dân phố 2026' });
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sangkien-e2e-upload-'));
  const png = makeNoisyPhoto(4000, 3000);
  bigPhotoSize = png.length;
  assert.ok(bigPhotoSize > 10 * MB, `the test photo is ${bigPhotoSize} bytes, over the 10 MB cap`);
  bigPhoto = path.join(tmp, 'ảnh chụp 12MP.png');
  await writeFile(bigPhoto, png);
  // An iPhone photo: HEIC, made by the vips CLI through libheif (scripts/test installs it).
  const v = path.join(tmp, 'g.v');
  execFileSync('vips', ['black', path.join(tmp, 'b.v'), '320', '240', '--bands', '3']);
  execFileSync('vips', ['linear', path.join(tmp, 'b.v'), v, '1', '120']);
  heic = path.join(tmp, 'IMG_0001.HEIC');
  execFileSync('vips', ['copy', v, heic]);
});

after(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
  if (browser) await browser.close();
  if (srv) {
    const { code, log } = await srv.stop();
    assert.equal(code, 0, `server exit ${code}; tail:\n${log.slice(-3000)}`);
  }
});

const isUpload = (req) => req.method() === 'POST' && /\/api\/v1\/proposals\/\d+\/attachments$/.test(req.url());

/** Records every value the percent shows (the page's own text, not a guess). */
async function watchPercent(page) {
  await page.evaluate(() => {
    window.skPercents = [];
    const pct = document.querySelector('#pf-upload-pct');
    new MutationObserver(() => window.skPercents.push(pct.textContent)).observe(pct, { childList: true, characterData: true, subtree: true });
  });
}

async function run(d, lang, phone) {
  const resident = await makeAccount(srv, { name: lang === 'vi' ? 'Nguyễn Thị Hoa' : 'Trần Văn Bình', phone });
  const { context, page } = await phonePage(browser, srv.baseURL);
  const cdp = await context.newCDPSession(page);
  await page.addInitScript(() => {
    window.skSent = [];
    const send = XMLHttpRequest.prototype.send;
    XMLHttpRequest.prototype.send = function sendRecorded(body) {
      if (body && typeof body.size === 'number') window.skSent.push(body.size);
      return send.call(this, body);
    };
  });
  try {
    if (lang === 'en') {
      await open(page, '/');
      await page.getByRole('button', { name: 'English', exact: true }).click();
      await waitForLang(page, 'en');
    }
    await loginUI(page, d, resident.phone, { next: `propose.html?campaign=${call.id}` });
    await fillSteps1to6(page, d);
    const picker = page.locator('#pf-files');
    const bar = page.locator('#pf-upload-bar');
    const list = page.locator('#pf-file-list li');

    // 1. The large photo on a slow line: shrunk, and the bar moves.
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 150, downloadThroughput: 200 * 1024, uploadThroughput: 32 * 1024,
    });
    await watchPercent(page);
    const sent = page.waitForRequest(isUpload, { timeout: 60000 });
    const t0 = Date.now();
    await picker.setInputFiles(bigPhoto);
    const req = await sent;
    await bar.waitFor({ state: 'visible' });
    assert.equal(await bar.getAttribute('max'), '100');
    assert.equal(await page.locator('#pf-upload-name').textContent(), fill(d.propose.uploadSending, { name: 'ảnh chụp 12MP.jpg' }));
    // The rest of the form stays usable while the photo goes.
    assert.equal(await page.getByRole('button', { name: d.propose.back, exact: true }).isEnabled(), true);
    assert.equal(await page.getByRole('button', { name: d.propose.uploadCancel, exact: true }).isEnabled(), true);
    const res = await req.response();
    assert.equal(res.status(), 201, await res.text());
    const wireMs = Date.now() - t0;
    // The body is a Blob, which Playwright does not hand over: its size as XMLHttpRequest.send got it,
    // and the Content-Length the browser put on the wire.
    const sentBytes = await page.evaluate(() => window.skSent[window.skSent.length - 1]);
    const wireLength = (await req.allHeaders())['content-length'];
    if (wireLength !== undefined) assert.equal(Number(wireLength), sentBytes);
    assert.equal(req.headers()['content-type'], 'image/jpeg');
    assert.ok(sentBytes > 10000 && sentBytes < 1.5 * MB && sentBytes < bigPhotoSize / 8,
      `sent ${sentBytes} bytes for a ${bigPhotoSize}-byte photo`);
    const proposalId = Number(/proposals\/(\d+)\/attachments/.exec(req.url())[1]);
    await list.filter({ hasText: 'ảnh chụp 12MP.jpg' }).waitFor();
    const percents = await page.evaluate(() => window.skPercents);
    const moving = percents.map((p) => Number.parseInt(p, 10)).filter((n) => n > 0 && n < 100);
    assert.ok(moving.length >= 2, `the bar moved: ${percents.join(' ')}`);
    const { attachment } = await res.json();
    const stored = await page.request.get(`/api/v1/attachments/${attachment.id}`);
    assert.equal(stored.status(), 200);
    const storedBody = await stored.body();
    const storedBytes = storedBody.length;
    // (No check of the stored format: the server may re-encode it; only its size matters here.)
    assert.ok(storedBytes < 1.5 * MB, `stored ${storedBytes} bytes`);
    console.log(`# ${lang}: ${bigPhotoSize} bytes PNG -> ${sentBytes} bytes sent (Content-Length ${wireLength}), ${storedBytes} stored, ${wireMs} ms at 32 KiB/s up; percents ${percents.join(' ')}`);
    await page.locator('#pf-upload').waitFor({ state: 'hidden' });

    // 2. Cancelled half way (on a slower line, so that there is time to): nothing is stored.
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 150, downloadThroughput: 200 * 1024, uploadThroughput: 8 * 1024,
    });
    await watchPercent(page);
    // The request is held on its way out (never reaches the server) until the person has
    // cancelled: without this, a small body could reach the server before the click (the
    // throttle delays what the page is told, not always the bytes), and the server would store it.
    let held;
    const heldDone = new Promise((resolve) => { held = resolve; });
    await page.route(/\/api\/v1\/proposals\/\d+\/attachments$/, async (route) => {
      await heldDone;
      await route.abort('aborted').catch(() => {});
    });
    const cancelled = page.waitForRequest(isUpload);
    await picker.setInputFiles(bigPhoto);
    await cancelled;
    await page.locator('#pf-upload-bar').waitFor({ state: 'visible' });
    await page.getByRole('button', { name: d.propose.uploadCancel, exact: true }).click();
    await page.waitForFunction((s) => document.querySelector('#pf-status').textContent === s,
      fill(d.propose.uploadCancelled, { name: 'ảnh chụp 12MP.jpg' }));
    await page.locator('#pf-upload').waitFor({ state: 'hidden' });
    held();
    await page.unroute(/\/api\/v1\/proposals\/\d+\/attachments$/);
    assert.equal(await list.count(), 1);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const after = await page.request.get(`/api/v1/proposals/${proposalId}`);
    assert.equal((await after.json()).proposal.attachments.length, 1, 'the cancelled upload stored nothing');

    // 3. The connection drops on the first try; "Thử lại" sends the same file.
    let tries = 0;
    await page.route(/\/api\/v1\/proposals\/\d+\/attachments$/, (route) => {
      tries += 1;
      return tries === 1 ? route.abort('connectionreset') : route.continue();
    });
    await picker.setInputFiles({ name: 'nhà văn hoá.png', mimeType: 'image/png', buffer: makePng(64, 48) });
    const retry = page.getByRole('button', { name: d.propose.uploadRetry, exact: true });
    await retry.waitFor({ state: 'visible' });
    await page.waitForFunction((s) => document.querySelector('#pf-files-error').textContent === s,
      fill(d.propose.uploadFailed, { name: 'nhà văn hoá.png' }));
    assert.equal(await page.locator('#pf-upload-name').textContent(), fill(d.propose.uploadStopped, { name: 'nhà văn hoá.png' }));
    // Cancel would drop the waiting file; it is still offered.
    assert.equal(await page.getByRole('button', { name: d.propose.uploadCancel, exact: true }).isVisible(), true);
    await assertFitsPhone(page, `${lang} upload failed`);
    await assertAccessibleWithCSP(page, `${lang} upload failed, with the retry button`);
    await page.screenshot({ path: path.join(SHOTS, `sangkien-upload-retry-${lang}-360.png`), fullPage: true });
    // Sending the proposal now would leave the photo out: the page says so and sends nothing.
    await nextStep(page, d, 8);
    await page.getByRole('button', { name: d.propose.submit, exact: true }).click();
    assert.equal(await alertText(page), d.propose.uploadWait);
    assert.equal((await (await page.request.get(`/api/v1/proposals/${proposalId}`)).json()).proposal.status, 'draft');
    await page.getByRole('button', { name: d.propose.back, exact: true }).click();
    await waitForStep(page, d, 7);
    await retry.click();
    await list.filter({ hasText: 'nhà văn hoá.png' }).waitFor();
    assert.equal(tries, 2);
    await page.waitForFunction((s) => document.querySelector('#pf-status').textContent === s,
      fill(d.propose.fileAdded, { name: 'nhà văn hoá.png' }));
    await page.locator('#pf-upload').waitFor({ state: 'hidden' });
    assert.equal(await text(page.locator('#pf-file-count')), fill(d.propose.fileCount, { n: 2, max: 5 }));
    await page.unroute(/\/api\/v1\/proposals\/\d+\/attachments$/);
    const final = await page.request.get(`/api/v1/proposals/${proposalId}`);
    assert.deepEqual((await final.json()).proposal.attachments.map((a) => a.filename).sort(),
      ['nhà văn hoá.png', 'ảnh chụp 12MP.jpg'].sort());
    await assertAccessibleWithCSP(page, `${lang} after the uploads`);
    // The dropped connection is logged by the browser; nothing else may be.
    page.problems.splice(0, page.problems.length, ...page.problems.filter((p) => !/ERR_CONNECTION_RESET/.test(p)));
    assertNoProblems(page, `${lang} uploads`);
  } finally {
    await context.close();
  }
}

test('Vietnamese: a large photo is shrunk, the bar moves, one upload cancelled, one retried', TIMEOUT, async () => {
  await run(vi, 'vi', '0912345101');
});

test('English: the same', TIMEOUT, async () => {
  await run(en, 'en', '0912345102');
});

// iPhones send HEIC: the picker offers it, a file whose type the browser leaves empty is named
// by its extension, and the server stores it as a JPEG (Chromium cannot decode HEIC, so the
// page sends it as it is).
test('an iPhone HEIC photo, even without a type, is accepted and stored as a JPEG', TIMEOUT, async () => {
  const resident = await makeAccount(srv, { name: 'Phạm Thị Mai', phone: '0912345103' });
  const { context, page } = await phonePage(browser, srv.baseURL);
  try {
    await loginUI(page, vi, resident.phone, { next: `propose.html?campaign=${call.id}` });
    await fillSteps1to6(page, vi);
    const picker = page.locator('#pf-files');
    assert.match(await picker.getAttribute('accept'), /image\/heic/);
    assert.match(await picker.getAttribute('accept'), /\.heic/);
    const sent = page.waitForRequest(isUpload, { timeout: 60000 });
    const { readFile } = await import('node:fs/promises');
    await picker.setInputFiles({ name: 'IMG_0001.HEIC', mimeType: '', buffer: await readFile(heic) });
    const req = await sent;
    assert.equal(req.headers()['content-type'], 'image/heic');
    const res = await req.response();
    assert.equal(res.status(), 201, await res.text());
    const { attachment } = await res.json();
    const stored = await page.request.get(`/api/v1/attachments/${attachment.id}`);
    assert.equal(stored.status(), 200);
    assert.equal(stored.headers()['content-type'], 'image/jpeg');
    const body = await stored.body();
    assert.deepEqual([...body.subarray(0, 3)], [0xff, 0xd8, 0xff], 'a JPEG');
    await page.locator('#pf-file-list li').first().waitFor();
    assert.equal(await page.locator('#pf-file-error, .files__error').filter({ hasText: vi.propose.fileBadType.slice(0, 8) }).count(), 0);
    assertNoProblems(page, 'heic upload');
  } finally {
    await context.close();
  }
});
