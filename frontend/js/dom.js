// Building markup from scripts without innerHTML (the CSP and safety both ask
// for it): el('p', { class: 'hint', i18n: 'propose.titleHint' }).
//
// attrs: class, text (a literal text), i18n (a dictionary key, kept
// translated), vars (for i18n), on (event handlers { click: fn }), hidden,
// and any other attribute (true sets it empty, false/null/undefined omits it).

import { setKey } from './i18n.js';

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = String(value);
    else if (name === 'i18n' || name === 'vars') continue;
    else if (name === 'on') {
      for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
    } else if (name === 'hidden') node.hidden = !!value;
    else if (value === true) node.setAttribute(name, '');
    else node.setAttribute(name, String(value));
  }
  if (attrs && attrs.i18n) setKey(node, attrs.i18n, attrs.vars);
  append(node, children);
  return node;
}

/** Appends children (nodes, strings, arrays of them; null and false are skipped). */
export function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Removes everything inside node. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

/** The value of query parameter name as a positive integer, or null. */
export function idParam(name) {
  const v = new URLSearchParams(window.location.search).get(name);
  return v && /^[1-9]\d{0,17}$/.test(v) ? Number(v) : null;
}
