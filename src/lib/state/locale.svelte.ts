/**
 * The app's language, English or French. The choice lives in the account's `preferences.language`
 * (the server sends mails in it) and in this browser's localStorage, so the inline script in
 * src/app.html can set `<html lang>` before any module loads; without a choice, the browser's own
 * language decides. That script and `initialLocale` must agree.
 */
import { createInstance, type i18n } from 'i18next';
import type PocketBase from 'pocketbase';
import { en } from '../i18n/locales/en';
import type { Translator } from '../i18n/context';
import type { FormError } from '../i18n/form-error';
import { fr } from '../i18n/locales/fr';

export const LOCALES = ['en', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];

/** The localStorage key the inline script in src/app.html reads as well. */
export const LOCALE_STORAGE_KEY = 'bandmesh-language';

export function parseLocale(value: unknown): Locale | null {
  return LOCALES.includes(value as Locale) ? (value as Locale) : null;
}

/** The first of the browser's languages the app speaks ("fr-CA" counts as French), else English. */
export function browserLocale(languages: readonly string[]): Locale {
  for (const language of languages) {
    const known = parseLocale(language.toLowerCase().split('-')[0]);
    if (known) return known;
  }
  return 'en';
}

/** The language an account record carries in `preferences.language`, or null. */
export function accountLocale(record: unknown): Locale | null {
  const preferences = (record as { preferences?: unknown } | null)?.preferences;
  if (!preferences || typeof preferences !== 'object') return null;
  return parseLocale((preferences as { language?: unknown }).language);
}

export interface LocaleStateOptions {
  pb: PocketBase;
  storage: Pick<Storage, 'getItem' | 'setItem'>;
  /** `navigator.languages`. */
  languages: readonly string[];
  /** Where `lang` is set: `document.documentElement`. */
  root: { lang: string };
}

export function initialLocale(options: Omit<LocaleStateOptions, 'root'>): Locale {
  return (
    accountLocale(options.pb.authStore.record) ??
    parseLocale(options.storage.getItem(LOCALE_STORAGE_KEY)) ??
    browserLocale(options.languages)
  );
}

export class LocaleState implements Translator {
  readonly #options: LocaleStateOptions;
  readonly #i18n: i18n;
  #locale = $state<Locale>('en');
  readonly #stopAuth: () => void;
  /** The translate function for the current language; reading it makes a template follow a switch. */
  readonly t = $derived.by(() => this.#i18n.getFixedT(this.#locale));

  constructor(options: LocaleStateOptions) {
    this.#options = options;
    this.#locale = initialLocale(options);
    this.#i18n = createInstance();
    // Catalogues are bundled, so initialisation is synchronous. Svelte escapes text itself.
    void this.#i18n.init({
      resources: { en: { translation: en }, fr: { translation: fr } },
      lng: this.#locale,
      fallbackLng: 'en',
      initAsync: false,
      interpolation: { escapeValue: false },
    });
    this.#apply();
    // Signing in on another device brings the account's choice with it.
    this.#stopAuth = options.pb.authStore.onChange((_token, record) => {
      const fromAccount = accountLocale(record);
      if (fromAccount && fromAccount !== this.#locale) this.#set(fromAccount);
    });
  }

  get locale(): Locale {
    return this.#locale;
  }

  /** Applies the choice at once, remembers it in this browser, and saves it to the account if signed in. */
  async choose(locale: Locale): Promise<{ ok: boolean }> {
    this.#set(locale);
    const { pb } = this.#options;
    const record = pb.authStore.isValid ? pb.authStore.record : null;
    if (!record) return { ok: true };
    const current = (record as { preferences?: unknown }).preferences;
    const preferences = current && typeof current === 'object' && !Array.isArray(current) ? current : {};
    try {
      await pb.collection('users').update(record.id, { preferences: { ...preferences, language: locale } });
      return { ok: true };
    } catch {
      return { ok: false };
    }
  }

  /** A form error in the current language: the app's own sentences translated, server text as sent. */
  error(error: FormError): FormError {
    const keys = error.keys;
    if (!keys) return error;
    const fields = { ...error.fields };
    for (const [field, key] of Object.entries(keys.fields)) fields[field] = this.t(`errors.${key}`);
    return { ...error, message: keys.message ? this.t(`errors.${keys.message}`) : error.message, fields };
  }

  dispose(): void {
    this.#stopAuth();
  }

  #set(locale: Locale): void {
    this.#locale = locale;
    this.#options.storage.setItem(LOCALE_STORAGE_KEY, locale);
    this.#apply();
  }

  #apply(): void {
    this.#options.root.lang = this.#locale;
  }
}
