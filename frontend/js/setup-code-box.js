// A password set-up code as the person making it shows it: large, once, with its expiry and
// the sentence to read aloud (or to copy onto paper). Shared by the administration and the
// leader's residents pages (the volunteer's assist page has its own, in its flow).
import { el } from './dom.js';
import { formatDateTime } from './format.js';

/** Fills box with setupCode ({ code, expires_at }) made for name, shows it and brings it into view. */
export function showSetupCode(box, setupCode, name) {
  box.replaceChildren(
    el('p', { class: 'done__label', i18n: 'assist.setupCodeLabel' }),
    el('p', { class: 'tracking-code setup-code__value', text: setupCode.code }),
    el('p', { i18n: 'assist.setupCodeExpiry', vars: { when: formatDateTime(setupCode.expires_at) } }),
    el('p', { class: 'done__hint', i18n: 'admin.codeRead', vars: { name } }),
  );
  box.hidden = false;
  box.scrollIntoView({ block: 'center' });
}
