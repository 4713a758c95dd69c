// Home page: only the shared chrome (translations, language switch) for now.
import { initI18n } from './i18n.js';

initI18n();
