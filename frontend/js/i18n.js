// Translations. Vietnamese is the default, English the second language.
//
// Every user-visible string lives in i18n/<lang>.json (nested objects, looked
// up with dotted keys such as "register.heading"). Markup carries the key:
//   <h1 data-i18n="register.heading">…</h1>              sets textContent
//   <input data-i18n-placeholder="…">, data-i18n-aria-label, -title, -alt,
//   -content, -lang                                        set that attribute
//   data-i18n-vars='{"n":3}'                               fills {n} in the text
// data-i18n is only for leaf elements: it replaces all of the element's content.
// Scripts never hold user-visible text; they set keys (see setKey) or call t().
// The choice is kept in localStorage and applied on every page; <html lang>
// follows it. Pages re-render dynamic parts on the "sk:langchange" event.

export const LANGS = Object.freeze(['vi', 'en']);
export const DEFAULT_LANG = 'vi';
const STORAGE_KEY = 'sangkien.lang';
const ATTRS = ['placeholder', 'aria-label', 'title', 'alt', 'content', 'lang'];

const own = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

let current = DEFAULT_LANG;
let dict = {};
let fallback = {};
const loaded = new Map();

function storedLang() {
  try {
    const v = window.localStorage.getItem(STORAGE_KEY);
    return LANGS.includes(v) ? v : null;
  } catch {
    return null; // storage disabled: stay with the default
  }
}

function storeLang(lang) {
  try {
    window.localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // storage disabled: the choice lasts for this page only
  }
}

function loadDict(lang) {
  if (!loaded.has(lang)) {
    const url = new URL(`../i18n/${lang}.json`, import.meta.url);
    const p = fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then((r) => {
        if (!r.ok) throw new Error(`dictionary ${lang}: HTTP ${r.status}`);
        return r.json();
      });
    p.catch(() => loaded.delete(lang));
    loaded.set(lang, p);
  }
  return loaded.get(lang);
}

function lookup(obj, key) {
  let o = obj;
  for (const part of String(key).split('.')) {
    if (o === null || typeof o !== 'object' || !own(o, part)) return undefined;
    o = o[part];
  }
  return o;
}

function fill(text, vars) {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name) => (own(vars, name) ? String(vars[name]) : m));
}

/** The current language code ("vi" or "en"). */
export function getLang() {
  return current;
}

/** True when the key has a text in the current or the default dictionary. */
export function has(key) {
  return typeof lookup(dict, key) === 'string' || typeof lookup(fallback, key) === 'string';
}

/**
 * The text for key in the current language (falling back to Vietnamese),
 * with {name} placeholders filled from vars. Returns def (default: the key)
 * when no dictionary has it.
 */
export function t(key, vars, def = key) {
  let s = lookup(dict, key);
  if (typeof s !== 'string') s = lookup(fallback, key);
  if (typeof s !== 'string') return def;
  return fill(s, vars);
}

function varsOf(el) {
  const raw = el.getAttribute('data-i18n-vars');
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** Applies the dictionary to root and everything under it. */
export function apply(root = document) {
  const scope = root === document ? document.documentElement : root;
  const withText = [...scope.querySelectorAll('[data-i18n]')];
  if (scope.hasAttribute && scope.hasAttribute('data-i18n')) withText.push(scope);
  for (const el of withText) {
    const text = t(el.getAttribute('data-i18n'), varsOf(el), null);
    if (text !== null && el.textContent !== text) el.textContent = text;
  }
  for (const attr of ATTRS) {
    const data = `data-i18n-${attr}`;
    for (const el of scope.querySelectorAll(`[${data}]`)) {
      const text = t(el.getAttribute(data), varsOf(el), null);
      if (text !== null) el.setAttribute(attr, text);
    }
  }
}

/**
 * Gives el the text of key (and keeps it translated on a language switch).
 * With key null, shows the literal text instead (e.g. a server message that
 * has no translation).
 */
export function setKey(el, key, vars, literal = '') {
  if (vars) el.setAttribute('data-i18n-vars', JSON.stringify(vars));
  else el.removeAttribute('data-i18n-vars');
  if (key) {
    el.setAttribute('data-i18n', key);
    // Without a dictionary (it failed to load), keep what the HTML says.
    el.textContent = t(key, vars, literal || el.textContent || key);
  } else {
    el.removeAttribute('data-i18n');
    el.textContent = literal;
  }
}

/** Switches the page (and, with persist, every later page) to lang. */
export async function setLang(lang, { persist = true } = {}) {
  if (!LANGS.includes(lang)) lang = DEFAULT_LANG;
  const [base, chosen] = await Promise.all([loadDict(DEFAULT_LANG), loadDict(lang)]);
  fallback = base;
  dict = chosen;
  current = lang;
  document.documentElement.lang = lang;
  apply(document);
  if (persist) storeLang(lang);
  document.dispatchEvent(new CustomEvent('sk:langchange', { detail: { lang } }));
}

/** Calls fn(lang) after every language switch. */
export function onLangChange(fn) {
  document.addEventListener('sk:langchange', (ev) => fn(ev.detail.lang));
}

function other(lang) {
  return lang === 'vi' ? 'en' : 'vi';
}

/**
 * Loads the stored (or default) language, translates the page and wires every
 * [data-lang-switch] button. Resolves once the page is translated.
 */
export async function initI18n() {
  for (const btn of document.querySelectorAll('[data-lang-switch]')) {
    btn.addEventListener('click', async () => {
      btn.disabled = true;
      try {
        await setLang(other(current));
      } catch (e) {
        console.error(e);
      } finally {
        btn.disabled = false;
        btn.focus();
      }
    });
  }
  const wanted = storedLang() || DEFAULT_LANG;
  try {
    await setLang(wanted, { persist: false });
  } catch (e) {
    console.error(e);
    if (wanted !== DEFAULT_LANG) await setLang(DEFAULT_LANG, { persist: false }).catch(console.error);
  }
  document.documentElement.classList.add('i18n-ready');
}
