// A password set-up code as the person making it shows it: large, once, with its expiry and
// the sentence to read aloud, and a button that prints only the code box (to hand over on
// paper). Shared by the administration and the leader's residents pages (the volunteer's
// assist page has its own, in its flow).
import { el } from './dom.js';
import { formatDateTime } from './format.js';

/** Prints box alone: the page's other content is hidden from print while it is marked. */
function printBox(box) {
  document.body.classList.add('print-code');
  box.classList.add('print-code__target');
  const done = () => {
    document.body.classList.remove('print-code');
    box.classList.remove('print-code__target');
    window.removeEventListener('afterprint', done);
  };
  window.addEventListener('afterprint', done);
  window.print();
}

/** Fills box with setupCode ({ code, expires_at }) made for name, shows it and brings it into view. */
export function showSetupCode(box, setupCode, name) {
  box.replaceChildren(
    el('p', { class: 'done__label', i18n: 'assist.setupCodeLabel' }),
    el('p', { class: 'tracking-code setup-code__value', text: setupCode.code }),
    el('p', { i18n: 'assist.setupCodeExpiry', vars: { when: formatDateTime(setupCode.expires_at) } }),
    el('p', { class: 'done__hint', i18n: 'admin.codeRead', vars: { name } }),
    el('button', { type: 'button', class: 'button button--secondary print-code__button', i18n: 'admin.codePrint', on: { click: () => printBox(box) } }),
  );
  box.hidden = false;
  box.scrollIntoView({ block: 'center' });
}
