// Steps the browser tests share: logging in through the page, filling the
// proposal stepper the way a person does (by the labels in the dictionary),
// and the phone checks.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assertTouchTargets, axePath, open } from './browser.mjs';
import { PASSWORD } from './seed.mjs';

export const text = async (locator) => (await locator.textContent()).trim();

/** Logs in through login.html (phone number and the shared test password). */
export async function loginUI(page, d, phone, { next } = {}) {
  await open(page, next ? `/login.html?next=${encodeURIComponent(next)}` : '/login.html');
  await page.getByLabel(d.common.phoneLabel, { exact: true }).fill(phone);
  await page.getByLabel(d.common.passwordLabel, { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: d.login.submit, exact: true }).click();
  await page.waitForURL(next ? new RegExp(`/${next.replace(/[.?]/g, '\\$&')}$`) : /\/account\.html$/);
  await page.waitForSelector('html.i18n-ready.nav-ready', { state: 'attached' });
}

/** Opens urlPath and waits until the page is translated and knows who is signed in. */
export async function openReady(page, urlPath) {
  await open(page, urlPath);
  await page.waitForSelector('html.nav-ready', { state: 'attached' });
}

/** No sideways scrolling at 360 px, and every control is a 44 px touch target. */
export async function assertFitsPhone(page, label) {
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `${label}: page is ${width}px wide, wider than the 360px screen`);
  await assertTouchTargets(page, label);
}

/** The text of the alert once it has one. */
export async function alertText(page, selector = '[role="alert"].is-shown') {
  const el = page.locator(selector).first();
  await el.waitFor({ state: 'visible' });
  return text(el);
}

/** Waits until the step heading "Bước n trên 8 …" has the keyboard focus. */
export async function waitForStep(page, d, n) {
  const count = d.propose.stepCount.replace('{n}', n).replace('{total}', 8);
  const name = d.propose[`step${n}`];
  await page.waitForFunction(([c, s]) => {
    const a = document.activeElement;
    return a && a.tagName === 'H2' && a.textContent.includes(c) && a.textContent.includes(s)
      && !a.closest('[hidden]');
  }, [count, name]);
}

/** Presses "Continue" (Tiếp tục) and waits for step n. */
export async function nextStep(page, d, n) {
  await page.getByRole('button', { name: d.propose.next, exact: true }).click();
  await waitForStep(page, d, n);
}

export const sampleProposal = Object.freeze({
  title: 'Nhóm Zalo báo lịch tiêm chủng cho tổ 5',
  summary: 'Lập nhóm Zalo của tổ để báo lịch tiêm chủng và khám sức khoẻ miễn phí.',
  problem: 'Nhiều cụ già không biết lịch tiêm chủng vì thông báo chỉ dán ở nhà văn hoá.\nCon cháu đi làm xa.',
  model: 'Tổ trưởng lập nhóm Zalo; tình nguyện viên giúp các cụ cài Zalo và vào nhóm; trạm y tế gửi lịch vào nhóm.',
  beneficiaries: 'Người cao tuổi và các gia đình có trẻ nhỏ trong tổ.',
  households: '120',
  resources: 'Hai tình nguyện viên, một buổi hướng dẫn ở nhà văn hoá.',
  cost: '1500000',
  tags: 'y tế, người cao tuổi',
});

/**
 * Fills steps 1 to 6 from the current step 1 and stops on step 7 (photos).
 * data: like sampleProposal; group: the group's name to choose (optional).
 */
export async function fillSteps1to6(page, d, data = sampleProposal, { group } = {}) {
  await waitForStepVisible(page, d, 1);
  await page.getByLabel(d.propose.titleLabel, { exact: true }).fill(data.title);
  await page.getByLabel(d.propose.summaryLabel, { exact: true }).fill(data.summary);
  await nextStep(page, d, 2);
  await page.getByLabel(d.propose.problemLabel, { exact: true }).fill(data.problem);
  await nextStep(page, d, 3);
  await page.getByLabel(d.propose.modelLabel, { exact: true }).fill(data.model);
  await nextStep(page, d, 4);
  await page.getByLabel(d.propose.beneficiariesLabel, { exact: true }).fill(data.beneficiaries);
  await page.getByLabel(d.propose.householdsLabel, { exact: true }).fill(data.households);
  await nextStep(page, d, 5);
  await page.getByRole('textbox', { name: d.propose.resourcesLabel }).fill(data.resources);
  await page.getByLabel(d.propose.costLabel, { exact: true }).fill(data.cost);
  await nextStep(page, d, 6);
  if (group) await page.getByLabel(d.propose.groupLabel, { exact: true }).selectOption({ label: group });
  await page.getByRole('textbox', { name: d.propose.tagsLabel }).fill(data.tags);
  await nextStep(page, d, 7);
}

/** Waits until step n is the one shown (without needing the focus on it). */
export async function waitForStepVisible(page, d, n) {
  const count = d.propose.stepCount.replace('{n}', n).replace('{total}', 8);
  await page.locator('section.step:not([hidden]) h2').filter({ hasText: count }).waitFor({ state: 'visible' });
}

const axeSource = readFileSync(axePath, 'utf8');

/**
 * Like assertAccessible in browser.mjs, but with the page's CSP left on: axe is
 * evaluated through the DevTools protocol (not an inline <script>, which the
 * CSP refuses), so the same page can also be checked for CSP violations. Fails on
 * any violation, minor and moderate included.
 */
export async function assertAccessibleWithCSP(page, label) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = results.violations.map(
    (v) => `${v.impact} ${v.id}: ${v.help} -> ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  assert.deepEqual(bad, [], `axe violations (any impact) on ${label}`);
  return results;
}

/**
 * The main menu (navigation landmark), opened first with its "Menu" button
 * when it is folded (phones; the button is hidden on wide screens).
 */
export async function menu(page) {
  const button = page.locator('header .menu-button');
  await button.waitFor({ state: 'attached' });
  if (await button.isVisible() && (await button.getAttribute('aria-expanded')) !== 'true') await button.click();
  return page.getByRole('navigation');
}
