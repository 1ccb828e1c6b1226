/** Formatting shared by the mixer components: pure, so it is unit-tested without a DOM. */

/** "−6.0 dB", "+3.5 dB", "0.0 dB" ("−6,0 dB" in French); the floor reads as "−∞ dB" (silence). */
export function formatDb(db: number, floor = -60, locale = 'en'): string {
  if (db <= floor) return '−∞ dB';
  const digits = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const abs = digits.format(Math.abs(db));
  return db > 0.04 ? `+${abs} dB` : db < -0.04 ? `−${abs} dB` : `${digits.format(0)} dB`;
}

export type PanSide = 'centre' | 'left' | 'right';
/** Words a pan position in the reader's language; the default is the English one. */
export type PanWords = (side: PanSide, pct: number) => string;

const ENGLISH_PAN: PanWords = (side, pct) =>
  side === 'centre' ? 'Centre' : `${side === 'left' ? 'Left' : 'Right'} ${pct}%`;

/** "Centre", "Left 40%", "Right 100%". */
export function formatPan(pan: number, words: PanWords = ENGLISH_PAN): string {
  const pct = Math.round(Math.abs(pan) * 100);
  return words(pct === 0 ? 'centre' : pan < 0 ? 'left' : 'right', pct);
}

export type LatencyLevel = 'good' | 'fair' | 'poor' | 'unknown';

/** Green up to 25 ms one way (players do not feel it), amber up to 45, red above. */
export function latencyLevel(ms: number | null): LatencyLevel {
  if (ms === null || !Number.isFinite(ms)) return 'unknown';
  return ms <= 25 ? 'good' : ms <= 45 ? 'fair' : 'poor';
}

export const METER_FLOOR_DBFS = -60;

/** A level as a 0..1 bar length: linear amplitude (0..1) or dBFS (floor..0) drawn on a dB scale. */
export function levelFraction(value: number, scale: 'linear' | 'dbfs'): number {
  if (!Number.isFinite(value)) return 0;
  const dbfs = scale === 'dbfs' ? value : value > 0 ? 20 * Math.log10(value) : METER_FLOOR_DBFS;
  return Math.min(1, Math.max(0, (dbfs - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS));
}
