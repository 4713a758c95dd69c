// What the public pages show of a winner besides the decision (issue 11): its photos, only those
// the resident agreed to publish ({src_320, src_1024} from the results' "showcase", or a model's
// "photos"), and a contact (the author's name and phone with their consent, else the ward's).
// Nothing is drawn where there is no photo.
import { t } from './i18n.js';
import { el } from './dom.js';

/**
 * One photo as an <img>: the 320 px copy, the 1,024 px one for wide or dense screens, lazy, with a
 * fixed 4:3 box (width/height set: nothing moves when it arrives). The alt text only names the model.
 */
export function photoImg(photo, title, { eager = false, sizes = '(max-width: 40rem) 100vw, 40rem' } = {}) {
  return el('img', {
    class: 'showcase__img',
    src: photo.src_320,
    srcset: `${photo.src_320} 320w, ${photo.src_1024} 1024w`,
    sizes,
    width: 320,
    height: 240,
    loading: eager ? 'eager' : 'lazy',
    decoding: 'async',
    alt: t('showcase.photoAlt', { title }),
  });
}

/** The first photo of a winner on top of its card, or null when it has none. */
export function cardPhoto(photos, title) {
  if (!Array.isArray(photos) || photos.length === 0) return null;
  return el('p', { class: 'showcase__top' }, photoImg(photos[0], title));
}

/** Every photo of a model, as a list (null when none). */
export function photoList(photos, title) {
  if (!Array.isArray(photos) || photos.length === 0) return null;
  return el('ul', { class: 'showcase__list' }, photos.map((p) => el('li', {}, photoImg(p, title, {
    sizes: '(max-width: 40rem) 100vw, 40rem',
  }))));
}

/** The contact as text nodes: the author (name, phone as a tel: link) or the ward (name, details). */
export function contactNode(contact) {
  if (!contact) return null;
  if (contact.kind === 'author') {
    return el('span', {}, `${contact.name} · `,
      el('a', { href: `tel:${contact.phone}`, text: contact.phone }));
  }
  const details = contact.details ? ` · ${contact.details}` : '';
  return el('span', {}, t('showcase.wardContact', { ward: contact.name || '' }) + details);
}
