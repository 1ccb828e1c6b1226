/**
 * A translator for component tests rendered with `svelte/server`: the app's catalogues, no state,
 * no storage. Tests pass `translatorContext(testTranslator())` as the render's context.
 */
import { createInstance } from 'i18next';
import type { Translator } from './context';
import { en } from './locales/en';
import { fr } from './locales/fr';

export function testTranslator(locale: 'en' | 'fr' = 'en'): Translator {
  const i18n = createInstance();
  void i18n.init({
    lng: locale,
    resources: { en: { translation: en }, fr: { translation: fr } },
    initAsync: false,
    interpolation: { escapeValue: false },
  });
  return { locale, t: i18n.getFixedT(locale), error: (error) => error };
}
