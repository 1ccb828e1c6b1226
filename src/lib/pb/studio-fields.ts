/**
 * The studio fields the directory shows: genre (a fixed list, so one filter finds a genre) and
 * the instruments the studio plays or is looking for. Keep STUDIO_GENRES equal to GENRES in
 * pocketbase/pb_migrations/1795345100_studios_directory_fields.js (a unit test compares them).
 */
import type { TFunction } from 'i18next';
import type { StudiosGenreOptions } from './types';

export const STUDIO_GENRES = [
  'rock',
  'pop',
  'jazz',
  'blues',
  'folk',
  'classical',
  'electronic',
  'hip-hop',
  'metal',
  'funk-soul',
  'country',
  'latin',
  'world',
  'experimental',
  'other',
] as const satisfies readonly StudiosGenreOptions[];

/** A genre's label in the reader's language (the catalogues' `genres`); '' for an unknown one. */
export function genreLabel(genre: string, t: TFunction): string {
  const known = STUDIO_GENRES.find((g) => g === genre);
  return known ? t(`genres.${known}`) : '';
}

/** pb_hooks/lib/studio-fields.js checks the same limits on the server. */
export const MAX_STUDIO_INSTRUMENTS = 12;
export const MAX_STUDIO_INSTRUMENT_LENGTH = 40;

/** The sentences of parseStudioInstruments' refusals, in the reader's language. */
export interface InstrumentsWords {
  tooMany: (max: number) => string;
  tooLong: (max: number) => string;
  twice: (item: string) => string;
}
const ENGLISH_WORDS: InstrumentsWords = {
  tooMany: (max) => `List at most ${max} instruments.`,
  tooLong: (max) => `Each instrument must be a name of 1 to ${max} characters.`,
  twice: (item) => `"${item}" is listed twice.`,
};

/** Those sentences from the catalogues. */
export function instrumentsWords(t: TFunction): InstrumentsWords {
  return {
    tooMany: (max) => t('studioFields.tooMany', { max }),
    tooLong: (max) => t('studioFields.tooLong', { max }),
    twice: (item) => t('studioFields.twice', { item }),
  };
}

/**
 * Parses the settings page's comma-separated instruments: trimmed, empty entries dropped. Returns
 * the list, or a sentence saying what is wrong (the same limits the server enforces).
 */
export function parseStudioInstruments(
  text: string,
  words: InstrumentsWords = ENGLISH_WORDS,
): { instruments: string[] } | { problem: string } {
  const instruments = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (instruments.length > MAX_STUDIO_INSTRUMENTS) {
    return { problem: words.tooMany(MAX_STUDIO_INSTRUMENTS) };
  }
  const seen = new Set<string>();
  for (const item of instruments) {
    if (item.length > MAX_STUDIO_INSTRUMENT_LENGTH) {
      return { problem: words.tooLong(MAX_STUDIO_INSTRUMENT_LENGTH) };
    }
    const key = item.toLowerCase();
    if (seen.has(key)) return { problem: words.twice(item) };
    seen.add(key);
  }
  return { instruments };
}
