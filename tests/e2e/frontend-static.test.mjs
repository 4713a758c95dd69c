// Static checks of frontend/ that need neither a server nor a browser:
// the dictionaries agree, every key the pages and scripts use exists, the
// markup stays within the served CSP, and the accessibility basics are there.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './lib/server.mjs';

const FRONTEND = path.join(repoRoot, 'frontend');
const read = (rel) => readFileSync(path.join(FRONTEND, rel), 'utf8');
const dict = { vi: JSON.parse(read('i18n/vi.json')), en: JSON.parse(read('i18n/en.json')) };
const pages = readdirSync(FRONTEND).filter((f) => f.endsWith('.html'));
const scripts = readdirSync(path.join(FRONTEND, 'js')).filter((f) => f.endsWith('.js'));

// Every stable error code of the API contract, plus the frontend's own.
const ERROR_CODES = [
  'not_found', 'method_not_allowed', 'payload_too_large', 'unsupported_media_type', 'too_many_requests',
  'internal', 'database_unavailable', 'invalid_json', 'invalid_field', 'unauthenticated', 'forbidden',
  'csrf_failed', 'conflict', 'login_taken', 'invalid_credentials', 'network', 'unknown',
  'campaign_not_open', 'deadline_not_later', 'deadline_in_past', 'deadline_too_far',
];

function flatten(obj, prefix = '', out = new Map()) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object') flatten(v, key, out);
    else out.set(key, v);
  }
  return out;
}

const flat = { vi: flatten(dict.vi), en: flatten(dict.en) };

function attrs(tag) {
  const out = new Map();
  for (const m of tag.matchAll(/([\w:-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    out.set(m[1].toLowerCase(), m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

function tags(html, name) {
  return [...html.matchAll(new RegExp(`<${name}\\b([^>]*)>`, 'gi'))].map((m) => attrs(m[1]));
}

test('vi.json and en.json have the same keys, all non-empty strings', () => {
  assert.deepEqual([...flat.en.keys()].sort(), [...flat.vi.keys()].sort());
  for (const [code, m] of Object.entries(flat)) {
    for (const [k, v] of m) assert.ok(typeof v === 'string' && v.trim() !== '', `${code}: ${k} is empty`);
  }
  assert.equal(dict.vi.lang.switch, 'English');
  assert.equal(dict.en.lang.switch, 'Tiếng Việt');
});

test('every API error code has a translation', () => {
  for (const code of ERROR_CODES) {
    assert.ok(flat.vi.has(`errors.${code}`), `vi: errors.${code}`);
    assert.ok(flat.en.has(`errors.${code}`), `en: errors.${code}`);
  }
});

// Every code of docs/api.md's error table (which tests/docs/check_docs.py keeps equal to what the
// server sends): without errors.<code>, form.js shows the server's English message on a Vietnamese page.
test('every error code in docs/api.md has a text in both languages', () => {
  const api = readFileSync(path.join(repoRoot, 'docs', 'api.md'), 'utf8');
  const table = api.slice(api.indexOf('\n## Error codes'), api.indexOf('\n## Known issues'));
  const codes = [...table.matchAll(/^\| `([a-z_]+)` \| \d{3}/gm)].map((m) => m[1]);
  assert.ok(codes.length > 40, `only ${codes.length} codes found in docs/api.md`);
  const missing = codes.filter((c) => !flat.vi.has(`errors.${c}`) || !flat.en.has(`errors.${c}`));
  assert.deepEqual(missing, [], `errors.<code> missing in vi.json or en.json: ${missing.join(', ')}`);
});

test('every key used by the pages and scripts exists', () => {
  const used = new Set();
  for (const p of pages) {
    for (const m of read(p).matchAll(/data-i18n(?:-[\w-]+)?="([^"]+)"/g)) {
      if (!m[0].startsWith('data-i18n-vars')) used.add(m[1]);
    }
  }
  const namespaces = Object.keys(dict.vi).join('|');
  const keyRe = new RegExp(`['\`"]((?:${namespaces})\\.[A-Za-z0-9_.]+)['\`"]`, 'g');
  for (const s of scripts) {
    for (const m of read(`js/${s}`).matchAll(keyRe)) if (!/\.(?:html|js|json)$/.test(m[1])) used.add(m[1]);
  }
  assert.ok(used.size > 50, `only ${used.size} keys found`);
  for (const k of used) {
    assert.ok(flat.vi.has(k), `vi.json lacks ${k}`);
    assert.ok(flat.en.has(k), `en.json lacks ${k}`);
  }
});

test('the markup stays within the CSP: no inline script, style or handlers', () => {
  for (const p of pages) {
    const html = read(p);
    for (const s of tags(html, 'script')) {
      assert.ok(s.get('src'), `${p}: inline <script>`);
      assert.equal(s.get('type'), 'module', `${p}: scripts are ES modules`);
    }
    assert.doesNotMatch(html, /<style\b/i, `${p}: <style>`);
    assert.doesNotMatch(html, /\sstyle\s*=/i, `${p}: style attribute`);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, `${p}: event handler attribute`);
    assert.doesNotMatch(html, /javascript:/i, `${p}: javascript: URL`);
    assert.doesNotMatch(html, /(?:src|href)\s*=\s*"(?:https?:)?\/\//i, `${p}: resource from another origin`);
  }
  for (const s of scripts) {
    const js = read(`js/${s}`);
    assert.doesNotMatch(js, /\.innerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/, `js/${s}`);
    assert.doesNotMatch(js, /setAttribute\(\s*['"]style['"]|\.style\./, `js/${s}: inline style`);
  }
});

test('every page has the landmarks, skip link, language switch and labelled controls', () => {
  for (const p of pages) {
    const html = read(p);
    assert.match(html, /^<!DOCTYPE html>\n<html lang="vi">/, `${p}: doctype and lang`);
    assert.match(html, /<meta charset="utf-8">/, p);
    const viewport = tags(html, 'meta').find((m) => m.get('name') === 'viewport');
    assert.ok(viewport, `${p}: viewport`);
    assert.doesNotMatch(viewport.get('content'), /user-scalable\s*=\s*no|maximum-scale\s*=\s*1(?:\.0)?\b/, `${p}: zoom allowed`);
    for (const landmark of ['header', 'main', 'footer']) {
      assert.equal(tags(html, landmark).length, 1, `${p}: one <${landmark}>`);
    }
    assert.equal(tags(html, 'main')[0].get('id'), 'main', `${p}: main#main`);
    // The skip link, header, language switch and menu are drawn by js/layout.js
    // into this one empty placeholder (see the next test).
    assert.match(html, /<body>\n  <header class="site-header" data-layout><\/header>\n/, `${p}: layout placeholder first in <body>`);
    assert.equal(tags(html, 'nav').length, 0, `${p}: the menu comes from layout.js`);
    const script = tags(html, 'script')[0].get('src').replace(/^\/?js\//, '');
    assert.match(read(`js/${script}`), /\b(?:startPage|initLayout)\(/, `${p}: ${script} starts the layout`);
    assert.equal(tags(html, 'h1').length, 1, `${p}: one h1`);

    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length, `${p}: duplicate id`);
    const idSet = new Set(ids);
    const labelled = new Set(tags(html, 'label').map((l) => l.get('for')).filter(Boolean));
    for (const name of ['input', 'select', 'textarea']) {
      for (const el of tags(html, name)) {
        if (el.get('type') === 'hidden') continue;
        assert.ok(labelled.has(el.get('id')), `${p}: <${name} id="${el.get('id')}"> has no <label for>`);
        for (const ref of (el.get('aria-describedby') || '').split(/\s+/).filter(Boolean)) {
          assert.ok(idSet.has(ref), `${p}: aria-describedby ${ref} missing`);
        }
      }
    }
    for (const m of html.matchAll(/\shref="([\w-]+\.html)"/g)) {
      assert.ok(pages.includes(m[1]), `${p}: link to missing ${m[1]}`);
    }
  }
});

test('layout.js draws the skip link, language switch and a labelled menu of existing pages', () => {
  const js = read('js/layout.js');
  assert.match(js, /class: 'skip-link', href: '#main'/);
  assert.match(js, /class: 'lang-switch', 'data-lang-switch': true, lang: 'en'/);
  assert.match(js, /make\('nav', \{[^}]*'data-i18n-aria-label': 'nav\.label'/);
  assert.match(js, /'aria-expanded': 'false', 'aria-controls': MENU_ID/);
  const entries = [...js.matchAll(/\{ key: '(nav\.\w+)', page: '([\w-]+\.html)', show: '([\w-]+)'/g)];
  assert.ok(entries.length >= 8, `only ${entries.length} menu entries`);
  for (const [, key, page, show] of entries) {
    assert.ok(pages.includes(page), `menu entry ${key}: ${page} does not exist`);
    assert.ok(['all', 'guest', 'signed-in', 'volunteer', 'panelist', 'leader', 'admin'].includes(show), `${key}: show ${show}`);
  }
});

test('login fields use the right autocomplete tokens', () => {
  const reg = read('register.html');
  const login = read('login.html');
  assert.match(reg, /id="reg-login"[^>]*autocomplete="username"/);
  assert.match(reg, /id="reg-password"[^>]*autocomplete="new-password"/);
  assert.match(reg, /id="reg-name"[^>]*autocomplete="name"/);
  assert.match(login, /id="login-login"[^>]*autocomplete="username"/);
  assert.match(login, /id="login-password"[^>]*autocomplete="current-password"/);
  assert.match(dict.vi.register.passwordHint, /10/);
  assert.match(dict.en.register.passwordHint, /10/);
});
