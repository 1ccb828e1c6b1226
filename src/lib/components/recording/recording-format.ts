/** Words and numbers for the recording components (kept out of the markup so they are tested alone). */
/** Takes are recorded at 48 kHz (protocol/recording.ts RECORDING_SAMPLE_RATE). */
const RATE = 48_000;

/** Size units in the reader's language ("ko", "Mo", "Go" in French). */
export interface ByteUnits {
  kB: string;
  MB: string;
  GB: string;
}
const ENGLISH_UNITS: ByteUnits = { kB: 'kB', MB: 'MB', GB: 'GB' };

/** "512 kB", "3.4 MB", "1.2 GB"; numbers in `locale`'s format ("3,4 Mo" in French). */
export function formatBytes(bytes: number, locale = 'en', units: ByteUnits = ENGLISH_UNITS): string {
  const num = (v: number, digits: number) =>
    v.toLocaleString(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  if (bytes < 1024 * 1024) return `${num(Math.max(0, Math.round(bytes / 1024)), 0)} ${units.kB}`;
  if (bytes < 1024 ** 3) return `${num(bytes / 1024 ** 2, bytes < 10 * 1024 ** 2 ? 1 : 0)} ${units.MB}`;
  return `${num(bytes / 1024 ** 3, 1)} ${units.GB}`;
}

/** Free bytes from usage and quota; null when either is unknown. */
export function freeBytes(storage: { usage: number | null; quota: number | null }): number | null {
  return storage.usage === null || storage.quota === null ? null : Math.max(0, storage.quota - storage.usage);
}

/**
 * The words of the recorders' sentence: French conjugates by who is in the list ("Ada enregistre",
 * "Ada et Bob enregistrent", "Vous et Ada enregistrez"), so the sentence form is chosen here.
 */
export interface RecordersWords {
  you: string;
  and: string;
  sentence: (list: string, form: 'one' | 'many' | 'withYou') => string;
}
const ENGLISH_RECORDERS: RecordersWords = {
  you: 'You',
  and: ' and ',
  sentence: (list, form) => `${list} ${form === 'one' ? 'is' : 'are'} recording`,
};

/** "You are recording", "Ada is recording", "Ada and Bob are recording", "You, Ada and Bob are recording". */
export function recordersSentence(
  recorders: Array<{ name: string; self: boolean }>,
  words: RecordersWords = ENGLISH_RECORDERS,
): string {
  const names = recorders.map((r) => (r.self ? words.you : r.name));
  if (names.length === 0) return '';
  const list =
    names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')}${words.and}${names.at(-1)!}`;
  const form = recorders.some((r) => r.self) ? 'withYou' : names.length > 1 ? 'many' : 'one';
  return words.sentence(list, form);
}

/** 0:07, 12:34, 1:02:03. */
export function formatDuration(frames: number, rate = RATE): string {
  const total = Math.max(0, Math.floor(frames / rate));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/** Date and time in `locale`'s format (the browser's when undefined). */
export function formatDate(iso: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleString(locale, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function formatTime(iso: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}
