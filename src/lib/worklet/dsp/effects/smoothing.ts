/**
 * Small numeric helpers the effects share: time constants to one-pole coefficients, dB conversion and
 * flushing tiny state to zero (decaying feedback would otherwise crawl through subnormal numbers).
 */

/** Per-sample coefficient of a one-pole smoother reaching 1 − 1/e of a step in `ms`. */
export function timeCoeff(ms: number, sampleRate: number): number {
  return ms <= 0 ? 0 : Math.exp(-1000 / (ms * sampleRate));
}

export function dbToLinear(db: number): number {
  return Math.pow(10, db / 20);
}

/** State below this magnitude is set to 0 (−400 dB: inaudible, far above the subnormal range). */
export const FLUSH = 1e-20;

export function flush(x: number): number {
  return x > FLUSH || x < -FLUSH ? x : 0;
}
