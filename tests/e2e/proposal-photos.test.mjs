// A proposal with photos, as its author sees it on a 360 px phone (issue 11, bytes on the wire):
// the 64 px thumbnails in the attachment list load the 320 px copy (?size=320, a WebP of a few
// KB), never the stored photo itself (up to 2,560 px, hundreds of KB), and they really show;
// the download link still gives the photo itself. bench/photos.sh measures the bytes.
//
// Run: node --test tests/e2e/proposal-photos.test.mjs   (see tests/e2e/lib/server.mjs)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { launchBrowser, open, phonePage } from './lib/browser.mjs';
import { makeAccount, makePng, openCall, proposalBody } from './lib/seed.mjs';

const SKIP = process.env.SANGKIEN_E2E_BASE_URL ? 'needs database access (psql) for seeding roles' : false;

let srv;
let browser;

before(async () => {
  if (SKIP) return;
  srv = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (srv) await srv.stop();
});

test('the attachment list shows the 320 px copies, not the photos', { timeout: 120000, skip: SKIP }, async () => {
  const leader = await makeAccount(srv, { name: 'Chị Lan', phone: '0901234501' }, 'leader');
  const author = await makeAccount(srv, { name: 'Bác Tư', phone: '0901234502' });
  const call = await openCall(leader.api, srv, { title: 'Ảnh trong đề xuất' });
  const { proposal } = await author.api.post(`/campaigns/${call.id}/proposals`, proposalBody(srv));
  const ids = [];
  for (let i = 0; i < 3; i++) {
    const { attachment } = await author.api.request('POST', `/proposals/${proposal.id}/attachments`, undefined, {
      raw: makePng(1600, 1200), headers: { 'Content-Type': 'image/png', 'X-Filename': `anh-${i + 1}.png` },
    });
    ids.push(attachment.id);
  }
  const { context, page } = await phonePage(browser, srv.baseURL);
  const [name, value] = author.api.cookie.split('=');
  await context.addCookies([{ name, value, url: srv.baseURL }]);
  const fetched = [];
  page.on('request', (r) => { if (r.url().includes('/api/v1/attachments/')) fetched.push(r.url().replace(srv.baseURL, '')); });
  await open(page, `/proposal.html?id=${proposal.id}`);
  const thumbs = page.locator('#proposal-files img.files__thumb');
  await thumbs.nth(2).scrollIntoViewIfNeeded();
  await page.waitForFunction(() => [...document.querySelectorAll('#proposal-files img.files__thumb')]
    .every((i) => i.complete && i.naturalWidth > 0));
  const srcs = await thumbs.evaluateAll((xs) => xs.map((i) => ({ src: i.getAttribute('src'), w: i.naturalWidth })));
  assert.deepEqual(srcs.map((s) => s.src), ids.map((id) => `/api/v1/attachments/${id}?size=320`));
  for (const s of srcs) assert.equal(s.w, 320, `${s.src}: ${s.w} px wide`);
  assert.deepEqual(fetched.filter((u) => !u.endsWith('?size=320')), [], 'a stored photo itself was fetched');
  // The link still downloads the photo itself.
  assert.deepEqual(await page.locator('#proposal-files a.files__link').evaluateAll((xs) => xs.map((a) => a.getAttribute('href'))),
    ids.map((id) => `/api/v1/attachments/${id}`));
  await context.close();
});
