// A confirmation question in a modal <dialog>: focus moves into it (to the
// safe choice, "cancel"), Escape cancels, and focus returns afterwards.
//
//   if (await confirmDialog({ title: 'my.withdrawTitle', body: 'my.withdrawBody',
//                             confirm: 'my.withdrawConfirm', vars: { title } })) …

import { el } from './dom.js';

let counter = 0;

export function confirmDialog({ title, body, confirm, cancel = 'common.cancel', vars, danger = false }) {
  const n = ++counter;
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const cancelButton = el('button', { type: 'button', class: 'button button--secondary', i18n: cancel, value: 'cancel' });
    const confirmButton = el('button', {
      type: 'button', class: danger ? 'button button--danger' : 'button', i18n: confirm, value: 'confirm',
    });
    const dialog = el('dialog', {
      class: 'dialog', 'aria-labelledby': `dialog-${n}-title`, 'aria-describedby': `dialog-${n}-body`,
    },
    el('h2', { id: `dialog-${n}-title`, class: 'dialog__title', i18n: title, vars }),
    el('p', { id: `dialog-${n}-body`, i18n: body, vars }),
    el('div', { class: 'dialog__actions' }, confirmButton, cancelButton));
    cancelButton.addEventListener('click', () => dialog.close('cancel'));
    confirmButton.addEventListener('click', () => dialog.close('confirm'));
    dialog.addEventListener('close', () => {
      const yes = dialog.returnValue === 'confirm';
      dialog.remove();
      if (opener && typeof opener.focus === 'function' && document.contains(opener)) opener.focus();
      resolve(yes);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancelButton.focus();
  });
}
