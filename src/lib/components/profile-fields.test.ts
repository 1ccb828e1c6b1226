import { describe, expect, it } from 'vitest';
import { createInstance } from 'i18next';
import { en } from '../i18n/locales/en';
import { fr } from '../i18n/locales/fr';
import { addInstrument, avatarMessage, formatMegabytes, PROFILE_LIMITS } from './profile-fields';

/** The translate function the app hands components, for one language. */
function translator(lng: 'en' | 'fr') {
  const i18n = createInstance();
  void i18n.init({
    resources: { en: { translation: en }, fr: { translation: fr } },
    lng,
    initAsync: false,
    interpolation: { escapeValue: false },
  });
  return i18n.getFixedT(lng);
}

describe('formatMegabytes', () => {
  it('writes sizes as a person reads them', () => {
    expect(formatMegabytes(2 * 1024 * 1024)).toBe('2 MB');
    expect(formatMegabytes(5.2 * 1024 * 1024)).toBe('5.2 MB');
    expect(formatMegabytes(12.4 * 1024 * 1024)).toBe('12 MB');
  });
});

describe('avatarMessage', () => {
  it('names the size of a file over the limit and the limit', () => {
    const file = new File([new Uint8Array(Math.round(5.2 * 1024 * 1024))], 'big.png', { type: 'image/png' });
    expect(avatarMessage('validation_file_size_limit', file)).toBe('That file is 5.2 MB; the limit is 2 MB.');
  });

  it('lists the accepted types for a file that is not one', () => {
    expect(avatarMessage('validation_invalid_mime_type', null)).toBe('Only JPEG, PNG, WebP or GIF.');
  });
});

describe('addInstrument', () => {
  it('adds a trimmed name, ignores blanks and duplicates in any case', () => {
    expect(addInstrument(['Bass'], '  drums ').list).toEqual(['Bass', 'drums']);
    expect(addInstrument(['Bass'], '   ').list).toEqual(['Bass']);
    expect(addInstrument(['Bass'], 'bass').list).toEqual(['Bass']);
  });

  it('refuses a name over the length limit and a list at the count limit, saying why', () => {
    const long = addInstrument([], 'x'.repeat(PROFILE_LIMITS.instrumentLength + 1));
    expect(long.list).toEqual([]);
    expect(long.problem).toMatch(/characters/);
    const full = Array.from({ length: PROFILE_LIMITS.instruments }, (_, i) => `i${i}`);
    const refused = addInstrument(full, 'one more');
    expect(refused.list).toHaveLength(PROFILE_LIMITS.instruments);
    expect(refused.problem).toBe('List at most 20 instruments.');
  });
});

describe('avatarMessage in the reader’s language', () => {
  it('says sizes with the language’s unit and decimal mark', () => {
    const file = { size: 5.2 * 1024 * 1024 } as File;
    expect(avatarMessage('validation_file_size_limit', file, translator('fr'))).toBe(
      'Ce fichier fait 5,2 Mo ; la limite est de 2 Mo.',
    );
    expect(avatarMessage('validation_file_size_limit', file, translator('en'))).toBe(
      'That file is 5.2 MB; the limit is 2 MB.',
    );
    expect(addInstrument([], 'x'.repeat(41), translator('fr')).problem).toBe(
      'Chaque instrument doit tenir en 40 caractères au plus.',
    );
  });
});
