/**
 * The studio fields the directory shows: genre (a fixed list, so one filter finds a genre) and
 * the instruments the studio plays or is looking for. Keep STUDIO_GENRES equal to GENRES in
 * pocketbase/pb_migrations/1795345100_studios_directory_fields.js (a unit test compares them).
 */
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

const GENRE_LABELS: Record<StudiosGenreOptions, string> = {
  rock: 'Rock',
  pop: 'Pop',
  jazz: 'Jazz',
  blues: 'Blues',
  folk: 'Folk',
  classical: 'Classical',
  electronic: 'Electronic',
  'hip-hop': 'Hip-hop',
  metal: 'Metal',
  'funk-soul': 'Funk & soul',
  country: 'Country',
  latin: 'Latin',
  world: 'World',
  experimental: 'Experimental',
  other: 'Other',
};

export function genreLabel(genre: string): string {
  return GENRE_LABELS[genre as StudiosGenreOptions] ?? '';
}

/** pb_hooks/lib/studio-fields.js checks the same limits on the server. */
export const MAX_STUDIO_INSTRUMENTS = 12;
export const MAX_STUDIO_INSTRUMENT_LENGTH = 40;

/**
 * Parses the settings page's comma-separated instruments: trimmed, empty entries dropped. Returns
 * the list, or a sentence saying what is wrong (the same limits the server enforces).
 */
export function parseStudioInstruments(text: string): { instruments: string[] } | { problem: string } {
  const instruments = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (instruments.length > MAX_STUDIO_INSTRUMENTS) {
    return { problem: `List at most ${MAX_STUDIO_INSTRUMENTS} instruments.` };
  }
  const seen = new Set<string>();
  for (const item of instruments) {
    if (item.length > MAX_STUDIO_INSTRUMENT_LENGTH) {
      return {
        problem: `Each instrument must be a name of 1 to ${MAX_STUDIO_INSTRUMENT_LENGTH} characters.`,
      };
    }
    const key = item.toLowerCase();
    if (seen.has(key)) return { problem: `"${item}" is listed twice.` };
    seen.add(key);
  }
  return { instruments };
}
