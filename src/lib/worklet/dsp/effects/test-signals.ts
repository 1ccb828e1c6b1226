/** Real test signals for the effect tests: sines, and their measured level. */
export function sine(hz: number, amp: number, n: number, sr = 48000, phase = 0): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amp * Math.sin(phase + (2 * Math.PI * hz * i) / sr);
  return x;
}

/** RMS of x[from…to). */
export function rms(x: Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / (to - from));
}

export const db = (v: number) => 20 * Math.log10(v);

/** Runs `fn` over x in 128-sample quanta, in place, as the worklet does. */
export function inQuanta(x: Float32Array, fn: (q: Float32Array, n: number) => void): void {
  const q = new Float32Array(128);
  for (let s = 0; s < x.length; s += 128) {
    const n = Math.min(128, x.length - s);
    for (let i = 0; i < n; i++) q[i] = x[s + i]!;
    fn(q, n);
    for (let i = 0; i < n; i++) x[s + i] = q[i]!;
  }
}

/** Largest absolute difference between neighbouring samples in x[from…to). */
export function maxStep(x: Float32Array, from = 1, to = x.length): number {
  let m = 0;
  for (let i = Math.max(1, from); i < to; i++) m = Math.max(m, Math.abs(x[i]! - x[i - 1]!));
  return m;
}
