// Who is signed in (GET /api/v1/me, asked once per page) and the navigation
// that follows from it.
//
// Markup marks what depends on the person with data-show:
//   data-show="guest"       only when nobody is signed in (shown by default)
//   data-show="signed-in"   any signed-in account
//   data-show="volunteer"   accounts with the volunteer role (any ward)
//   data-show="leader"      accounts with the leader role (any ward)
//   data-show="panelist"    accounts with the panelist role (any ward)
//   data-show="admin"       accounts with the admin role (a ward's or the installation's)
// Elements for signed-in people start hidden in the HTML, so a page without
// JavaScript, or before /me answers, shows the guest's choices.
// Once decided, <html> gets the class "nav-ready". When a later request finds
// the session gone (api.js sends "sk:signedout"), the navigation turns to a
// guest's and loadMe() answers null.

import { api } from './api.js';
import { setKey } from './i18n.js';

let mePromise = null;

/** The signed-in account (with roles), or null; other failures reject. The answer also sets the CSRF token. */
export function loadMe() {
  if (!mePromise) {
    mePromise = api.get('/me')
      .then((data) => {
        if (!data || !data.account) return null;
        setUnread(Number(data.unread_notifications) || 0);
        return data.account;
      })
      .catch((err) => {
        if (err.status === 401) return null;
        mePromise = null; // try again next time
        throw err;
      });
  }
  return mePromise;
}

let unreadCount = 0;

/** Shows n unread notices in the menu ("Thông báo 3"; nothing when 0). */
export function setUnread(n) {
  unreadCount = n;
  for (const badge of document.querySelectorAll('[data-nav-count="unread"]')) {
    badge.textContent = n > 0 ? String(n) : '';
    badge.hidden = n === 0;
  }
  for (const label of document.querySelectorAll('[data-nav-count-label="unread"]')) {
    if (n > 0) setKey(label, 'nav.unread', { n });
    else setKey(label, null);
  }
}

/** The ward ids where account holds role. */
export function wardsWithRole(account, role) {
  if (!account || !Array.isArray(account.roles)) return [];
  return account.roles.filter((r) => r.role === role && r.ward_id !== null).map((r) => r.ward_id);
}

/** True when account holds role (in ward, when given). */
export function hasRole(account, role, ward) {
  const wards = wardsWithRole(account, role);
  return ward === undefined ? wards.length > 0 : wards.includes(Number(ward));
}

/** The account's residential group in ward (from its resident role), or null. */
export function residentGroup(account, ward) {
  if (!account || !Array.isArray(account.roles)) return null;
  const r = account.roles.find((g) => g.role === 'resident' && g.ward_id === Number(ward));
  return r && r.group_id ? r.group_id : null;
}

function shows(what, account) {
  switch (what) {
    case 'guest': return !account;
    case 'signed-in': return !!account;
    case 'volunteer': return hasRole(account, 'volunteer');
    case 'leader': return hasRole(account, 'leader');
    case 'panelist': return hasRole(account, 'panelist');
    case 'admin': return !!account && Array.isArray(account.roles) && account.roles.some((r) => r.role === 'admin');
    default: return true;
  }
}

/** Shows and hides the [data-show] elements for account (null: nobody signed in). */
export function applyNav(account) {
  for (const el of document.querySelectorAll('[data-show]')) {
    el.hidden = !shows(el.getAttribute('data-show'), account);
  }
  setUnread(account ? unreadCount : 0);
  document.documentElement.classList.add('nav-ready');
}

/** Asks who is signed in and fixes the navigation; resolves to the account or null. */
export async function initNav() {
  let account = null;
  try {
    account = await loadMe();
  } catch {
    account = null; // the server could not say: keep the guest's view
  }
  applyNav(account);
  return account;
}

document.addEventListener('sk:signedout', () => {
  mePromise = Promise.resolve(null);
  if (document.documentElement.classList.contains('nav-ready')) applyNav(null);
});

/** This page as a ?next= value ("propose.html?campaign=3"; /results/7 as "results.html?id=7"). */
function herePage() {
  const results = /^\/results\/(\d+)$/.exec(window.location.pathname);
  if (results) return `results.html?id=${results[1]}`;
  const here = window.location.pathname.replace(/^.*\//, '') + window.location.search;
  return here || 'index.html';
}

/** The login page's address, coming back to this page afterwards. */
export function loginHref() {
  return `/login.html?next=${encodeURIComponent(herePage())}`;
}

/** Sends the browser to the login page, coming back to this page afterwards. */
export function goToLogin() {
  window.location.replace(loginHref());
}

/**
 * The page named by this page's ?next= when it is a page of this site
 * ("propose.html?campaign=3"), else null. Nothing else is followed, so a link
 * cannot send a person elsewhere after logging in or registering.
 */
export function nextParam() {
  const next = new URLSearchParams(window.location.search).get('next') || '';
  return /^[a-z][\w-]*\.html(?:\?[\w=&%.-]*)?$/i.test(next) ? next : null;
}
