import PocketBase, { BaseAuthStore } from 'pocketbase';
import { ClientResponseError } from 'pocketbase';
import { describe, expect, it } from 'vitest';
import { describeError } from '../pb/errors';
import { accountLocale, browserLocale, LOCALE_STORAGE_KEY, LocaleState } from './locale.svelte';

function browser(stored: string | null = null, languages: string[] = ['en-GB']) {
  const items = new Map<string, string>(stored === null ? [] : [[LOCALE_STORAGE_KEY, stored]]);
  return {
    storage: {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => items.set(k, v),
    },
    items,
    languages,
    root: { lang: '' },
  };
}

/** A token the SDK takes as valid (unexpired); the server behind it is unreachable. */
function unexpiredToken(): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part({ exp: Math.floor(Date.now() / 1000) + 3600 })}.sig`;
}

function offlinePb(): PocketBase {
  return new PocketBase('http://127.0.0.1:9', new BaseAuthStore());
}

describe('browserLocale', () => {
  it('takes the first language the app speaks, by its base, else English', () => {
    expect(browserLocale(['de-DE', 'fr-CA', 'en'])).toBe('fr');
    expect(browserLocale(['FR'])).toBe('fr');
    expect(browserLocale(['en-US', 'fr'])).toBe('en');
    expect(browserLocale(['de', 'ja'])).toBe('en');
    expect(browserLocale([])).toBe('en');
  });
});

describe('accountLocale', () => {
  it('reads only a known value from preferences', () => {
    expect(accountLocale({ preferences: { language: 'fr' } })).toBe('fr');
    expect(accountLocale({ preferences: { language: 'fr"><script>' } })).toBeNull();
    expect(accountLocale({ preferences: { language: ['fr'] } })).toBeNull();
    expect(accountLocale({ preferences: null })).toBeNull();
    expect(accountLocale(null)).toBeNull();
  });
});

describe('LocaleState', () => {
  it('starts from the account, else this browser, else the browser languages, and sets <html lang>', () => {
    const fromBrowser = browser(null, ['fr-FR']);
    const state = new LocaleState({ pb: offlinePb(), ...fromBrowser });
    expect(state.locale).toBe('fr');
    expect(fromBrowser.root.lang).toBe('fr');
    expect(state.t('layout.settings')).toBe('Réglages');

    const stored = browser('en', ['fr-FR']);
    expect(new LocaleState({ pb: offlinePb(), ...stored }).locale).toBe('en');

    const pb = offlinePb();
    pb.authStore.save('token', {
      id: 'u1',
      collectionId: 'users',
      collectionName: 'users',
      preferences: { language: 'fr' },
    });
    expect(new LocaleState({ pb, ...browser('en') }).locale).toBe('fr');
  });

  it('switches at once, remembers the choice, and interpolates', async () => {
    const b = browser(null, ['en']);
    const state = new LocaleState({ pb: offlinePb(), ...b });
    expect(state.t('home.hi', { name: 'Ada' })).toBe('Hi Ada');
    expect(await state.choose('fr')).toEqual({ ok: true });
    expect(state.t('home.hi', { name: 'Ada' })).toBe('Bonjour Ada');
    expect(b.items.get(LOCALE_STORAGE_KEY)).toBe('fr');
    expect(b.root.lang).toBe('fr');
    state.dispose();
  });

  it('says when the account could not be saved, and keeps the choice in this browser', async () => {
    const pb = offlinePb();
    pb.authStore.save(unexpiredToken(), {
      id: 'u1',
      collectionId: 'users',
      collectionName: 'users',
      preferences: {},
    });
    const b = browser('en');
    const state = new LocaleState({ pb, ...b });
    expect(await state.choose('fr')).toEqual({ ok: false });
    expect(state.locale).toBe('fr');
    expect(b.items.get(LOCALE_STORAGE_KEY)).toBe('fr');
  });

  it('words the app’s own error sentences in French and leaves server text as sent', () => {
    const state = new LocaleState({ pb: offlinePb(), ...browser('fr') });
    const taken = describeError(
      new ClientResponseError({
        status: 400,
        response: { message: 'Failed.', data: { email: { code: 'validation_not_unique', message: 'x' } } },
      }),
    );
    expect(taken.fields.email).toMatch(/already exists/);
    const french = state.error(taken);
    expect(french.message).toBe('Veuillez corriger les champs signalés.');
    expect(french.fields.email).toMatch(/existe déjà/);
    const expired = describeError(
      new ClientResponseError({ status: 410, response: { code: 'invitation-expired', message: 'Expired.' } }),
    );
    expect(state.error(expired).message).toMatch(/a expiré/);
    const other = describeError(
      new ClientResponseError({ status: 403, response: { code: 'something-new', message: 'As sent.' } }),
    );
    expect(state.error(other).message).toBe('As sent.');
  });
});
