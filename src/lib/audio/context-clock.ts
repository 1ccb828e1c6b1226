/**
 * The AudioContext's clock read on the epoch clock, smoothed.
 *
 * `getOutputTimestamp()` pairs a context time with the performance time at which it reaches the
 * speaker, but each reading carries the jitter of the audio callback that produced it: a render
 * quantum (2.7 ms) and more on a loaded machine. A recording places remote audio through two such
 * mappings (the sender's capture anchor and our own), so single readings made stems wobble by quanta.
 * Here the offset (epoch − context time) is the median of the last readings. On a loaded machine the
 * context also loses time in steps (its device stalls: the offset jumps by milliseconds for good), and
 * a line fitted across steps reads them as a drift, so there is no slope: several consecutive readings
 * far from the median, the same way, start a new level. A sound card's drift against the system clock
 * (under 100 ppm) lags the median by well under a millisecond.
 */

/** Readings the median is taken over (10 s at the engine's four a second). */
const CLOCK_WINDOW = 40;
/** Readings closer together than this (ms of context time) add nothing but weight to one moment. */
const MIN_SPACING_MS = 50;
/** This many consecutive readings this far (ms) from the median, the same way, are a new level. */
const JUMP_READINGS = 3;
const JUMP_MS = 4;

export class ContextClock {
  /** Offsets (epoch − context time, ms) of the last readings, oldest first. */
  readonly #offsets: number[] = [];
  readonly #latencies: number[] = [];
  #lastT: number | null = null;
  #level: number | null = null;
  #far = 0;
  #farSign = 0;

  /**
   * One reading: context time `contextTimeS` (s) reaches the speaker at epoch `epochMs`, and the output
   * latency then was `outputLatencyMs`.
   */
  add(contextTimeS: number, epochMs: number, outputLatencyMs: number): void {
    if (!(contextTimeS > 0) || !Number.isFinite(epochMs)) return;
    const t = contextTimeS * 1000;
    const last = this.#lastT;
    if (last !== null && t < last)
      this.#restart(); // a new context time line (should not happen)
    else if (last !== null && t - last < MIN_SPACING_MS) return;
    this.#lastT = t;
    const offset = epochMs - t;
    const level = this.#level;
    const sign = level !== null && Math.abs(offset - level) > JUMP_MS ? Math.sign(offset - level) : 0;
    this.#far = sign !== 0 && (this.#far === 0 || sign === this.#farSign) ? this.#far + 1 : 0;
    this.#farSign = sign;
    if (this.#far >= JUMP_READINGS) {
      // A new level: only the readings that show it.
      this.#offsets.splice(0, this.#offsets.length - (JUMP_READINGS - 1));
      this.#far = 0;
    }
    this.#offsets.push(offset);
    if (this.#offsets.length > CLOCK_WINDOW) this.#offsets.shift();
    if (Number.isFinite(outputLatencyMs) && outputLatencyMs >= 0) {
      this.#latencies.push(outputLatencyMs);
      if (this.#latencies.length > CLOCK_WINDOW) this.#latencies.shift();
    }
    // While readings stray, the level holds: they are a stall until they prove a step.
    if (this.#far === 0) this.#level = median(this.#offsets);
  }

  /**
   * Epoch ms at which context time `contextTimeS` reaches the speaker (`captured`: minus the output
   * latency, the moment a captured sample entered the graph). NaN before the first reading.
   */
  toEpochMs(contextTimeS: number, captured: boolean): number {
    const level = this.#level;
    if (level === null) return Number.NaN;
    return contextTimeS * 1000 + level - (captured ? median(this.#latencies) : 0);
  }

  #restart(): void {
    this.#offsets.length = 0;
    this.#level = null;
    this.#far = 0;
    this.#farSign = 0;
  }
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
