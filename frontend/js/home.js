// Home page: the shared layout (header, menu, language switch) and the
// choices that fit the person signed in (from GET /api/v1/me).
import { initLayout } from './layout.js';
import { initNav } from './session.js';

initLayout().then(initNav);
