// The share block of the public pages (call, results, model, catalogue): one button that opens
// the phone's share sheet (Web Share API, which lists Zalo, Messenger… when installed), or on
// computers copies the link with a message (and shows it to copy by hand if copying fails), and a
// plain link to Zalo's web share.
//
// The link shared is always the one whose HTML carries the server's preview tags (Open Graph):
// the public base of <link rel="canonical"> (--public-url) + this page's path and query, with
// /results.html?id=N turned into /results/N (the form the server fills in).
import { t } from './i18n.js';

/** The address to share, absolute under the public base when the server gave one. */
export function shareUrl(loc = window.location, doc = document) {
  const canonical = doc.querySelector('link[rel="canonical"]');
  let origin = loc.origin;
  if (canonical && canonical.href) {
    try { origin = new URL(canonical.href).origin; } catch { /* keep this origin */ }
  }
  const params = new URLSearchParams(loc.search);
  const id = params.get('id');
  if (loc.pathname === '/results.html' && id && /^[1-9]\d{0,17}$/.test(id)) return `${origin}/results/${id}`;
  if (/^\/results\/[1-9]\d{0,17}\/?$/.test(loc.pathname)) return `${origin}${loc.pathname.replace(/\/$/, '')}`;
  if (id && /^[1-9]\d{0,17}$/.test(id)) return `${origin}${loc.pathname}?id=${id}`;
  return `${origin}${loc.pathname}`;
}

/**
 * Zalo's web share address for url. Zalo's documented share button needs its SDK script from
 * sp.zalo.me and an Official Account id (blocked by our CSP, and it would tell Zalo of every visit);
 * this is the plain address that script opens, used as an ordinary link.
 */
export function zaloUrl(url) {
  return `https://sp.zalo.me/share_inline?url=${encodeURIComponent(url)}`;
}

function say(block, key, vars) {
  const status = block.querySelector('[data-share-status]');
  if (status) {
    status.textContent = t(key, vars);
    status.dataset.key = key;
  }
}

function showLink(block, url) {
  const box = block.querySelector('[data-share-fallback]');
  const input = block.querySelector('[data-share-input]');
  if (!box || !input) return;
  input.value = url;
  box.hidden = false;
  input.focus();
  input.select();
}

async function copy(block, url) {
  try {
    if (!navigator.clipboard || !window.isSecureContext) throw new Error('no clipboard');
    await navigator.clipboard.writeText(url);
    say(block, 'share.copied');
  } catch {
    say(block, 'share.copyFailed');
  }
  showLink(block, url);
}

/** Whether to use the phone's share sheet: the API exists and the main pointer is a finger. */
function useShareSheet(url) {
  if (typeof navigator.share !== 'function') return false;
  if (!window.matchMedia || !window.matchMedia('(pointer: coarse)').matches) return false;
  return typeof navigator.canShare !== 'function' || navigator.canShare({ url });
}

async function onShare(block) {
  const url = shareUrl();
  if (useShareSheet(url)) {
    try {
      await navigator.share({ title: document.title, url });
      say(block, 'share.shared');
      return;
    } catch (e) {
      if (e && e.name === 'AbortError') return; // the person closed the sheet
    }
  }
  await copy(block, url);
}

export function initShare(root = document) {
  for (const block of root.querySelectorAll('[data-share]')) {
    const url = shareUrl();
    const zalo = block.querySelector('[data-share-zalo]');
    if (zalo) zalo.href = zaloUrl(url);
    const button = block.querySelector('[data-share-button]');
    if (button && !button.dataset.bound) {
      button.dataset.bound = '1';
      button.addEventListener('click', () => { onShare(block); });
    }
    block.hidden = false;
  }
}

initShare();
