// Debian's Chromium driven by playwright-core (no browser is ever downloaded),
// plus small helpers shared by the browser tests.
//
// Environment: CHROMIUM overrides the browser (default /usr/bin/chromium).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from './server.mjs';

const require = createRequire(import.meta.url);

/** Path of axe.min.js from the axe-core package. */
export const axePath = path.join(path.dirname(require.resolve('axe-core/package.json')), 'axe.min.js');

/** The frontend's dictionaries, so tests check the texts the pages should show. */
export const dicts = Object.freeze({
  vi: JSON.parse(readFileSync(path.join(repoRoot, 'frontend/i18n/vi.json'), 'utf8')),
  en: JSON.parse(readFileSync(path.join(repoRoot, 'frontend/i18n/en.json'), 'utf8')),
});

export const PHONE_VIEWPORT = Object.freeze({ width: 360, height: 740 });

/**
 * Launches headless Chromium. Playwright's launch() gives every browser a
 * fresh temporary user-data directory of its own and removes it on close.
 */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: apt-get install chromium, or set CHROMIUM`);
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A new context and page shaped like a cheap 360 px phone. Collects page
 * errors and Content-Security-Policy violations into page.problems.
 * options are passed to browser.newContext (e.g. bypassCSP).
 */
export async function phonePage(browser, baseURL, options = {}) {
  const context = await browser.newContext({
    baseURL,
    viewport: PHONE_VIEWPORT,
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'vi-VN',
    ...options,
  });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to (?:execute|load|apply|connect)/i.test(text)) problems.push(`CSP: ${text}`);
    else if (msg.type() === 'error') {
      // API refusals (401 from /me, 409, 400 …) are expected answers, not faults.
      const where = msg.location() && msg.location().url ? msg.location().url : '';
      const apiRefusal = /Failed to load resource: .*status of 4\d\d/.test(text) && where.includes('/api/v1/');
      if (!apiRefusal) problems.push(`console error: ${text} ${where}`);
    }
  });
  page.problems = problems;
  return { context, page };
}

/** Opens path and waits until the page is translated. */
export async function open(page, urlPath) {
  await page.goto(urlPath);
  await page.waitForSelector('html.i18n-ready', { state: 'attached' });
}

/** Resolves once <html lang> is lang. */
export async function waitForLang(page, lang) {
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}

/** Runs axe-core (injected as a script tag) and fails on any violation, whatever its impact. */
export async function assertAccessible(page, label) {
  await page.addScriptTag({ path: axePath });
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = results.violations.map(
    (v) => `${v.impact} ${v.id}: ${v.help} -> ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  assert.deepEqual(bad, [], `axe violations (any impact) on ${label}`);
  return results;
}

/** Fails when the page logged CSP violations or script errors. */
export function assertNoProblems(page, label) {
  assert.deepEqual(page.problems, [], `problems on ${label}`);
}

/**
 * Fails when a visible control is smaller than a 44 px touch target: links,
 * buttons, text fields and selects themselves; radios and checkboxes through
 * their label row.
 */
export async function assertTouchTargets(page, label, min = 44) {
  const small = await page.evaluate((minSize) => {
    const out = [];
    // Visible anywhere on the page, also where scrolled past (the skip link waits above the page).
    const visible = (el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.bottom + window.scrollY > 0 && getComputedStyle(el).visibility !== 'hidden';
    };
    const describe = (el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${(el.textContent || el.getAttribute('href') || '').trim().slice(0, 30)}"`;
    for (const el of document.querySelectorAll('a[href], button, input, select, textarea')) {
      if (!visible(el) || el.type === 'hidden') continue;
      let target = el;
      if (el.type === 'radio' || el.type === 'checkbox') target = el.parentElement;
      const r = target.getBoundingClientRect();
      if (r.height < minSize || r.width < minSize) out.push(`${describe(el)} ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
    return out;
  }, min);
  assert.deepEqual(small, [], `touch targets under ${min}px on ${label}`);
}
