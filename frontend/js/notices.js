// "Thông báo": my notices (GET /api/v1/me/notifications, newest first, in the page's
// language), unread ones marked, each with a "mark read" button and a link to what it is
// about; "mark all read" (POST /api/v1/me/notifications/read); older ones page by page.
// The unread count in the menu follows (session.js setUnread).
import { getLang, onLangChange, setKey } from './i18n.js';
import { api } from './api.js';
import { el } from './dom.js';
import { formatDateTime } from './format.js';
import { runPage, showAlert, startPage } from './ui.js';
import { goToLogin, setUnread } from './session.js';

const PAGE = 20;
const alertEl = document.getElementById('notices-alert');
const statusEl = document.getElementById('notices-status');
const list = document.getElementById('notices-list');
const empty = document.getElementById('notices-empty');
const more = document.getElementById('notices-more');
const readAll = document.getElementById('notices-read-all');
const summary = document.getElementById('notices-summary');

let oldest = 0; // the smallest id shown: the next page is older
let unread = 0;

function showUnread(n) {
  unread = n;
  setUnread(n);
  summary.hidden = false;
  setKey(summary, n > 0 ? 'notices.unreadCount' : 'notices.allRead', { n });
  readAll.hidden = n === 0;
}

/** Only a path of this site is followed. */
function safeLink(link) {
  return typeof link === 'string' && /^\/[a-z][\w-]*\.html(\?[\w=&%.-]*)?$/i.test(link) ? link : null;
}

function markedRead(li, item) {
  li.classList.remove('notice--unread');
  const badge = li.querySelector('.notice__unread');
  if (badge) badge.remove();
  const button = li.querySelector('.notice__read');
  if (button) button.remove();
  item.read_at = item.read_at || new Date().toISOString();
}

function noticeItem(item) {
  const isUnread = !item.read_at;
  const li = el('li', { class: `card notice${isUnread ? ' notice--unread' : ''}`, 'data-notice': item.id });
  const title = el('h2', { class: 'notice__title' });
  title.textContent = item.title;
  const badges = el('p', { class: 'badges' });
  if (isUnread) {
    const badge = el('span', { class: 'badge notice__unread' });
    setKey(badge, 'notices.unread');
    badges.append(badge);
  }
  const time = el('time', { datetime: item.created_at });
  time.textContent = formatDateTime(item.created_at);
  badges.append(time);
  const body = el('p', { class: 'notice__body' });
  body.textContent = item.body;
  li.append(title, badges, body);
  const actions = el('p', { class: 'notice__actions' });
  const link = safeLink(item.link);
  if (link) {
    const a = el('a', { href: link });
    setKey(a, 'notices.open');
    actions.append(a, ' ');
  }
  if (isUnread) {
    const button = el('button', { type: 'button', class: 'button button--secondary button--small notice__read' });
    setKey(button, 'notices.markRead');
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const r = await api.post('/me/notifications/read', { ids: [item.id] });
        markedRead(li, item);
        showUnread(r.unread);
        title.setAttribute('tabindex', '-1');
        title.focus();
      } catch (err) {
        button.disabled = false;
        showAlert(alertEl, err);
      }
    });
    actions.append(button);
  }
  if (actions.childNodes.length) li.append(actions);
  return li;
}

async function loadPage() {
  const q = new URLSearchParams({ limit: String(PAGE), lang: getLang() });
  if (oldest) q.set('before', String(oldest));
  const r = await api.get(`/me/notifications?${q}`);
  for (const item of r.items) {
    list.append(noticeItem(item));
    oldest = item.id;
  }
  showUnread(r.unread);
  empty.hidden = list.children.length > 0;
  more.hidden = r.items.length < PAGE;
}

readAll.addEventListener('click', async () => {
  readAll.disabled = true;
  try {
    const r = await api.post('/me/notifications/read', { all: true });
    for (const li of list.querySelectorAll('.notice--unread')) markedRead(li, {});
    showUnread(r.unread);
    summary.setAttribute('tabindex', '-1');
    summary.focus();
  } catch (err) {
    showAlert(alertEl, err);
  } finally {
    readAll.disabled = false;
  }
});

more.addEventListener('click', async () => {
  more.disabled = true;
  try {
    await loadPage();
  } catch (err) {
    showAlert(alertEl, err);
  } finally {
    more.disabled = false;
  }
});

// Titles and bodies come from the server in one language: a switch reloads them.
onLangChange(() => {
  list.textContent = '';
  oldest = 0;
  loadPage().catch((err) => showAlert(alertEl, err));
});

runPage(async () => {
  const account = await startPage();
  if (!account) {
    goToLogin();
    return;
  }
  await loadPage();
  setKey(statusEl, null);
});
