import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { testTranslator } from '../i18n/test-translator';
import { genreLabel, instrumentsWords, parseStudioInstruments, STUDIO_GENRES } from './studio-fields';

describe('studio directory fields', () => {
  it('offers exactly the genres the migration allows', () => {
    const migration = readFileSync('pocketbase/pb_migrations/1795345100_studios_directory_fields.js', 'utf8');
    const list = /const GENRES = \[([^\]]*)\]/.exec(migration)?.[1] ?? '';
    const values = [...list.matchAll(/'([^']+)'/g)].map((m) => m[1]);
    expect(values).toEqual([...STUDIO_GENRES]);
    const { t } = testTranslator('en');
    for (const genre of STUDIO_GENRES) expect(genreLabel(genre, t)).not.toBe('');
    expect(genreLabel('polka', t)).toBe('');
    expect(genreLabel('funk-soul', t)).toBe('Funk & soul');
    expect(genreLabel('classical', testTranslator('fr').t)).toBe('Classique');
  });

  it('parses comma-separated instruments and explains what it refuses', () => {
    expect(parseStudioInstruments(' drums, ,bass ')).toEqual({ instruments: ['drums', 'bass'] });
    expect(parseStudioInstruments('')).toEqual({ instruments: [] });
    expect(parseStudioInstruments('Bass, bass')).toEqual({ problem: '"bass" is listed twice.' });
    expect(parseStudioInstruments('x'.repeat(41))).toHaveProperty('problem');
    expect(parseStudioInstruments(Array.from({ length: 13 }, (_, i) => `i${i}`).join(','))).toEqual({
      problem: 'List at most 12 instruments.',
    });
    // The same refusal for a French reader, worded by the catalogue.
    expect(parseStudioInstruments('Basse, basse', instrumentsWords(testTranslator('fr').t))).toEqual({
      problem: '« basse » figure deux fois.',
    });
  });
});
