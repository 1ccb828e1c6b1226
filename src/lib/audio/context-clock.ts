/**
 * The AudioContext's clock read on the epoch clock, smoothed.
 *
 * `getOutputTimestamp()` pairs a context time with the performance time at which it reaches the
 * speaker, but each reading carries the jitter of the audio callback that produced it: a render
 * quantum (2.7 ms) and more on a loaded machine. A recording places remote audio through two such
 * mappings (the sender's capture anchor and our own), and with one raw reading each the stems jumped by
 * quanta every second (zero runs and dropped samples in the take). So every reading feeds a robust
 * line fit — offset (epoch − context time) against context time — over the last readings, and frames
 * are mapped through the fit: the line absorbs the clocks' drift, the trimming absorbs late callbacks.
 * A suspended-and-resumed context moves the offset for good: several consecutive readings far from the
 * line start a new one.
 */

/** Readings kept for the fit (a minute at the engine's four a second). */
const CLOCK_WINDOW = 256;
/** Readings closer together than this (ms of context time) add nothing but weight to one moment. */
const MIN_SPACING_MS = 50;
/** The slope is fitted only over this much context time (ms); before that the offset is a constant. */
const MIN_SLOPE_SPAN_MS = 10_000;
/** Sound cards and system clocks differ by well under this (ms per ms = 500 ppm). */
const MAX_SLOPE = 5e-4;
/** Residuals beyond this (ms), and beyond 3 robust deviations, are left out of the fit. */
const MIN_TRIM_MS = 0.25;
/** This many consecutive readings this far (ms) from the line mean the clock moved: start again. */
const JUMP_READINGS = 3;
const JUMP_MS = 4;

interface Reading {
  /** Context time, ms. */
  t: number;
  /** Epoch ms the context time reaches the speaker, minus `t`. */
  offset: number;
}

interface Line {
  t0: number;
  a: number;
  b: number;
}

export class ContextClock {
  readonly #readings: Reading[] = [];
  readonly #latencies: number[] = [];
  #line: Line | null = null;
  #farInARow = 0;

  /**
   * One reading: context time `contextTimeS` (s) reaches the speaker at epoch `epochMs`, and the output
   * latency then was `outputLatencyMs`.
   */
  add(contextTimeS: number, epochMs: number, outputLatencyMs: number): void {
    if (!(contextTimeS > 0) || !Number.isFinite(epochMs)) return;
    const t = contextTimeS * 1000;
    const reading = { t, offset: epochMs - t };
    const last = this.#readings.at(-1);
    if (last && t < last.t)
      this.#restart(); // a new context time line (should not happen; be safe)
    else if (last && t - last.t < MIN_SPACING_MS) return;
    if (this.#line && Math.abs(reading.offset - evaluate(this.#line, t)) > JUMP_MS) {
      if (++this.#farInARow >= JUMP_READINGS) {
        const recent = this.#readings.slice(-(JUMP_READINGS - 1));
        this.#restart();
        this.#readings.push(...recent);
      }
    } else {
      this.#farInARow = 0;
    }
    this.#readings.push(reading);
    if (this.#readings.length > CLOCK_WINDOW) this.#readings.shift();
    if (Number.isFinite(outputLatencyMs) && outputLatencyMs >= 0) {
      this.#latencies.push(outputLatencyMs);
      if (this.#latencies.length > CLOCK_WINDOW) this.#latencies.shift();
    }
    this.#line = fit(this.#farInARow > 0 ? this.#readings.slice(0, -this.#farInARow) : this.#readings);
  }

  /** True once a reading has been taken. */
  get ready(): boolean {
    return this.#line !== null;
  }

  /**
   * Epoch ms at which context time `contextTimeS` reaches the speaker (`captured`: minus the output
   * latency, the moment a captured sample entered the graph). NaN before the first reading.
   */
  toEpochMs(contextTimeS: number, captured: boolean): number {
    const line = this.#line;
    if (!line) return Number.NaN;
    const t = contextTimeS * 1000;
    return t + evaluate(line, t) - (captured ? median(this.#latencies) : 0);
  }

  #restart(): void {
    this.#readings.length = 0;
    this.#line = null;
    this.#farInARow = 0;
  }
}

function evaluate(line: Line, t: number): number {
  return line.a + line.b * (t - line.t0);
}

/** Least squares, then again without the readings far from the first line. */
function fit(readings: readonly Reading[]): Line | null {
  if (readings.length === 0) return null;
  const first = leastSquares(readings);
  const residuals = readings.map((r) => Math.abs(r.offset - evaluate(first, r.t)));
  const limit = Math.max(MIN_TRIM_MS, 3 * 1.4826 * median(residuals));
  const kept = readings.filter((_, i) => residuals[i]! <= limit);
  return kept.length >= 2 ? leastSquares(kept) : first;
}

function leastSquares(readings: readonly Reading[]): Line {
  const n = readings.length;
  let t0 = 0;
  let mean = 0;
  for (const r of readings) {
    t0 += r.t / n;
    mean += r.offset / n;
  }
  const span = readings[n - 1]!.t - readings[0]!.t;
  if (span < MIN_SLOPE_SPAN_MS) return { t0, a: mean, b: 0 };
  let sxy = 0;
  let sxx = 0;
  for (const r of readings) {
    sxy += (r.t - t0) * (r.offset - mean);
    sxx += (r.t - t0) ** 2;
  }
  const b = sxx > 0 ? Math.max(-MAX_SLOPE, Math.min(MAX_SLOPE, sxy / sxx)) : 0;
  return { t0, a: mean, b };
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
