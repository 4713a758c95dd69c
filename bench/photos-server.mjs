// bench/photos-server.mjs: the photo figures of issue 11 through the real server (run by
// bench/photos.sh, which makes the files and the release build; see docs/performance.md).
//
//   node bench/photos-server.mjs RUNS FILE...   (FILE: .jpg, .heic or .png; then three
//                                                 photos for the page: PAGE1 PAGE2 PAGE3 after --page)
//
// 1. Each FILE is uploaded RUNS times with curl (POST /api/v1/proposals/{id}/attachments, its own
//    Content-Type, as a phone that does not shrink would send it). Printed per file (medians):
//    upload-to-stored time (curl's time_total: the 201 comes after the photo, its two derived
//    sizes and the rows are stored), bytes on the wire (request headers + body, reply headers +
//    body, as curl counts them) and the server's peak memory added by the upload: before each
//    upload `echo 5 > /proc/PID/clear_refs` resets VmHWM to the current RSS, and afterwards
//    VmHWM minus that RSS is what the upload (its body, the decoding, the derived sizes, the
//    database call) added at its peak.
// 2. A proposal with the three --page photos is opened in Debian's chromium (playwright-core, as
//    tests/e2e do) at 360 px, DPR 2, signed in as its author: the bytes the first visit (an
//    empty cache) and a repeat visit (the same browser profile, as a returning phone) transfer,
//    summed from CDP Network.loadingFinished encodedDataLength (headers + body as received),
//    with the number of requests and, per kind, where the bytes went.
//
// Environment: SANGKIEN_BIN (the server; bench/photos.sh passes build/sangkien),
// SANGKIEN_TEST_DATABASE_URL (a database on a running cluster; one is made next to it), CHROMIUM.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../tests/e2e/lib/server.mjs';
import { launchBrowser } from '../tests/e2e/lib/browser.mjs';
import { makeAccount, makePng, openCall, proposalBody } from '../tests/e2e/lib/seed.mjs';

const args = process.argv.slice(2);
const runs = Number(args.shift());
const sep = args.indexOf('--page');
const files = sep < 0 ? args : args.slice(0, sep);
const pagePhotos = sep < 0 ? [] : args.slice(sep + 1);
const mimeOf = (f) => (f.endsWith('.png') ? 'image/png' : f.endsWith('.heic') ? 'image/heic' : f.endsWith('.webp') ? 'image/webp' : 'image/jpeg');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const kib = (pid, key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

// A fresh server (its own database), a leader, a resident and an open call.
async function serve() {
  const srv = await startServer();
  const port = new URL(srv.baseURL).port;
  const ss = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  srv.pid = Number(/pid=(\d+)/.exec(ss)[1]);
  const leader = await makeAccount(srv, { name: 'Lãnh đạo Bench', phone: '0900000001' }, 'leader');
  srv.resident = await makeAccount(srv, { name: 'Cư dân Bench', phone: '0900000002' });
  srv.call = await openCall(leader.api, srv, { title: 'Cuộc thi bench ảnh' });
  return srv;
}
const newProposal = async (srv) => (await srv.resident.api.post(`/campaigns/${srv.call.id}/proposals`, proposalBody(srv))).proposal.id;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sk-bench-photos-'));
/* Uploads file as the resident with curl; returns time, bytes on the wire, the attachment's id. */
function upload(srv, proposal, file) {
  const reply = path.join(tmp, 'reply');
  const out = execFileSync('curl', ['-s', '-o', reply, '-w', '%{http_code} %{time_total} %{size_request} %{size_upload} %{size_header} %{size_download}',
    '-H', `Cookie: ${srv.resident.api.cookie}`, '-H', `X-CSRF-Token: ${srv.resident.api.csrf}`,
    '-H', `Content-Type: ${mimeOf(file)}`, '-H', `X-Filename: ${path.basename(file)}`,
    '--data-binary', `@${file}`, `${srv.baseURL}/api/v1/proposals/${proposal}/attachments`], { encoding: 'utf8' });
  const [code, t, req, up, hdr, down] = out.trim().split(' ').map(Number);
  if (code !== 201) throw new Error(`${file}: HTTP ${code} ${readFileSync(reply, 'utf8')}`);
  return { ms: t * 1000, wire: req + up + hdr + down, up: req + up, id: JSON.parse(readFileSync(reply, 'utf8')).attachment.id };
}
/* The server's peak RSS added by one upload of file (KiB): VmHWM reset to VmRSS, upload, VmHWM - VmRSS. */
async function measured(srv, file) {
  const p = await newProposal(srv);
  writeFileSync(`/proc/${srv.pid}/clear_refs`, '5');
  const base = kib(srv.pid, 'VmRSS');
  const r = upload(srv, p, file);
  return { ...r, base, added: kib(srv.pid, 'VmHWM') - base };
}

let browser;
let srv;
try {
  const small = path.join(tmp, 'small.png');
  writeFileSync(small, makePng(64, 48));
  console.log('Per upload, medians of RUNS fresh servers: the first upload of the file in the process (after one 64 x 48 PNG');
  console.log('that loads libvips\' modules), then a second upload of the same file in the same process ("again").');
  console.log(['file', 'bytes', 'stored ms', 'wire up B', 'wire total B', 'RSS KiB', 'added KiB', 'added MiB', 'again MiB'].map((x) => x.padStart(13)).join(''));
  for (const file of files) {
    const rows = [];
    for (let i = 0; i < runs; i++) {
      srv = await serve();
      upload(srv, await newProposal(srv), small);
      const first = await measured(srv, file);
      const again = await measured(srv, file);
      rows.push({ ...first, again: again.added });
      await srv.stop();
      srv = null;
    }
    const m = (k) => median(rows.map((r) => r[k]));
    console.log([path.basename(file), readFileSync(file).length, m('ms').toFixed(0), m('up'), m('wire'), m('base'), m('added'),
      (m('added') / 1024).toFixed(1), (m('again') / 1024).toFixed(1)].map((x) => String(x).padStart(13)).join(''));
  }

  if (pagePhotos.length) {
    srv = await serve();
    const p = await newProposal(srv);
    for (const f of pagePhotos) upload(srv, p, f);
    browser = await launchBrowser();
    const context = await browser.newContext({ baseURL: srv.baseURL, viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'vi-VN' });
    const [name, value] = srv.resident.api.cookie.split('=');
    await context.addCookies([{ name, value, url: srv.baseURL }]);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const reqs = new Map();
    let finished = [];
    cdp.on('Network.responseReceived', (e) => reqs.set(e.requestId, { url: e.response.url, status: e.response.status, fromCache: e.response.fromDiskCache || e.response.fromMemoryCache }));
    cdp.on('Network.loadingFinished', (e) => finished.push({ ...(reqs.get(e.requestId) || {}), bytes: e.encodedDataLength }));
    const visit = async (label) => {
      finished = [];
      await page.goto(`/proposal.html?id=${p}`, { waitUntil: 'networkidle' });
      await page.waitForSelector('html.i18n-ready', { state: 'attached' });
      // Scrolled to the end, so that lazy images load too (a reader who looks at the photos).
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(500);
      const total = finished.reduce((s, r) => s + r.bytes, 0);
      const onWire = finished.filter((r) => r.bytes > 0);
      const kinds = {};
      for (const r of onWire) {
        const k = /\/api\/v1\/attachments\//.test(r.url || '') ? 'photos' : /\/api\/v1\//.test(r.url || '') ? 'api' : 'static';
        kinds[k] = kinds[k] || { n: 0, bytes: 0, statuses: new Set() };
        kinds[k].n++; kinds[k].bytes += r.bytes; kinds[k].statuses.add(r.status);
      }
      const parts = Object.entries(kinds).map(([k, v]) => `${k} ${v.n} req ${v.bytes} B (HTTP ${[...v.statuses].join('/')})`).join('; ');
      console.log(`${label}: ${total} B in ${onWire.length} requests on the wire (${finished.length - onWire.length} from the cache): ${parts}`);
      const imgs = await page.$$eval('img', (xs) => xs.map((i) => i.currentSrc.replace(/^.*\/api\/v1/, '')));
      console.log(`  images shown: ${imgs.join(' ')}`);
      for (const r of onWire) console.log(`  ${String(r.status).padStart(3)} ${String(r.bytes).padStart(8)} B  ${(r.url || '').replace(srv.baseURL, '')}`);
    };
    console.log(`proposal ${p} with ${pagePhotos.length} photos (${pagePhotos.map((f) => readFileSync(f).length).join(', ')} B uploaded), chromium at 360 px, DPR 2:`);
    await visit('first visit');
    await visit('repeat visit');
  }
} finally {
  if (browser) await browser.close();
  if (srv) await srv.stop();
  rmSync(tmp, { recursive: true, force: true });
}
