// Home page: the shared chrome (translations, language switch) and the
// choices that fit the person signed in (from GET /api/v1/me).
import { initI18n } from './i18n.js';
import { initNav } from './session.js';

initI18n().then(initNav);
