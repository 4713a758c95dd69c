// The one layout of every page: the skip link, the header (brand, the "Menu"
// button, the language button) and the main menu, drawn from MENU into the
// page's empty placeholder
//   <header class="site-header" data-layout></header>
// A menu change is one edit here. Pages start with initLayout() (or
// startPage() in ui.js, which calls it) before anything else.
//
// Links are absolute (/calls.html) because results.html is also served as
// /results/{id}. On a phone the list is folded behind "Menu" (aria-expanded);
// from 40em up it is shown inline and the button is hidden (css/app.css).

import { initI18n, setKey } from './i18n.js';

/**
 * The main menu, in order. key: its label in i18n (nav.*); page: the file it
 * opens; show: who sees it, as data-show (see session.js): "all", "guest",
 * "signed-in", "volunteer", "panelist", "leader" or "admin"; also: other
 * pages that count as this entry for aria-current; count: a number shown after
 * the label (session.js setUnread fills the "unread" one). Add an entry only
 * for a page that exists.
 */
export const MENU = Object.freeze([
  { key: 'nav.home', page: 'index.html', show: 'all' },
  { key: 'nav.calls', page: 'calls.html', show: 'all' },
  { key: 'nav.my', page: 'my.html', show: 'signed-in' },
  { key: 'nav.assist', page: 'assist.html', show: 'volunteer' },
  { key: 'nav.panel', page: 'panel.html', show: 'panelist' },
  { key: 'nav.leader', page: 'leader.html', show: 'leader', also: ['appraisal.html', 'submissions.html'] },
  { key: 'nav.residents', page: 'residents.html', show: 'leader' },
  { key: 'nav.admin', page: 'admin.html', show: 'admin' },
  { key: 'nav.catalogue', page: 'catalogue.html', show: 'all' },
  { key: 'nav.track', page: 'track.html', show: 'all' },
  { key: 'nav.register', page: 'register.html', show: 'guest' },
  { key: 'nav.login', page: 'login.html', show: 'guest' },
  { key: 'nav.notices', page: 'notices.html', show: 'signed-in', count: 'unread' },
  { key: 'nav.account', page: 'account.html', show: 'signed-in' },
]);

const MENU_ID = 'site-menu';
const WIDE = '(min-width: 40em)';

/** The file name of the page shown ("index.html" for "/", "results.html" for "/results/7"). */
export function currentPage(pathname = window.location.pathname) {
  if (/^\/results\/\d+$/.test(pathname)) return 'results.html';
  const file = pathname.replace(/^.*\//, '');
  return file === '' ? 'index.html' : file;
}

// A small element maker: textless, keyed by data-i18n, filled by initI18n.
function make(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === true) node.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

function menuItem(entry, here) {
  const current = entry.page === here || (entry.also || []).includes(here);
  const li = make('li', entry.show === 'all' ? {} : { 'data-show': entry.show });
  // Until /me answers, only what a guest sees is shown.
  if (entry.show !== 'all' && entry.show !== 'guest') li.hidden = true;
  const attrs = { href: `/${entry.page}`, 'aria-current': current ? 'page' : null };
  if (!entry.count) {
    li.append(make('a', { ...attrs, 'data-i18n': entry.key }));
    return li;
  }
  // The count: a number to see, and "(3 unread)" for a screen reader, filled once /me answers.
  li.append(make('a', attrs, make('span', { 'data-i18n': entry.key }), ' ',
    make('span', { class: 'nav-count', 'data-nav-count': entry.count, 'aria-hidden': 'true', hidden: true }),
    make('span', { class: 'visually-hidden', 'data-nav-count-label': entry.count })));
  return li;
}

function setOpen(header, button, open) {
  button.setAttribute('aria-expanded', open ? 'true' : 'false');
  header.classList.toggle('site-header--open', open);
}

/**
 * Draws the skip link, header and menu into the page's [data-layout]
 * placeholder (once; later calls do nothing). Texts are dictionary keys,
 * filled when the page is translated.
 */
export function drawLayout() {
  const header = document.querySelector('header[data-layout]');
  if (!header || header.hasAttribute('data-layout-drawn')) return;
  header.setAttribute('data-layout-drawn', '');
  const here = currentPage();

  const skip = make('a', { class: 'skip-link', href: '#main', 'data-i18n': 'common.skip' });
  document.body.prepend(skip);

  const brand = make('a', { class: 'brand', href: '/index.html' },
    make('img', { class: 'brand__logo', src: '/favicon.svg', alt: '', width: 40, height: 40 }),
    make('span', { class: 'brand__name', 'data-i18n': 'app.name' }));
  const menuButton = make('button', {
    type: 'button', class: 'menu-button', 'aria-expanded': 'false', 'aria-controls': MENU_ID,
  }, make('span', { class: 'menu-button__icon', 'aria-hidden': 'true' }), make('span', { 'data-i18n': 'nav.menu' }));
  const lang = make('button', {
    type: 'button', class: 'lang-switch', 'data-lang-switch': true, lang: 'en',
    'data-i18n': 'lang.switch', 'data-i18n-lang': 'lang.switchCode',
  });
  const bar = make('div', { class: 'site-header__bar' }, brand, menuButton, lang);

  const list = make('ul');
  for (const entry of MENU) list.append(menuItem(entry, here));
  const nav = make('nav', { class: 'site-nav', id: MENU_ID, 'data-i18n-aria-label': 'nav.label' }, list);

  header.append(bar, nav);

  menuButton.addEventListener('click', () => {
    setOpen(header, menuButton, menuButton.getAttribute('aria-expanded') !== 'true');
  });
  header.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape' || menuButton.getAttribute('aria-expanded') !== 'true') return;
    setOpen(header, menuButton, false);
    menuButton.focus();
  });
  // Leaving the phone width folds the list again, so it is not open by surprise later.
  const wide = window.matchMedia(WIDE);
  wide.addEventListener('change', () => setOpen(header, menuButton, false));
}

const FLASH_KEY = 'sangkien.flash';

/**
 * Leaves a message (a dictionary key) for the next page this tab opens, e.g.
 * "your account is ready" after registering; that page shows it once.
 */
export function setFlash(key) {
  try {
    window.sessionStorage.setItem(FLASH_KEY, key);
  } catch {
    // storage disabled: no message, the page itself still opens
  }
}

function takeFlash() {
  try {
    const key = window.sessionStorage.getItem(FLASH_KEY);
    window.sessionStorage.removeItem(FLASH_KEY);
    return key && /^[a-z]\w*\.\w+$/i.test(key) ? key : null;
  } catch {
    return null;
  }
}

/** Shows a message left by setFlash under the page's heading (a status region, filled a moment later so it is read). */
function showFlash() {
  const key = takeFlash();
  const main = document.getElementById('main');
  if (!key || !main) return;
  const flash = make('p', { class: 'flash', role: 'status' });
  const heading = main.querySelector('h1');
  if (heading) heading.after(flash);
  else main.prepend(flash);
  setTimeout(() => setKey(flash, key), 50);
}

/** Draws the layout, then translates the page; resolves once the page is translated. */
export async function initLayout() {
  drawLayout();
  await initI18n();
  showFlash();
}
